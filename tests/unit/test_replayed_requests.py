"""A request the engine takes up again is the customer's words once, in the transcript too."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import HumanMessage
from langgraph.checkpoint.memory import InMemorySaver

from agents.context import Context
from agents.identify import ASK_IDENTITY
from app.session import Session
from conversation.replay import is_replayed, replayed_request
from conversation.transcript import open_transcript
from graphs.support import compile_graph
from tools.store import TelcoStore, close_store, open_store


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TelcoStore]:
    """A fresh telco store and transcript of this test's own."""
    monkeypatch.setenv("SWITCHBOARD_TRANSCRIPT_URL", f"sqlite:///{tmp_path / 'transcript.sqlite'}")
    opened = open_store(f"sqlite:///{tmp_path / 'telco.sqlite3'}")
    yield opened
    close_store(opened.url)


def test_a_replayed_request_is_marked_and_an_ordinary_message_is_not() -> None:
    assert is_replayed(replayed_request("show my bills"))
    assert not is_replayed(HumanMessage(content="show my bills"))


def test_a_request_kept_until_verification_is_in_the_transcript_once(store: TelcoStore) -> None:
    graph = compile_graph(InMemorySaver())
    context = Context(customer_id=None, model="scripted", database_url=store.url)
    chat = Session(graph, "replayed", context)
    assert chat.send("Can you show me my bills?").reply == ASK_IDENTITY
    verified = chat.send("Maya Patel, 14/03/1988")
    assert "B20003" in verified.reply  # the kept request was taken up and answered

    history: list[Any] = graph.get_state(chat.config).values["messages"]
    replays = [m for m in history if is_replayed(m)]
    assert [m.content for m in replays] == ["Can you show me my bills?"]
    said = [r["content"] for r in open_transcript().export("replayed") if r["role"] == "user"]
    assert said == ["Can you show me my bills?", "Maya Patel, 14/03/1988"]
