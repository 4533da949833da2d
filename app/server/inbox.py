"""The per-thread inbox: every accepted message gets a sequence number and a durable status."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import (
    BigInteger,
    Column,
    Double,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    bindparam,
    func,
    select,
    update,
)

from data_access import Database, JsonText, Row, Tx, ensure_tables

Status = Literal["queued", "running", "done", "failed", "rejected"]
FINAL: frozenset[str] = frozenset({"done", "failed", "rejected"})
PENDING = ("queued", "running")

METADATA = MetaData()
INBOX = Table(
    "sb_inbox",
    METADATA,
    Column("thread_id", Text, nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("kind", Text, nullable=False),
    Column("payload", JsonText, nullable=False),
    Column("client_id", Text),
    Column("status", Text, nullable=False),
    Column("cancel", Integer, nullable=False, server_default="0"),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("result", JsonText),
    Column("error", Text),
    Column("error_code", Text),
    Column("created_at", Double, nullable=False),
    Column("updated_at", Double, nullable=False),
    PrimaryKeyConstraint("thread_id", "seq"),
    Index("sb_inbox_client", "thread_id", "client_id", unique=True),
)
SEQUENCES = Table(
    "sb_inbox_seq",
    METADATA,
    Column("thread_id", Text, primary_key=True),
    Column("last_seq", BigInteger, nullable=False),
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


class _Resent(Exception):
    """The message's ``client_id`` is already in the inbox (rolls the enqueue back)."""


def _entry(row: Row) -> Entry:
    return Entry(
        thread_id=row["thread_id"],
        seq=int(row["seq"]),
        kind=row["kind"],
        payload=row["payload"],
        client_id=row["client_id"],
        status=row["status"],
        cancel=bool(row["cancel"]),
        attempts=int(row["attempts"]),
        result=row["result"],
        error=row["error"],
        error_code=row["error_code"],
        created_at=float(row["created_at"]),
        updated_at=float(row["updated_at"]),
    )


NO_LIMIT = 2**62
"""``upto`` when the caller gives none (sequence numbers never get near it)."""


def _param(name: str, type_: Any = None) -> Any:
    return bindparam(name, type_=type_)


_THREAD = INBOX.c.thread_id == _param("b_thread")
_PENDING = _THREAD & INBOX.c.status.in_(PENDING)
_BY_CLIENT = select(INBOX).where(_THREAD, INBOX.c.client_id == _param("b_client"))
_BY_SEQ = select(INBOX).where(_THREAD, INBOX.c.seq == _param("b_seq"))
_PENDING_UPTO = select(INBOX).where(_PENDING, INBOX.c.seq <= _param("b_upto")).order_by(INBOX.c.seq)
_AHEAD = select(func.count()).where(_PENDING, INBOX.c.seq < _param("b_seq"))
_HISTORY = (
    select(INBOX).where(_THREAD).order_by(INBOX.c.seq.desc()).limit(_param("b_limit", Integer))
)
_CLAIM = (
    update(INBOX)
    .where(
        _THREAD,
        INBOX.c.seq
        == select(func.min(INBOX.c.seq))
        .where(_PENDING, INBOX.c.seq <= _param("b_upto"))
        .scalar_subquery(),
    )
    .values(status="running", attempts=INBOX.c.attempts + 1, updated_at=_param("b_now", Double))
    .returning(*INBOX.c)
)
_FINISH = (
    update(INBOX)
    .where(_THREAD, INBOX.c.seq == _param("b_seq"))
    .values(
        status=_param("b_status", Text),
        result=_param("b_result", JsonText()),
        error=_param("b_error", Text),
        error_code=_param("b_code", Text),
        updated_at=_param("b_now", Double),
    )
    .returning(*INBOX.c)
)
_CANCEL = (
    update(INBOX)
    .where(_THREAD, INBOX.c.status == "running")
    .values(cancel=1)
    .returning(INBOX.c.seq)
)
_CANCELLED = select(INBOX.c.cancel).where(_THREAD, INBOX.c.seq == _param("b_seq"))
_UNFINISHED = select(INBOX.c.seq).where(_PENDING).limit(1)
_UNFINISHED_OR_SENT = (
    select(INBOX.c.seq)
    .where(_THREAD, INBOX.c.status.in_(PENDING) | (INBOX.c.client_id == _param("b_client")))
    .limit(1)
)
_STALE = (
    select(INBOX.c.thread_id)
    .where(INBOX.c.status.in_(PENDING), INBOX.c.updated_at < _param("b_since", Double))
    .distinct()
)
"""The inbox's statements, built once (constructing a Core statement per call costs more CPU
than running it)."""


class Inbox:
    """Durable, ordered messages per thread: the source of truth for 'accepted exactly once'."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._next_seq = (
            db.upsert(SEQUENCES, ["thread_id"], lambda _new: {"last_seq": SEQUENCES.c.last_seq + 1})
            .values(thread_id=_param("b_thread", Text), last_seq=1)
            .returning(SEQUENCES.c.last_seq)
        )
        """Take the thread's next sequence number; the counter row stays locked until commit."""
        self._add = (
            db.insert_ignore(INBOX, ["thread_id", "client_id"])
            .values(
                thread_id=_param("b_thread", Text),
                seq=_param("b_seq", BigInteger),
                kind=_param("b_kind", Text),
                payload=_param("b_payload", JsonText()),
                client_id=_param("b_client", Text),
                status="queued",
                cancel=0,
                attempts=0,
                created_at=_param("b_now", Double),
                updated_at=_param("b_now", Double),
            )
            .returning(*INBOX.c)
        )

    def setup(self) -> None:
        """Create the tables (safe to call from several processes at once)."""
        ensure_tables(self.db, "inbox", METADATA)

    def enqueue(
        self, thread_id: str, kind: str, payload: dict[str, Any], client_id: str | None = None
    ) -> tuple[Entry, bool]:
        """Accept a message: ``(entry, True)``, or the earlier entry with this ``client_id``.

        One transaction: take the thread's next sequence number (the counter row stays locked
        until commit, so commit order equals sequence order), then insert unless the
        ``client_id`` was seen; a resend rolls the number back and returns the first entry.
        """
        try:
            with self.db.transaction() as tx:
                entry = self._insert(tx, thread_id, kind, payload, client_id)
                if entry is None:
                    raise _Resent  # roll back: the sequence number is given back
                return entry, True
        except _Resent:
            pass
        existing = self.find(thread_id, client_id) if client_id else None
        if existing is None:
            raise RuntimeError(f"Could not enqueue a message on thread {thread_id!r}; retry.")
        return existing, False

    def _insert(
        self, tx: Tx, thread_id: str, kind: str, payload: dict[str, Any], client_id: str | None
    ) -> Entry | None:
        """Insert the entry with the next sequence number; ``None`` when ``client_id`` exists."""
        seq = tx.scalar(self._next_seq, {"b_thread": thread_id})
        row = tx.one(
            self._add,
            {
                "b_thread": thread_id,
                "b_seq": int(seq),
                "b_kind": kind,
                "b_payload": payload,
                "b_client": client_id,
                "b_now": time.time(),
            },
        )
        return _entry(row) if row is not None else None

    def _rows(self, query: Any, **params: Any) -> list[Row]:
        with self.db.read() as tx:
            return tx.all(query, params)

    def find(self, thread_id: str, client_id: str) -> Entry | None:
        """The entry accepted earlier with this idempotency key, if any."""
        rows = self._rows(_BY_CLIENT, b_thread=thread_id, b_client=client_id)
        return _entry(rows[0]) if rows else None

    def get(self, thread_id: str, seq: int) -> Entry | None:
        """The entry ``seq`` of ``thread_id``."""
        rows = self._rows(_BY_SEQ, b_thread=thread_id, b_seq=seq)
        return _entry(rows[0]) if rows else None

    def pending(self, thread_id: str, upto: int | None = None) -> list[Entry]:
        """Queued or running entries (oldest first), up to sequence ``upto`` when given."""
        rows = self._rows(_PENDING_UPTO, b_thread=thread_id, b_upto=_upto(upto))
        return [_entry(r) for r in rows]

    def ahead_of(self, thread_id: str, seq: int) -> int:
        """How many unfinished entries come before ``seq``."""
        rows = self._rows(_AHEAD, b_thread=thread_id, b_seq=seq)
        return int(next(iter(rows[0].values()))) if rows else 0

    def history(self, thread_id: str, limit: int = 200) -> list[Entry]:
        """The newest ``limit`` entries, oldest first."""
        rows = self._rows(_HISTORY, b_thread=thread_id, b_limit=limit)
        return [_entry(r) for r in reversed(rows)]

    def claim_next(self, thread_id: str, upto: int | None = None) -> Entry | None:
        """Mark the oldest unfinished entry (up to ``upto``) running and return it.

        Its ``attempts`` then counts this attempt too: above 1, an earlier one was cut off.
        """
        rows = self._rows(_CLAIM, b_thread=thread_id, b_upto=_upto(upto), b_now=time.time())
        return _entry(rows[0]) if rows else None

    def stale_threads(self, idle_since: float) -> list[str]:
        """Threads with unfinished entries untouched since ``idle_since`` (Unix time)."""
        return [row["thread_id"] for row in self._rows(_STALE, b_since=idle_since)]

    def unfinished_or_sent(self, thread_id: str, client_id: str | None) -> bool:
        """Whether the thread has unfinished entries, or an entry with ``client_id``."""
        if client_id is None:  # (``client_id = NULL`` matches nothing; ``IS NULL`` would)
            return bool(self._rows(_UNFINISHED, b_thread=thread_id))
        return bool(self._rows(_UNFINISHED_OR_SENT, b_thread=thread_id, b_client=client_id))

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
        rows = self._rows(
            _FINISH,
            b_thread=thread_id,
            b_seq=seq,
            b_status=status,
            b_result=result,
            b_error=error,
            b_code=code,
            b_now=time.time(),
        )
        return _entry(rows[0]) if rows else None

    def request_cancel(self, thread_id: str) -> int:
        """Ask the running turn of ``thread_id`` to stop at its next safe point."""
        return len(self._rows(_CANCEL, b_thread=thread_id))

    def cancel_requested(self, thread_id: str, seq: int) -> bool:
        """Whether a newer message asked the turn ``seq`` to stop."""
        rows = self._rows(_CANCELLED, b_thread=thread_id, b_seq=seq)
        return bool(rows and rows[0]["cancel"])


def _upto(upto: int | None) -> int:
    return NO_LIMIT if upto is None else upto
