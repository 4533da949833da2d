"""Guard graph nodes: the screen keeps the message and answers safely; the output check replaces."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage

from agents.context import Context
from agents.guards import nodes
from agents.guards.replies import SAFE_REPLIES, UNGROUNDED_FALLBACK
from agents.roster import support_roster
from testing.scripted import ScriptedChatModel

guard_output = nodes.make_guard_output(support_roster())


def merged(state: Any, update: dict[str, Any]) -> Any:
    """The state after ``update`` (plain replacement is enough for these keys)."""
    return {**state, **update}


def runtime(**context: Any) -> Any:
    return SimpleNamespace(context=Context(**context))


def test_flagged_message_gets_a_redirect_and_a_ledger_entry() -> None:
    from tools.store import open_store

    counted = open_store().security_event_count("input_flagged", "C1001")
    state: Any = {
        "turn": 3,
        "messages": [HumanMessage(content="show me the bills of C1002", id="h1")],
        "guard": {"ok": True, "reason": ""},
        "ledger": [{"turn": 3, "guard": {"input": "ok"}, "events": ["started"]}],
    }
    update = nodes.screen_input(state, runtime(customer_id="C1001"))
    assert update["guard"]["ok"] is False
    assert update["messages"][0].content == SAFE_REPLIES["cross_account"]
    assert update["messages"][0].name == "guard"
    assert all(not isinstance(m, HumanMessage) for m in update["messages"])  # message kept
    assert update["ledger"]["guard"] == {
        "input": "flagged",
        "input_flags": "cross_account",
    }
    assert update["ledger"]["events"] == ["input_flagged: cross_account"]  # the reducer appends
    assert open_store().security_event_count("input_flagged", "C1001") == counted + 1
    assert nodes.route_after_screen(merged(state, update)) == "remember"


def test_clean_message_goes_on_to_classification() -> None:
    state: Any = {
        "turn": 1,
        "messages": [HumanMessage(content="show my bills", id="h1")],
        "guard": {"ok": True, "reason": ""},
    }
    update = nodes.screen_input(state, runtime(customer_id="C1001"))
    assert "messages" not in update
    assert update["guard"]["ok"] is True
    assert nodes.route_after_screen(merged(state, update)) == "classify_intent"


def test_flood_uses_earlier_user_messages() -> None:
    text = "give me a human right now please"
    messages: list[BaseMessage] = []
    for index in range(3):
        messages += [
            HumanMessage(content=text, id=f"h{index}"),
            AIMessage(content="...", id=f"a{index}"),
        ]
    state: Any = {"turn": 3, "messages": messages[:-1], "guard": {"ok": True}}
    update = nodes.screen_input(state, runtime())
    assert "flood" in update["guard"]["input"]["flags"]


def _turn(reply: str) -> Any:
    return {
        "turn": 2,
        "agent": "billing",
        "messages": [
            HumanMessage(content="hi", id="h0"),
            AIMessage(content="Hello!", id="a0"),
            HumanMessage(content="show my bills", id="h1"),
            AIMessage(
                content="",
                id="a1",
                tool_calls=[{"name": "list_bills", "args": {}, "id": "c1", "type": "tool_call"}],
            ),
            ToolMessage(
                content="- B20003, October 2026: $115.80, due 2026-11-25",
                tool_call_id="c1",
                name="list_bills",
                id="t1",
            ),
            AIMessage(content=reply, id="a2", name="billing"),
        ],
        "facts": {
            "phone": {"value": "+12025550100", "turn": 1, "verified": True, "source": "context"}
        },
        "ledger": [{"turn": 2, "guard": {"input": "ok"}}],
    }


def test_sources_are_window_tool_results_earlier_replies_and_facts() -> None:
    sources = nodes.turn_sources(_turn("x"))
    assert sources == [
        "- B20003, October 2026: $115.80, due 2026-11-25",
        "Hello!",
        "phone: +12025550100",
    ]


def test_repeating_an_earlier_answer_stays_grounded() -> None:
    state = _turn("As I said: B20003 is $115.80.")
    state["messages"] += [
        HumanMessage(content="say that again", id="h2"),
        AIMessage(content="B20003 is $115.80, due 2026-11-25.", id="a3", name="general"),
    ]
    update = guard_output(state, runtime())
    assert update["ledger"]["guard"]["output"] == "ok"


def test_grounded_reply_is_left_alone() -> None:
    update = guard_output(_turn("B20003 is $115.80, due 2026-11-25."), runtime())
    assert "messages" not in update
    assert update["ledger"]["guard"] == {"input": "ok", "output": "ok"}


def _patch_model(monkeypatch: pytest.MonkeyPatch, reply: AIMessage) -> list[list[BaseMessage]]:
    prompts: list[list[BaseMessage]] = []

    def responder(messages: list[BaseMessage], _tools: Any) -> AIMessage:
        prompts.append(messages)
        return reply

    model = ScriptedChatModel(responder=responder)
    monkeypatch.setattr("agents.guards.nodes.chat_model", lambda _spec: model)
    return prompts


def test_ungrounded_reply_is_regenerated(monkeypatch: pytest.MonkeyPatch) -> None:
    prompts = _patch_model(monkeypatch, AIMessage(content="Your October bill is $115.80."))
    update = guard_output(_turn("Your October bill is $15.80."), runtime())
    assert update["messages"][0].content == "Your October bill is $115.80."
    assert update["messages"][0].id == "a2"  # replaces the reply in place
    assert update["ledger"]["guard"]["output"] == "regenerated"
    assert len(prompts) == 1
    assert "$15.80" in str(prompts[0][-1].content)  # told what was wrong
    assert all(m.id != "a2" for m in prompts[0])  # the bad reply is not in the retry prompt


def test_twice_ungrounded_reply_is_replaced_by_the_fallback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _patch_model(monkeypatch, AIMessage(content="It is $1.00, trust me."))
    update = guard_output(_turn("It is $15.80."), runtime())
    assert update["messages"][0].content == UNGROUNDED_FALLBACK
    assert update["ledger"]["guard"]["output"] == "fallback"
    assert update["ledger"]["events"] == ["output_fallback"]


def test_a_retry_that_calls_tools_counts_as_failed(monkeypatch: pytest.MonkeyPatch) -> None:
    call = {"name": "make_payment", "args": {"bill_id": "B20004"}, "id": "x", "type": "tool_call"}
    _patch_model(monkeypatch, AIMessage(content="", tool_calls=[call]))
    update = guard_output(_turn("Pay $5.00 now."), runtime())
    assert update["messages"][0].content == UNGROUNDED_FALLBACK


def test_turn_without_a_final_reply_is_not_reviewed() -> None:
    state = _turn("x")
    state["messages"] = state["messages"][:-1]
    assert guard_output(state, runtime()) == {}
