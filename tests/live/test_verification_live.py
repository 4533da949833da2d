"""No customer signed in, the local model: each listed identity form verifies, then the bill."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agents.context import Context
from agents.identify import ASK_IDENTITY, CALL_PREFIX
from app.session import Session
from graphs.support import compile_graph
from tests.support_helpers import sqlite_saver
from tools.store import open_store

pytestmark = [pytest.mark.live, pytest.mark.timeout(2400)]

IDENTITIES = (
    "Sure, I'm Maya Patel, born 14 March 1988",
    "Maya Patel, date of birth 1988-03-14",
    "it's Maya Patel, DOB March 14, 1988",
    "Maya Patel 14/03/1988",
    "My phone number is +12025550100",
    "+1 (202) 555-0100",
)
"""Maya Patel (C1001) identifying herself: a full name with a birth date in each listed form,
or the phone number on her account."""
LATEST_BILL_TOTAL = "115.80"
"""The total of Maya's latest bill (B20003) in the seed store."""


@pytest.fixture
def saver(tmp_path: Path) -> Iterator[Any]:
    """A fresh checkpointer, and the telco store reset to its seed."""
    open_store().reset_to_seed()
    saver = sqlite_saver(tmp_path / "checkpoints.sqlite")
    yield saver
    saver.conn.close()


@pytest.mark.parametrize("identity", IDENTITIES)
def test_the_first_message_with_identity_verifies_and_the_bill_is_answered(
    saver: Any, identity: str
) -> None:
    graph = compile_graph(saver)
    chat = Session(graph, f"live-verify-{IDENTITIES.index(identity)}", Context(model="local"))

    first = chat.send("Hi, I think I was overcharged on my bill")
    assert first.reply == ASK_IDENTITY
    assert first.tool_calls == []

    second = chat.send(identity)
    verify = [call for call in second.tool_calls if call["name"] == "verify_customer"]
    assert len(verify) == 1 and verify[0]["id"].startswith(CALL_PREFIX)  # the engine's call
    state = graph.get_state(chat.config).values
    assert state["verified_customer_id"] == "C1001"
    assert "you're verified" in second.reply
    assert LATEST_BILL_TOTAL in second.reply.replace("$", "")
    assert "the customer" not in second.reply.lower()
