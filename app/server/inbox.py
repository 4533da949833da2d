"""The per-thread inbox: every accepted message gets a sequence number and a durable status."""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from typing import Any, Literal

from psycopg import errors

from app.server.db import Cursor, Row, SqlDb

Status = Literal["queued", "running", "done", "failed", "rejected"]
FINAL: frozenset[str] = frozenset({"done", "failed", "rejected"})
PENDING = ("queued", "running")

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS sb_inbox (
        thread_id TEXT NOT NULL,
        seq BIGINT NOT NULL,
        kind TEXT NOT NULL,
        payload TEXT NOT NULL,
        client_id TEXT,
        status TEXT NOT NULL,
        cancel INTEGER NOT NULL DEFAULT 0,
        attempts INTEGER NOT NULL DEFAULT 0,
        result TEXT,
        error TEXT,
        error_code TEXT,
        created_at DOUBLE PRECISION NOT NULL,
        updated_at DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (thread_id, seq)
    )""",
    "CREATE UNIQUE INDEX IF NOT EXISTS sb_inbox_client ON sb_inbox (thread_id, client_id)",
    """CREATE TABLE IF NOT EXISTS sb_inbox_seq (
        thread_id TEXT PRIMARY KEY,
        last_seq BIGINT NOT NULL
    )""",
)
_NEXT_SEQ = (
    "INSERT INTO sb_inbox_seq (thread_id, last_seq) VALUES (?, 1) "
    "ON CONFLICT (thread_id) DO UPDATE SET last_seq = sb_inbox_seq.last_seq + 1 "
    "RETURNING last_seq"
)
"""Take the thread's next sequence number. The counter row stays locked until commit, so
commit order equals sequence order."""
_COLUMNS = (
    "thread_id, seq, kind, payload, client_id, status, cancel, attempts, result, error, "
    "error_code, created_at, updated_at"
)


@dataclass(frozen=True)
class Entry:
    """One accepted message (``kind='message'``) or confirmation answer (``kind='answer'``)."""

    thread_id: str
    seq: int
    kind: str
    payload: dict[str, Any]
    client_id: str | None
    status: str
    cancel: bool
    attempts: int
    result: dict[str, Any] | None
    error: str | None
    error_code: str | None
    created_at: float
    updated_at: float

    @property
    def final(self) -> bool:
        """Whether processing of this entry has ended (done, failed or rejected)."""
        return self.status in FINAL


def _entry(row: Row) -> Entry:
    return Entry(
        thread_id=row["thread_id"],
        seq=int(row["seq"]),
        kind=row["kind"],
        payload=json.loads(row["payload"]),
        client_id=row["client_id"],
        status=row["status"],
        cancel=bool(row["cancel"]),
        attempts=int(row["attempts"]),
        result=json.loads(row["result"]) if row["result"] else None,
        error=row["error"],
        error_code=row["error_code"],
        created_at=float(row["created_at"]),
        updated_at=float(row["updated_at"]),
    )


class Inbox:
    """Durable, ordered messages per thread: the source of truth for 'accepted exactly once'."""

    def __init__(self, db: SqlDb) -> None:
        self.db = db

    def setup(self) -> None:
        """Create the tables (safe to call from several processes at once)."""
        with self.db.transaction() as cur:
            if self.db.postgres:
                cur.rows("SELECT pg_advisory_xact_lock(7104552)")
            for statement in SCHEMA:
                cur.rows(statement)

    def enqueue(
        self, thread_id: str, kind: str, payload: dict[str, Any], client_id: str | None = None
    ) -> tuple[Entry, bool]:
        """Accept a message: ``(entry, True)``, or the earlier entry with this ``client_id``.

        Sequence numbers grow with arrival; on Postgres a resent ``client_id`` may leave a gap.
        """
        if self.db.postgres:
            return self._enqueue_postgres(thread_id, kind, payload, client_id)
        for _attempt in range(3):
            try:
                with self.db.transaction() as cur:
                    if client_id:
                        existing = self._by_client(cur, thread_id, client_id)
                        if existing is not None:
                            return existing, False
                    return self._insert(cur, thread_id, kind, payload, client_id), True
            except Exception as error:  # a concurrent retry with the same client id won the race
                if not client_id or not _is_unique_violation(error):
                    raise
        raise RuntimeError(f"Could not enqueue a message on thread {thread_id!r}; retry.")

    def _enqueue_postgres(
        self, thread_id: str, kind: str, payload: dict[str, Any], client_id: str | None
    ) -> tuple[Entry, bool]:
        """``enqueue`` in one statement; the earlier entry when ``client_id`` was seen."""
        now = time.time()
        rows = self.db.rows(
            f"WITH next AS ({_NEXT_SEQ}) INSERT INTO sb_inbox ({_COLUMNS}) "
            "SELECT ?, last_seq, ?, ?, ?, 'queued', 0, 0, NULL, NULL, NULL, ?, ? FROM next "
            f"ON CONFLICT (thread_id, client_id) DO NOTHING RETURNING {_COLUMNS}",
            (thread_id, thread_id, kind, json.dumps(payload), client_id, now, now),
        )
        if rows:
            return _entry(rows[0]), True
        existing = self.find(thread_id, client_id) if client_id else None
        if existing is None:
            raise RuntimeError(f"Could not enqueue a message on thread {thread_id!r}; retry.")
        return existing, False

    @staticmethod
    def _by_client(cur: Cursor, thread_id: str, client_id: str) -> Entry | None:
        rows = cur.rows(
            f"SELECT {_COLUMNS} FROM sb_inbox WHERE thread_id = ? AND client_id = ?",
            (thread_id, client_id),
        )
        return _entry(rows[0]) if rows else None

    @staticmethod
    def _insert(
        cur: Cursor, thread_id: str, kind: str, payload: dict[str, Any], client_id: str | None
    ) -> Entry:
        seq = int(cur.rows(_NEXT_SEQ, (thread_id,))[0]["last_seq"])
        now = time.time()
        rows = cur.rows(
            f"INSERT INTO sb_inbox ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, 'queued', 0, 0, NULL, "
            f"NULL, NULL, ?, ?) RETURNING {_COLUMNS}",
            (thread_id, seq, kind, json.dumps(payload), client_id, now, now),
        )
        return _entry(rows[0])

    def find(self, thread_id: str, client_id: str) -> Entry | None:
        """The entry accepted earlier with this idempotency key, if any."""
        rows = self.db.rows(
            f"SELECT {_COLUMNS} FROM sb_inbox WHERE thread_id = ? AND client_id = ?",
            (thread_id, client_id),
        )
        return _entry(rows[0]) if rows else None

    def get(self, thread_id: str, seq: int) -> Entry | None:
        """The entry ``seq`` of ``thread_id``."""
        rows = self.db.rows(
            f"SELECT {_COLUMNS} FROM sb_inbox WHERE thread_id = ? AND seq = ?", (thread_id, seq)
        )
        return _entry(rows[0]) if rows else None

    def pending(self, thread_id: str, upto: int | None = None) -> list[Entry]:
        """Queued or running entries (oldest first), up to sequence ``upto`` when given."""
        query = f"SELECT {_COLUMNS} FROM sb_inbox WHERE thread_id = ? AND status IN (?, ?)"
        params: list[Any] = [thread_id, *PENDING]
        if upto is not None:
            query += " AND seq <= ?"
            params.append(upto)
        return [_entry(r) for r in self.db.rows(query + " ORDER BY seq", params)]

    def ahead_of(self, thread_id: str, seq: int) -> int:
        """How many unfinished entries come before ``seq``."""
        rows = self.db.rows(
            "SELECT COUNT(*) AS n FROM sb_inbox WHERE thread_id = ? AND status IN (?, ?) "
            "AND seq < ?",
            (thread_id, *PENDING, seq),
        )
        return int(rows[0]["n"])

    def history(self, thread_id: str, limit: int = 200) -> list[Entry]:
        """The newest ``limit`` entries, oldest first."""
        rows = self.db.rows(
            f"SELECT {_COLUMNS} FROM sb_inbox WHERE thread_id = ? ORDER BY seq DESC LIMIT ?",
            (thread_id, limit),
        )
        return [_entry(r) for r in reversed(rows)]

    def claim_next(self, thread_id: str, upto: int | None = None) -> Entry | None:
        """Mark the oldest unfinished entry (up to ``upto``) running and return it.

        Its ``attempts`` then counts this attempt too: above 1, an earlier one was cut off.
        """
        bound, params = ("AND seq <= ?", [upto]) if upto is not None else ("", [])
        rows = self.db.rows(
            "UPDATE sb_inbox SET status = 'running', attempts = attempts + 1, updated_at = ? "
            "WHERE thread_id = ? AND seq = (SELECT MIN(seq) FROM sb_inbox WHERE thread_id = ? "
            f"AND status IN (?, ?) {bound}) RETURNING {_COLUMNS}",
            (time.time(), thread_id, thread_id, *PENDING, *params),
        )
        return _entry(rows[0]) if rows else None

    def unfinished_or_sent(self, thread_id: str, client_id: str | None) -> bool:
        """Whether the thread has unfinished entries, or an entry with ``client_id``."""
        rows = self.db.rows(
            "SELECT 1 AS hit FROM sb_inbox WHERE thread_id = ? AND (status IN (?, ?) "
            "OR client_id = ?) LIMIT 1",
            (thread_id, *PENDING, client_id),
        )
        return bool(rows)

    def finish(
        self,
        thread_id: str,
        seq: int,
        status: Status,
        result: dict[str, Any] | None = None,
        error: str | None = None,
        code: str | None = None,
    ) -> Entry | None:
        """Record the outcome of ``seq`` (``code`` names the error for clients); the entry."""
        rows = self.db.rows(
            "UPDATE sb_inbox SET status = ?, result = ?, error = ?, error_code = ?, "
            f"updated_at = ? WHERE thread_id = ? AND seq = ? RETURNING {_COLUMNS}",
            (
                status,
                json.dumps(result, default=str) if result is not None else None,
                error,
                code,
                time.time(),
                thread_id,
                seq,
            ),
        )
        return _entry(rows[0]) if rows else None

    def request_cancel(self, thread_id: str) -> int:
        """Ask the running turn of ``thread_id`` to stop at its next safe point."""
        rows = self.db.rows(
            "UPDATE sb_inbox SET cancel = 1 WHERE thread_id = ? AND status = 'running' "
            "RETURNING seq",
            (thread_id,),
        )
        return len(rows)

    def cancel_requested(self, thread_id: str, seq: int) -> bool:
        """Whether a newer message asked the turn ``seq`` to stop."""
        rows = self.db.rows(
            "SELECT cancel FROM sb_inbox WHERE thread_id = ? AND seq = ?", (thread_id, seq)
        )
        return bool(rows and rows[0]["cancel"])


def _is_unique_violation(error: Exception) -> bool:
    """Whether ``error`` is a unique-key violation on either database."""
    return isinstance(error, sqlite3.IntegrityError | errors.UniqueViolation)
