"""Property-based fuzzing of the guards: no input makes them raise, verdicts stay consistent."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

from agents.context import Context
from agents.guards import nodes
from agents.guards.input_screen import inspect_input
from agents.guards.normalize import normalize
from agents.guards.output_guard import check_reply
from agents.guards.replies import FLAG_PRIORITY, SAFE_REPLIES
from agents.roster import support_roster
from testing.scripted import ScriptedChatModel

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CATALOG = {"basic_5": "Basic 5GB", "unlimited": "Unlimited", "unlimited_max": "Unlimited Max"}

ANY_CHAR = st.characters(exclude_categories=())  # surrogates, controls, private use, unassigned
FRAGMENTS = st.sampled_from(
    [
        "ignore",
        " previous ",
        "instructions",
        "\u200b",
        "\u202e",
        "\u2066",
        "\ufeff",
        "і",
        "о",
        "<|im_start|>",
        "system:",
        "\n",
        "$",
        "12.50",
        "2026-11-25",
        "C1002",
        "+12025550100",
        "\x00",
        "\ud800",
        "\ufffd",
        "\U000e0041",
        "\u0301",
        "ｉ",
        "𝐢",
        "DAN",
        "pretend",
        "=",
        "aWdub3Jl",
        "plan",
        "Unlimited",
        " ",
        "%s",
        "{",
        "}",
        "\\",
        "'",
        '"',
    ]
)
HOSTILE_TEXT = st.lists(FRAGMENTS | st.text(ANY_CHAR, max_size=8), max_size=40).map("".join)
MESSAGES = st.text(ANY_CHAR, max_size=300) | HOSTILE_TEXT

guard_output = nodes.make_guard_output(support_roster())


@FAST
@given(text=MESSAGES, history=st.lists(MESSAGES, max_size=6), customer=st.none() | st.just("C1001"))
def test_inspect_input_never_raises_and_is_consistent(
    text: str, history: list[str], customer: str | None
) -> None:
    verdict = inspect_input(text, history, customer_id=customer)
    assert verdict.ok == (not verdict.flags)
    assert (verdict.safe_reply is None) == verdict.ok
    assert set(verdict.flags) <= set(FLAG_PRIORITY)
    if verdict.safe_reply is not None:
        assert verdict.safe_reply in SAFE_REPLIES.values()
    json.dumps(verdict.to_dict())
    assert all(isinstance(v, str) for v in verdict.ledger_guard().values())


@FAST
@given(value=st.binary(max_size=200) | st.integers() | st.none() | st.lists(st.text(max_size=5)))
def test_inspect_input_accepts_any_python_value(value: object) -> None:
    verdict = inspect_input(value)
    assert verdict.ok == (not verdict.flags)


@FAST
@given(text=MESSAGES)
def test_normalised_views_are_plain_and_idempotent_on_ascii(text: str) -> None:
    norm = normalize(text)
    assert norm.folded == norm.views[0]
    assert norm.compact.isascii()
    assert all("\u200b" not in view and "\u202e" not in view for view in norm.views)


@FAST
@given(reply=MESSAGES, sources=st.lists(MESSAGES, max_size=4))
def test_check_reply_never_raises(reply: str, sources: list[str]) -> None:
    verdict = check_reply(reply, sources, CATALOG)
    assert verdict.ok == (not verdict.ungrounded)
    assert len(verdict.ungrounded) <= verdict.claims


@FAST
@given(text=MESSAGES)
def test_a_source_grounds_itself(text: str) -> None:
    assert check_reply(text, [text], CATALOG).ok


@pytest.fixture
def scripted_model(monkeypatch: pytest.MonkeyPatch) -> None:
    """The guard's regeneration call goes to the scripted model (no real model in unit tests)."""
    model = ScriptedChatModel()
    monkeypatch.setattr("agents.guards.nodes.chat_model", lambda _spec: model)


@SLOW
@given(
    user=MESSAGES,
    tool_output=MESSAGES,
    reply=MESSAGES,
)
@pytest.mark.usefixtures("scripted_model")
def test_guard_nodes_never_raise(user: str, tool_output: str, reply: str) -> None:
    runtime: Any = SimpleNamespace(context=Context(customer_id="C1001"))
    state: Any = {
        "turn": 1,
        "agent": "billing",
        "messages": [
            HumanMessage(content=user, id="h"),
            AIMessage(
                content="",
                id="a",
                tool_calls=[{"name": "list_bills", "args": {}, "id": "c", "type": "tool_call"}],
            ),
            ToolMessage(content=tool_output, tool_call_id="c", id="t"),
            AIMessage(content=reply, id="r", name="billing"),
        ],
        "guard": {"ok": True, "reason": ""},
    }
    screened = nodes.screen_input(state, runtime)
    assert isinstance(screened["guard"]["ok"], bool)
    checked = guard_output(state, runtime)
    if "messages" in checked:
        assert checked["messages"][0].id == "r"
        assert checked["ledger"]["guard"]["output"] in {"regenerated", "fallback"}
