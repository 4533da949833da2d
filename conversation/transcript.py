"""Transcript store: every message of every thread, PII-masked, for audit and export.

The checkpoint keeps only the recent window (older turns are folded into the summary and
removed); the transcript keeps everything. Appends are idempotent per message id, so a
re-run turn or a repeated append of the whole window never duplicates a message.
SQLite in the data dir by default; PostgreSQL (psycopg 3) for ``postgresql://`` URLs.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import psycopg
from langchain_core.messages import AIMessage, BaseMessage, ToolMessage

from conversation.paths import data_dir
from conversation.pii import mask, mask_structure
from conversation.tokens import message_text

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
    database = os.environ.get("SWITCHBOARD_DATABASE_URL", "").strip()
    if database.startswith(("postgresql://", "postgres://")):
        return database
    return f"sqlite:///{data_dir() / 'transcripts.sqlite'}"


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


def from_row(row: Sequence[Any]) -> dict[str, Any]:
    """An exported record (tool calls parsed back from JSON)."""
    record = dict(zip(COLUMNS, row, strict=True))
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


class SqliteTranscript:
    """Transcript in a SQLite file (one connection per store, serialized by a lock)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.url = f"sqlite:///{path}"
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")  # WAL: durable across app crashes
        self._conn.execute(
            f"CREATE TABLE IF NOT EXISTS {TABLE} (thread_id TEXT NOT NULL, seq INTEGER NOT NULL, "
            "turn INTEGER NOT NULL, message_id TEXT NOT NULL, role TEXT NOT NULL, agent TEXT, "
            "content TEXT NOT NULL, tool_calls TEXT, tool_call_id TEXT, created_at TEXT NOT NULL, "
            "PRIMARY KEY (thread_id, message_id))"
        )
        self._conn.execute(f"CREATE INDEX IF NOT EXISTS {TABLE}_seq ON {TABLE} (thread_id, seq)")

    def append(
        self, thread_id: str, messages: Sequence[BaseMessage], *, turn: int, agent: str = ""
    ) -> int:
        """Store the messages not stored yet (by id); return how many were new."""
        if not messages:
            return 0
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                ids = [message_id(m, thread_id, turn) for m in messages]
                marks = ",".join("?" * len(ids))
                known = {
                    r[0]
                    for r in self._conn.execute(
                        f"SELECT message_id FROM {TABLE} WHERE thread_id = ? "
                        f"AND message_id IN ({marks})",
                        [thread_id, *ids],
                    )
                }
                rows = _new_rows(thread_id, messages, turn, agent, known)
                (top,) = self._conn.execute(
                    f"SELECT COALESCE(MAX(seq), 0) FROM {TABLE} WHERE thread_id = ?", [thread_id]
                ).fetchone()
                self._conn.executemany(
                    f"INSERT OR IGNORE INTO {TABLE} ({', '.join(COLUMNS)}) "
                    f"VALUES ({', '.join('?' * len(COLUMNS))})",
                    [
                        [{**row, "seq": top + i}[c] for c in COLUMNS]
                        for i, row in enumerate(rows, start=1)
                    ],
                )
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
        return len(rows)

    def export(self, thread_id: str) -> Iterator[dict[str, Any]]:
        """The thread's messages in order; raises ``UnknownThread`` when it has none."""
        with self._lock:
            rows = self._conn.execute(
                f"SELECT {', '.join(COLUMNS)} FROM {TABLE} WHERE thread_id = ? ORDER BY seq",
                [thread_id],
            ).fetchall()
        if not rows:
            raise UnknownThread(f"no transcript for thread {thread_id!r} in {self.url}")
        return (from_row(row) for row in rows)

    def delete_thread(self, thread_id: str) -> None:
        """Remove a thread's transcript (tests and data-retention jobs)."""
        with self._lock:
            self._conn.execute(f"DELETE FROM {TABLE} WHERE thread_id = ?", [thread_id])

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._conn.close()


class PostgresTranscript:
    """Transcript in PostgreSQL (psycopg 3); appends to one thread are serialized by an
    advisory transaction lock, so sequence numbers stay gapless across processes."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._lock = threading.Lock()
        self._psycopg = psycopg
        self._conn: Any = None
        with self._connection() as conn, conn.transaction():
            # Two processes creating the table at once would race on Postgres's catalog.
            conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"{TABLE}:schema"])
            conn.execute(
                f"CREATE TABLE IF NOT EXISTS {TABLE} (thread_id TEXT NOT NULL, "
                "seq BIGINT NOT NULL, turn INTEGER NOT NULL, message_id TEXT NOT NULL, "
                "role TEXT NOT NULL, agent TEXT, "
                "content TEXT NOT NULL, tool_calls TEXT, tool_call_id TEXT, "
                "created_at TIMESTAMPTZ NOT NULL, PRIMARY KEY (thread_id, message_id))"
            )
            conn.execute(f"CREATE INDEX IF NOT EXISTS {TABLE}_seq ON {TABLE} (thread_id, seq)")

    def _connection(self) -> Any:
        """The open connection (reopened after it was closed or broken)."""
        if self._conn is None or self._conn.closed or self._conn.broken:
            self._conn = self._psycopg.connect(self.url, autocommit=True)
        return _Borrowed(self._conn)

    def append(
        self, thread_id: str, messages: Sequence[BaseMessage], *, turn: int, agent: str = ""
    ) -> int:
        """Store the messages not stored yet (by id); return how many were new."""
        if not messages:
            return 0
        ids = [message_id(m, thread_id, turn) for m in messages]
        with self._lock, self._connection() as conn, conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"{TABLE}:{thread_id}"])
            known = {
                r[0]
                for r in conn.execute(
                    f"SELECT message_id FROM {TABLE} WHERE thread_id = %s AND message_id = ANY(%s)",
                    [thread_id, ids],
                )
            }
            rows = _new_rows(thread_id, messages, turn, agent, known)
            (top,) = conn.execute(
                f"SELECT COALESCE(MAX(seq), 0) FROM {TABLE} WHERE thread_id = %s", [thread_id]
            ).fetchone()
            with conn.cursor() as cur:
                cur.executemany(
                    f"INSERT INTO {TABLE} ({', '.join(COLUMNS)}) "
                    f"VALUES ({', '.join(['%s'] * len(COLUMNS))}) ON CONFLICT DO NOTHING",
                    [
                        [{**row, "seq": top + i}[c] for c in COLUMNS]
                        for i, row in enumerate(rows, start=1)
                    ],
                )
        return len(rows)

    def export(self, thread_id: str) -> Iterator[dict[str, Any]]:
        """The thread's messages in order; raises ``UnknownThread`` when it has none."""
        with self._lock, self._connection() as conn:
            rows = conn.execute(
                f"SELECT {', '.join(COLUMNS)} FROM {TABLE} WHERE thread_id = %s ORDER BY seq",
                [thread_id],
            ).fetchall()
        if not rows:
            raise UnknownThread(f"no transcript for thread {thread_id!r} in {_redact(self.url)}")
        return (from_row(row) for row in rows)

    def delete_thread(self, thread_id: str) -> None:
        """Remove a thread's transcript (tests and data-retention jobs)."""
        with self._lock, self._connection() as conn:
            conn.execute(f"DELETE FROM {TABLE} WHERE thread_id = %s", [thread_id])

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()


class _Borrowed:
    """Context manager handing out a long-lived connection without closing it on exit."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn

    def __enter__(self) -> Any:
        return self.conn

    def __exit__(self, *exc: object) -> None:
        return None


def _redact(url: str) -> str:
    """``url`` without its password, for messages."""
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    credentials, host = rest.rsplit("@", 1)
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}@{host}"


def _sqlite_path(url: str) -> Path:
    """The file of a ``sqlite:///path`` URL or a plain path."""
    return Path(url.removeprefix("sqlite:///") if url.startswith("sqlite:///") else url)


def open_transcript(url: str | None = None) -> TranscriptStore:
    """The transcript store for ``url`` (see ``resolve_url``), one per URL and process."""
    return _open(resolve_url(url))


@functools.lru_cache(maxsize=8)
def _open(url: str) -> TranscriptStore:
    """Open (once) the store behind a resolved URL."""
    if url.startswith(("postgresql://", "postgres://")):
        return PostgresTranscript(url)
    if url.startswith("sqlite:///") or "://" not in url:
        return SqliteTranscript(_sqlite_path(url))
    raise ValueError(
        f"unsupported transcript URL {_redact(url)!r}: use sqlite:///path/to/file.sqlite "
        "or postgresql://user@host/db"
    )
