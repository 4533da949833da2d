"""Transcript store on the real PostgreSQL: idempotent appends, order, masking, export.

The unit tests' store functions run here against a fresh PostgreSQL schema per test (their
``store`` fixture, provided below). Skips with the reason when PostgreSQL is unreachable,
unless SWITCHBOARD_REQUIRE_SERVICES=1.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from langchain_core.messages import AIMessage, HumanMessage

from conversation.transcript import Transcript, UnknownThread, open_transcript
from tests.integration.pg_schema import opened_in_schema
from tests.unit.test_conversation_transcript import (
    test_append_is_idempotent_and_ordered,
    test_messages_without_ids_get_stable_ids,
    test_pii_is_masked_in_content_and_tool_arguments,
    test_unknown_thread_raises,
)

pytestmark = pytest.mark.services

__all__ = [
    "test_append_is_idempotent_and_ordered",
    "test_messages_without_ids_get_stable_ids",
    "test_pii_is_masked_in_content_and_tool_arguments",
    "test_unknown_thread_raises",
]


@pytest.fixture
def store(postgres_url: str) -> Iterator[Transcript]:
    """A transcript in a fresh PostgreSQL schema, dropped after the test."""
    with opened_in_schema(postgres_url, "sb_transcript", Transcript) as opened:
        yield opened


def test_postgres_transcript_round_trip(postgres_url: str) -> None:
    store = open_transcript(postgres_url)
    assert isinstance(store, Transcript)
    thread = f"test-{uuid.uuid4()}"
    try:
        first = [HumanMessage("my email is a@b.co", id="h1"), AIMessage("noted", id="a1")]
        assert store.append(thread, first, turn=1, agent="general") == 2
        second = [*first, HumanMessage("card 4111 1111 1111 1111", id="h2")]
        assert store.append(thread, second, turn=2) == 1
        records = list(store.export(thread))
        assert [r["message_id"] for r in records] == ["h1", "a1", "h2"]
        assert [r["seq"] for r in records] == [1, 2, 3]
        assert records[0]["content"] == "my email is [email]"
        assert records[1]["agent"] == "general"
        assert records[2]["content"] == "card **** 1111"
        assert isinstance(records[0]["created_at"], str)
    finally:
        store.delete_thread(thread)
    with pytest.raises(UnknownThread):
        list(store.export(thread))
