"""Fold policy and summaries: chunked folds, RemoveMessages, pending actions kept, fallback."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, RemoveMessage, ToolMessage
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, StateGraph

from conversation.facts import merge_facts, set_fact
from conversation.state import ConversationState
from conversation.summary import (
    CATEGORIES,
    extractive_summary,
    fold,
    plan_fold,
    summary_prompt,
)
from conversation.tokens import ApproxCounter

COUNTER = ApproxCounter()
PENDING = "Shall I switch you to the Max 50 plan for 30 dollars a month from next cycle?"


def _history(turns: int, words: int = 12) -> list[BaseMessage]:
    messages: list[BaseMessage] = []
    for n in range(turns):
        messages.append(HumanMessage(f"turn {n} " + "chat " * words, id=f"h{n}"))
        messages.append(AIMessage(f"reply {n} " + "chat " * words, id=f"a{n}"))
    return messages


def test_no_fold_while_the_window_fits() -> None:
    plan = plan_fold(_history(3), 1000, COUNTER)
    assert plan.to_fold == [] and plan.removals == []
    assert (
        fold(_history(3), summary="", counter=COUNTER, window_budget=1000, summary_budget=100)
        is None
    )


def test_fold_takes_whole_turns_in_one_chunk_down_to_half_the_budget() -> None:
    history = _history(20)
    budget = COUNTER.count_messages(history) - 10
    plan = plan_fold(history, budget, COUNTER)
    assert plan.to_fold + plan.keep == history
    assert isinstance(plan.keep[0], HumanMessage)
    assert plan.tokens_after <= budget * 0.5
    assert len(plan.to_fold) > 2  # a chunk, not one turn
    assert [r.id for r in plan.removals] == [m.id for m in plan.to_fold]
    assert all(isinstance(r, RemoveMessage) for r in plan.removals)


def test_fold_keeps_the_latest_turn_even_when_it_is_large() -> None:
    history = [*_history(3), HumanMessage("big " * 500, id="big")]
    plan = plan_fold(history, 100, COUNTER)
    assert plan.keep == [history[-1]]


def test_fold_never_cuts_inside_a_tool_call() -> None:
    call = AIMessage("", id="ac", tool_calls=[{"id": "c1", "name": "t", "args": {}}])
    history = [
        HumanMessage("one " * 30, id="h0"),
        call,
        HumanMessage("interjection " * 30, id="h1"),  # arrives before the tool result
        ToolMessage("result", tool_call_id="c1", id="t1"),
        AIMessage("done " * 30, id="a1"),
        HumanMessage("last", id="h2"),
    ]
    plan = plan_fold(history, 60, COUNTER)
    assert plan.keep[0].id == "h2"  # h1 is not a safe boundary: c1 spans it


def test_messages_without_ids_cannot_be_folded() -> None:
    history = [HumanMessage("a " * 50), AIMessage("b " * 50), HumanMessage("c")]
    with pytest.raises(ValueError, match="no id"):
        plan_fold(history, 20, COUNTER)


def test_fold_result_has_removals_and_summary_keeps_a_pending_action() -> None:
    history = [
        HumanMessage("I want to change my plan to something bigger please", id="h0"),
        AIMessage(PENDING, id="a0"),
        *_history(15),
    ]
    result = fold(history, summary="", counter=COUNTER, window_budget=200, summary_budget=120)
    assert result is not None
    assert result.method == "extractive"
    assert {r.id for r in result.removals} >= {"h0", "a0"}
    assert result.summary.startswith("Pending actions:")
    assert "Max 50 plan" in result.summary
    assert COUNTER.count(result.summary) <= 120


def test_extractive_summary_is_capped_and_drops_context_before_pending() -> None:
    chatter = [
        HumanMessage(f"can you help me with thing {n} please", id=f"u{n}") for n in range(80)
    ]
    text = extractive_summary("", [AIMessage(PENDING, id="p"), *chatter], COUNTER, 60)
    assert COUNTER.count(text) <= 60
    assert "Max 50 plan" in text
    assert "thing 79" in text and "thing 0 " not in text  # the oldest context went first


def test_extractive_summary_merges_the_previous_one_and_skips_facts() -> None:
    first = extractive_summary(
        "", [AIMessage("I will send the refund by Friday.", id="a")], COUNTER, 200
    )
    second = extractive_summary(
        first,
        [
            HumanMessage("please note my number is 5550142", id="h"),
            HumanMessage("the router is still broken", id="g"),
        ],
        COUNTER,
        200,
        fact_values=["5550142"],
    )
    assert "refund by Friday" in second
    assert "router is still broken" in second
    assert "5550142" not in second


def test_summary_prompt_asks_for_commitments_and_not_for_fact_sheet_facts() -> None:
    prompt = summary_prompt("old summary", _history(1), ["name", "phone"], 200)
    instructions = str(prompt[0].content)
    assert "commitment" in instructions and "pending action" in instructions
    assert "unresolved issue" in instructions
    assert "Do NOT repeat facts already on the fact sheet" in instructions
    assert "name, phone" in instructions
    body = str(prompt[1].content)
    assert "old summary" in body and "User: turn 0" in body


def test_model_summary_is_used_and_capped() -> None:
    seen: list[list[BaseMessage]] = []

    def summarize(prompt: list[BaseMessage]) -> str:
        seen.append(prompt)
        return "Pending actions:\n- plan switch awaits confirmation\n" + "Context:\n- x\n" * 200

    sheet = merge_facts({}, set_fact({}, "name", "Ana", 1))
    result = fold(
        _history(20),
        summary="",
        counter=COUNTER,
        window_budget=100,
        summary_budget=50,
        facts=sheet,
        summarize=summarize,
    )
    assert result is not None and result.method == "model"
    assert result.summary.startswith("Pending actions:\n- plan switch awaits confirmation")
    assert COUNTER.count(result.summary) <= 50
    assert "name" in str(seen[0][0].content)


def test_failing_model_falls_back_to_the_extractive_summary() -> None:
    def broken(prompt: list[BaseMessage]) -> str:
        raise TimeoutError("model timed out")

    history = [
        HumanMessage("hello there friend", id="x"),
        AIMessage(PENDING, id="y"),
        *_history(10),
    ]
    result = fold(
        history, summary="", counter=COUNTER, window_budget=100, summary_budget=80, summarize=broken
    )
    assert result is not None and result.method == "extractive"
    assert result.error == "TimeoutError: model timed out"
    assert "Max 50 plan" in result.summary


def test_fold_removes_messages_from_graph_state() -> None:
    """Through a real LangGraph graph: the add_messages reducer applies the removals."""

    def remember(state: ConversationState) -> dict[str, Any]:
        result = fold(
            list(state["messages"]),
            summary=state.get("summary", ""),
            counter=COUNTER,
            window_budget=150,
            summary_budget=80,
        )
        if result is None:
            return {}
        return {"messages": result.removals, "summary": result.summary}

    def reply(state: ConversationState) -> dict[str, Any]:
        return {"messages": [AIMessage("reply " + "chat " * 12)]}

    builder = StateGraph(ConversationState)
    builder.add_node("reply", reply)
    builder.add_node("remember", remember)
    builder.add_edge(START, "reply")
    builder.add_edge("reply", "remember")
    builder.add_edge("remember", END)
    graph = builder.compile(checkpointer=InMemorySaver())
    config: RunnableConfig = {"configurable": {"thread_id": "t"}}
    graph.invoke({"messages": [HumanMessage("can you call me back tomorrow please")]}, config)
    sizes = []
    for n in range(30):
        state = graph.invoke({"messages": [HumanMessage(f"turn {n} " + "chat " * 12)]}, config)
        sizes.append(len(state["messages"]))
    assert max(sizes) < 20  # bounded: folded messages left the state
    assert COUNTER.count_messages(state["messages"]) <= 150
    assert state["summary"]
    assert "call me back tomorrow" in state["summary"]
    assert any(h in state["summary"] for h in CATEGORIES)
