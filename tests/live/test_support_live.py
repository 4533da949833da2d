"""The support graph with the embedded 1.5B model: a real conversation, and memory after a fold."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agents.context import Context
from app.session import Session
from graphs.support import compile_graph
from tests.support_helpers import sqlite_saver
from tools.store import open_store

pytestmark = [pytest.mark.live, pytest.mark.timeout(2400)]


@pytest.fixture
def saver(tmp_path: Path) -> Iterator[Any]:
    """A fresh checkpointer, and the telco store reset to its seed."""
    open_store().reset_to_seed()
    saver = sqlite_saver(tmp_path / "checkpoints.sqlite")
    yield saver
    saver.conn.close()


def local_session(saver: Any, thread: str, **context: Any) -> Session:
    """A session on the support graph with the embedded local model."""
    return Session(
        compile_graph(saver), thread, Context(customer_id="C1001", model="local", **context)
    )


def test_four_turn_support_conversation_with_the_local_model(saver: Any) -> None:
    chat = local_session(saver, "live-four")

    billing = chat.send("Is any of my bills overdue?")
    assert billing.intent == "billing"
    assert {c["name"] for c in billing.tool_calls} & {"check_overdue", "list_bills"}
    assert "109.20" in billing.reply or "B20002" in billing.reply

    change = chat.send("Please switch my plan to the Unlimited plan.")
    assert change.intent == "plan_change"
    assert [c["name"] for c in change.tool_calls][-1:] == ["change_plan"]
    assert change.interrupt is not None and "Unlimited" in change.interrupt["summary"]

    confirmed = chat.send("yes")
    assert confirmed.interrupt is None
    line = open_store().line("L1001-1")
    assert line is not None and line.plan.plan_id == "unlimited"

    off_topic = chat.send("What's the weather going to be like in Paris tomorrow?")
    assert off_topic.intent == "out_of_scope"
    assert off_topic.agent == "general"
    assert off_topic.tool_calls == []


def test_after_a_fold_the_model_still_knows_a_fact_from_turn_two(saver: Any) -> None:
    chat = local_session(saver, "live-fold", window_budget=200, summary_budget=120)
    chat.send("Hello!")
    chat.send("My phone is a Pixel 8, by the way.")
    chat.send("Is any of my bills overdue?")
    state = chat.graph.get_state(chat.config).values
    assert sum(entry.get("folded", 0) for entry in state["ledger"]) > 0  # a fold happened
    humans = [str(m.content) for m in state["messages"] if m.type == "human"]
    assert not any("Pixel 8" in text for text in humans)  # turn 2 was folded out of the window
    assert "Pixel 8" in str(state["facts"].get("device", {}).get("value", ""))
    answer = chat.send("Which phone model did I tell you I have?")
    assert "pixel" in answer.reply.lower()
