"""Transcript store (SQLite): idempotent appends, order, PII masking, export command.

The store tests take the ``store`` fixture; tests/integration/test_transcript_postgres.py runs
the same functions against PostgreSQL by providing its own ``store``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage

from app.cli import main as cli_main
from conversation.transcript import Transcript, UnknownThread, open_transcript, resolve_url


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Transcript]:
    """A transcript in a fresh SQLite file."""
    opened = Transcript(f"sqlite:///{tmp_path / 't.sqlite'}")
    yield opened
    opened.close()


def _turn(n: int) -> list[BaseMessage]:
    return [
        HumanMessage(f"question {n}, my card is 4242 4242 4242 4242", id=f"h{n}"),
        AIMessage(
            "",
            id=f"a{n}",
            name="billing",
            tool_calls=[{"id": f"c{n}", "name": "pay", "args": {"email": "x@y.com", "n": n}}],
        ),
        ToolMessage("paid", tool_call_id=f"c{n}", id=f"t{n}", name="pay"),
        AIMessage(f"answer {n}", id=f"r{n}"),
    ]


def test_append_is_idempotent_and_ordered(store: Transcript) -> None:
    assert store.append("th", _turn(1), turn=1, agent="billing") == 4
    assert store.append("th", _turn(1) + _turn(2), turn=2, agent="billing") == 4
    records = list(store.export("th"))
    assert [r["seq"] for r in records] == list(range(1, 9))
    assert [r["message_id"] for r in records] == [
        "h1",
        "a1",
        "t1",
        "r1",
        "h2",
        "a2",
        "t2",
        "r2",
    ]
    assert [r["turn"] for r in records] == [1] * 4 + [2] * 4
    assert [r["role"] for r in records[:4]] == ["user", "assistant", "tool", "assistant"]
    store.close()


def test_pii_is_masked_in_content_and_tool_arguments(store: Transcript) -> None:
    store.append("th", _turn(1), turn=1)
    first, call = list(store.export("th"))[:2]
    assert "4242 4242 4242 4242" not in first["content"]
    assert first["content"].endswith("**** 4242")
    assert call["tool_calls"] == [{"id": "c1", "name": "pay", "args": {"email": "[email]", "n": 1}}]
    assert call["agent"] == "billing"


def test_messages_without_ids_get_stable_ids(store: Transcript) -> None:
    assert store.append("th", [HumanMessage("hi")], turn=1) == 1
    assert store.append("th", [HumanMessage("hi")], turn=1) == 0


def test_unknown_thread_raises(store: Transcript) -> None:
    with pytest.raises(UnknownThread, match="nope"):
        store.export("nope")


def test_url_resolution(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SWITCHBOARD_TRANSCRIPT_URL", raising=False)
    monkeypatch.setenv("SWITCHBOARD_DATABASE_URL", "postgresql://u@h/db")
    assert resolve_url() == "postgresql://u@h/db"
    monkeypatch.setenv("SWITCHBOARD_DATABASE_URL", "sqlite:///x.sqlite")
    assert resolve_url().endswith("transcripts.sqlite")
    monkeypatch.setenv("SWITCHBOARD_TRANSCRIPT_URL", "sqlite:///y.sqlite")
    assert resolve_url() == "sqlite:///y.sqlite"
    assert resolve_url("sqlite:///z.sqlite") == "sqlite:///z.sqlite"


def test_unsupported_url_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match=r"(?i)unsupported transcript URL"):
        open_transcript("mysql://u@h/db")


def test_export_command_prints_json_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    open_transcript(url).append("cli-thread", _turn(1), turn=1)
    assert cli_main(["export", "--thread", "cli-thread", "--database-url", url]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [json.loads(line)["message_id"] for line in lines] == ["h1", "a1", "t1", "r1"]


def test_export_command_unknown_thread_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    assert cli_main(["export", "--thread", "missing", "--database-url", url]) == 2
    assert "no transcript for thread 'missing'" in capsys.readouterr().err
