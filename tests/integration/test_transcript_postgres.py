"""Transcript store on the real PostgreSQL: idempotent appends, order, masking, export."""

from __future__ import annotations

import uuid

import pytest
from langchain_core.messages import AIMessage, HumanMessage

from conversation.transcript import PostgresTranscript, UnknownThread, open_transcript

pytestmark = pytest.mark.services


def test_postgres_transcript_round_trip(postgres_url: str) -> None:
    store = open_transcript(postgres_url)
    assert isinstance(store, PostgresTranscript)
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
