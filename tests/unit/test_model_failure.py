"""A model that fails on every call: the customer gets an apology, and the thread lives on."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import HumanMessage

from tests.support_helpers import session, sqlite_saver
from tools.store import open_store


@pytest.fixture
def saver(tmp_path: Path) -> Iterator[Any]:
    """A fresh checkpointer, and the telco store reset to its seed."""
    open_store().reset_to_seed()
    saver = sqlite_saver(tmp_path / "checkpoints.sqlite")
    yield saver
    saver.conn.close()


def test_a_failing_model_yields_an_apology_and_keeps_the_thread(
    saver: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SWITCHBOARD_MODEL_RETRIES", "0")
    broken = session(saver, "t-broken")
    broken.context = broken.context.__class__(customer_id="C1001", model="scripted:fail")
    result = broken.send("Is any of my bills overdue?")
    assert "trouble" in result.reply and "human agent" in result.reply
    assert result.interrupt is None
    state = broken.graph.get_state(broken.config).values
    assert state["pending_input"] == "Is any of my bills overdue?"
    assert any(
        isinstance(m, HumanMessage) and m.content == "Is any of my bills overdue?"
        for m in state["messages"]
    )
    assert "model_failed" in " ".join(state["ledger"][-1]["events"])

    healed = session(saver, "t-broken")  # same thread, a working model again
    again = healed.send("Is any of my bills overdue?")
    assert [c["name"] for c in again.tool_calls] == ["check_overdue"]
    assert "109.20" in again.reply
    after = healed.graph.get_state(healed.config).values
    assert after["turn"] == 2
    assert after["pending_input"] is None
