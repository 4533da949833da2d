"""Out of scope without a model: a confident off-topic verdict gets the canned redirect."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langgraph.checkpoint.memory import InMemorySaver

from agents.context import Context
from agents.guards.nodes import make_guard_output
from agents.roster import support_roster
from agents.triage import Triage, classify_local, confidently_off_topic, own_request
from agents.turn import with_requested_task
from app.evaluation.scenarios import load_scenarios
from app.observability.runtree import RunTreeRecorder
from graphs.support import compile_graph
from prompts.loader import render
from testing.scripted import ScriptedChatModel

OFF_TOPIC = (
    "What's the weather going to be like in Paris tomorrow?",
    "Tell me a joke about cats",
    "What is the capital of France?",
)
"""Messages the local classifier calls out of scope with confidence >= 0.85."""


@pytest.mark.parametrize("text", OFF_TOPIC)
def test_a_confident_off_topic_message_makes_no_model_call(
    text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_model(_messages: list[BaseMessage], _tools: Any) -> AIMessage:
        raise AssertionError("the model was called for a confident off-topic message")

    model = ScriptedChatModel(responder=no_model)
    for target in ("agents.base.chat_model", "agents.triage.chat_model"):
        monkeypatch.setattr(target, lambda _spec: model)
    assert confidently_off_topic(classify_local(text)[0])
    recorder = RunTreeRecorder(keep=True)
    graph = compile_graph(InMemorySaver())
    config: Any = {"configurable": {"thread_id": "oos"}, "callbacks": [recorder]}
    context = Context(customer_id="C1001", model="scripted")
    values = graph.invoke({"messages": [HumanMessage(content=text)]}, config, context=context)
    assert recorder.traces[-1].model_runs() == []
    reply = str(values["messages"][-1].content)
    assert reply.startswith(render("off_topic_redirect", brand="Bluebell Mobile"))


def test_no_scenario_turn_that_is_not_off_topic_is_redirected() -> None:
    """The graph's decision: the classifier's verdict, after a named change routes the turn."""
    turns = [
        turn.user
        for scenario in load_scenarios()
        for turn in scenario.turns
        if turn.user and turn.expect.intent != "out_of_scope"
    ]
    assert len(turns) > 100
    roster = support_roster()
    redirected = [
        text
        for text in turns
        if confidently_off_topic(with_requested_task(classify_local(text), text, roster)[0])
    ]
    assert redirected == []


def test_an_off_topic_answer_from_the_model_is_replaced_by_the_redirect() -> None:
    state: Any = {
        "turn": 1,
        "intent": "out_of_scope",
        "agent": "general",
        "messages": [
            HumanMessage(content="tell me about paris", id="h1"),
            AIMessage(content="Paris will be sunny, 21 degrees.", id="a1", name="general"),
        ],
    }
    runtime: Any = type("R", (), {"context": Context(customer_id="C1001", model="scripted")})()
    update = make_guard_output(support_roster())(state, runtime)
    assert update["messages"][0].id == "a1"
    assert "sunny" not in update["messages"][0].content
    assert "bills" in update["messages"][0].content


def test_a_question_with_nothing_in_progress_is_a_request_of_its_own() -> None:
    numbers = Triage("tech_support", "request", 0.35, 0.7, "local", "are both numbers up?")
    sport = Triage("none", "goodbye", 0.7, 0.4, "local", "who won the match?")
    assert own_request("none", "request", numbers, "") == "tech_support"
    assert own_request("none", "question", sport, "") == "out_of_scope"
    assert own_request("none", "request", numbers, "plan change to Unlimited") == "none"
    assert own_request("none", "yes", numbers, "") == "none"
    assert own_request("billing", "question", sport, "") == "billing"
    said = "My phone is a Pixel 8, by the way."
    detail = Triage("tech_support", "request", 0.4, 0.6, "local", said)
    assert own_request("none", "request", detail, "") == "none"
