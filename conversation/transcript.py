"""Transcript store: every message of every thread, PII-masked, for audit and export.

The checkpoint keeps only the recent window (older turns are folded into the summary and
removed); the transcript keeps everything. Appends are idempotent per message id, so a
re-run turn or a repeated append of the whole window never duplicates a message.
SQLite in the data dir by default, or the PostgreSQL database of ``SWITCHBOARD_DATABASE_URL``
(through the data-access layer).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from langchain_core.messages import AIMessage, BaseMessage, ToolMessage
from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    delete,
    func,
    select,
)

from conversation.paths import data_dir
from conversation.pii import mask, mask_structure
from conversation.tokens import message_text
from data_access import IsoTimestamp, ensure_tables, open_database, server_database_or

TABLE = "transcript_messages"
COLUMNS = (
    "thread_id",
    "seq",
    "turn",
    "message_id",
    "role",
    "agent",
    "content",
    "tool_calls",
    "tool_call_id",
    "created_at",
)
_ROLES = {"human": "user", "ai": "assistant", "tool": "tool", "system": "system"}
METADATA = MetaData()
MESSAGES = Table(
    TABLE,
    METADATA,
    Column("thread_id", Text, nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("turn", Integer, nullable=False),
    Column("message_id", Text, nullable=False),
    Column("role", Text, nullable=False),
    Column("agent", Text),
    Column("content", Text, nullable=False),
    Column("tool_calls", Text),
    Column("tool_call_id", Text),
    Column("created_at", IsoTimestamp, nullable=False),
    PrimaryKeyConstraint("thread_id", "message_id"),
    Index(f"{TABLE}_seq", "thread_id", "seq"),
)


class UnknownThread(LookupError):
    """The transcript store holds no messages for the thread."""


class TranscriptStore(Protocol):
    """Append-only, idempotent message log per thread."""

    url: str

    def append(
        self, thread_id: str, messages: Sequence[BaseMessage], *, turn: int, agent: str = ""
    ) -> int:
        """Store the messages not stored yet (by id); return how many were new."""
        ...

    def export(self, thread_id: str) -> Iterator[dict[str, Any]]:
        """The thread's messages in order; raises ``UnknownThread`` when it has none."""
        ...

    def close(self) -> None:
        """Release the connection."""
        ...


def resolve_url(url: str | None = None) -> str:
    """The transcript URL: ``url``, else ``$SWITCHBOARD_TRANSCRIPT_URL``, else a
    ``postgresql://`` ``$SWITCHBOARD_DATABASE_URL``, else ``transcripts.sqlite`` in the data dir."""
    for candidate in (url, os.environ.get("SWITCHBOARD_TRANSCRIPT_URL")):
        if candidate and candidate.strip():
            return candidate.strip()
    database = os.environ.get("SWITCHBOARD_DATABASE_URL", "")
    return server_database_or(database, data_dir() / "transcripts.sqlite")


def message_id(message: BaseMessage, thread_id: str, turn: int) -> str:
    """The message's id, or a stable hash of its content when it has none."""
    if message.id:
        return str(message.id)
    digest = hashlib.sha1(
        f"{thread_id}\x00{turn}\x00{message.type}\x00{message_text(message)}".encode()
    ).hexdigest()
    return f"h-{digest[:24]}"


def to_row(message: BaseMessage, thread_id: str, turn: int, agent: str) -> dict[str, Any]:
    """The stored form of one message (without ``seq``), PII masked."""
    calls = []
    if isinstance(message, AIMessage):
        calls = [
            {"id": c.get("id"), "name": c["name"], "args": mask_structure(c.get("args", {}))}
            for c in message.tool_calls
        ]
    return {
        "thread_id": thread_id,
        "turn": turn,
        "message_id": message_id(message, thread_id, turn),
        "role": _ROLES.get(message.type, message.type),
        "agent": (message.name or agent) if isinstance(message, AIMessage) else "",
        "content": mask(message_text(message)),
        "tool_calls": json.dumps(calls, ensure_ascii=False) if calls else "",
        "tool_call_id": message.tool_call_id if isinstance(message, ToolMessage) else "",
        "created_at": datetime.now(UTC).isoformat(timespec="milliseconds"),
    }


def from_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """An exported record (tool calls parsed back from JSON)."""
    record = {column: row[column] for column in COLUMNS}
    record["tool_calls"] = json.loads(record["tool_calls"]) if record["tool_calls"] else []
    if isinstance(record["created_at"], datetime):
        record["created_at"] = record["created_at"].isoformat(timespec="milliseconds")
    return record


def _new_rows(
    thread_id: str, messages: Sequence[BaseMessage], turn: int, agent: str, known: set[str]
) -> list[dict[str, Any]]:
    """Rows for messages whose ids are not in ``known`` (duplicates in the batch dropped)."""
    rows: list[dict[str, Any]] = []
    for message in messages:
        row = to_row(message, thread_id, turn, agent)
        if row["message_id"] not in known:
            known.add(row["message_id"])
            rows.append(row)
    return rows


class Transcript:
    """The transcript table in one database; appends to one thread are serialized (a lock per
    thread), so sequence numbers stay gapless across processes."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.db = open_database(url, "transcript")
        ensure_tables(self.db, "transcript", METADATA)

    def append(
        self, thread_id: str, messages: Sequence[BaseMessage], *, turn: int, agent: str = ""
    ) -> int:
        """Store the messages not stored yet (by id); return how many were new."""
        if not messages:
            return 0
        ids = [message_id(m, thread_id, turn) for m in messages]
        table = MESSAGES
        with self.db.transaction() as tx:
            tx.lock(f"{TABLE}:{thread_id}")
            known = {
                row["message_id"]
                for row in tx.all(
                    select(table.c.message_id).where(
                        table.c.thread_id == thread_id, table.c.message_id.in_(ids)
                    )
                )
            }
            rows = _new_rows(thread_id, messages, turn, agent, known)
            top = int(
                tx.scalar(
                    select(func.coalesce(func.max(table.c.seq), 0)).where(
                        table.c.thread_id == thread_id
                    )
                )
                or 0
            )
            tx.executemany(
                tx.insert_ignore(table),
                [{**row, "seq": top + i} for i, row in enumerate(rows, start=1)],
            )
        return len(rows)

    def export(self, thread_id: str) -> Iterator[dict[str, Any]]:
        """The thread's messages in order; raises ``UnknownThread`` when it has none."""
        table = MESSAGES
        with self.db.read() as tx:
            rows = tx.all(
                select(*(table.c[c] for c in COLUMNS))
                .where(table.c.thread_id == thread_id)
                .order_by(table.c.seq)
            )
        if not rows:
            raise UnknownThread(f"no transcript for thread {thread_id!r} in {self.db.url.redacted}")
        return (from_row(row) for row in rows)

    def delete_thread(self, thread_id: str) -> None:
        """Remove a thread's transcript (tests and data-retention jobs)."""
        with self.db.transaction() as tx:
            tx.execute(delete(MESSAGES).where(MESSAGES.c.thread_id == thread_id))

    def close(self) -> None:
        """Close the database's connections."""
        self.db.close()


def open_transcript(url: str | None = None) -> TranscriptStore:
    """The transcript store for ``url`` (see ``resolve_url``), one per URL and process."""
    return _open(resolve_url(url))


@functools.lru_cache(maxsize=8)
def _open(url: str) -> TranscriptStore:
    """Open (once) the store behind a resolved URL."""
    return Transcript(url)
