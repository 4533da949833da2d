"""Shared, versioned notes for multi-agent runs: SQL (SQLite or PostgreSQL) or Redis.

A note lives under ``(run_id, key)``; posting to a key appends a new version (1, 2, ...) and
never overwrites an earlier one, so every draft a researcher posted stays readable.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field
from functools import cache
from typing import Any, Protocol

from sqlalchemy import (
    Column,
    Double,
    Integer,
    MetaData,
    Table,
    Text,
    UniqueConstraint,
    func,
    insert,
    select,
)

from conversation.paths import data_dir
from data_access import (
    DatabaseUnavailable,
    DatabaseUrlError,
    JsonText,
    Row,
    append_only,
    ensure_tables,
    open_database,
    server_database_or,
)
from data_access.kv import RedisError, is_redis_url, redis_client


class NotesStoreError(RuntimeError):
    """The notes store is misconfigured or unreachable; the message names the fix."""


@dataclass(frozen=True)
class Note:
    """One version of one note."""

    run_id: str
    key: str
    """What the note is about (usually the plan task id: ``research_company_a``)."""
    version: int
    """1 for the first post to ``key``, then 2, 3, ... (never reused)."""
    author: str
    """Who wrote it (``researcher:Northwind Mobile``, ``analyst``, ...)."""
    content: str
    sources: list[str] = field(default_factory=list)
    """Corpus document ids (or URLs) the content rests on."""
    created_at: float = 0.0
    """Unix time of the post."""
    meta: dict[str, Any] = field(default_factory=dict)
    """Anything else worth keeping (status, stage, ...)."""

    def to_json(self) -> str:
        """The note as one JSON object."""
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str | bytes) -> Note:
        """A note from ``to_json`` output."""
        return cls(**json.loads(text))


class NotesStore(Protocol):
    """What the research graph needs from a notes store."""

    def post(
        self,
        run_id: str,
        key: str,
        author: str,
        content: str,
        sources: list[str] | None = None,
        meta: dict[str, Any] | None = None,
    ) -> Note:
        """Append a new version of note ``key``; returns it with its version number."""
        ...

    def history(self, run_id: str, key: str) -> list[Note]:
        """Every version of ``key``, oldest first."""
        ...

    def keys(self, run_id: str) -> list[str]:
        """Keys with at least one note in ``run_id``, in order of first post."""
        ...

    def latest(self, run_id: str) -> list[Note]:
        """The newest version of every key in ``run_id``, in order of first post."""
        ...


METADATA = MetaData()
NOTES = Table(
    "notes",
    METADATA,
    Column("run_id", Text, nullable=False),
    Column("key", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("author", Text, nullable=False),
    Column("content", Text, nullable=False),
    Column("sources", JsonText, nullable=False),
    Column("meta", JsonText, nullable=False),
    Column("created_at", Double, nullable=False),
    Column("seq", Integer, primary_key=True, autoincrement=True),
    UniqueConstraint("run_id", "key", "version"),
)
append_only(NOTES, "notes are append-only: post a new version instead")


class SqlNotesStore:
    """Notes in a SQL database (a SQLite file or PostgreSQL); safe across threads and
    processes (each post picks its version under a per-key lock)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.db = open_database(url, "notes store")
        ensure_tables(self.db, "notes", METADATA)

    def post(
        self,
        run_id: str,
        key: str,
        author: str,
        content: str,
        sources: list[str] | None = None,
        meta: dict[str, Any] | None = None,
    ) -> Note:
        """Append the next version of ``key`` (the version is chosen inside one transaction)."""
        with self.db.transaction() as tx:
            tx.lock(f"notes:{run_id}:{key}")
            top = tx.scalar(
                select(func.coalesce(func.max(NOTES.c.version), 0)).where(
                    NOTES.c.run_id == run_id, NOTES.c.key == key
                )
            )
            note = Note(
                run_id,
                key,
                int(top or 0) + 1,
                author,
                content,
                list(sources or []),
                time.time(),
                dict(meta or {}),
            )
            tx.execute(insert(NOTES).values({**asdict(note)}))
        return note

    @staticmethod
    def _note(row: Row) -> Note:
        """A ``Note`` from a ``notes`` row."""
        return Note(
            row["run_id"],
            row["key"],
            row["version"],
            row["author"],
            row["content"],
            row["sources"] or [],
            row["created_at"],
            row["meta"] or {},
        )

    def history(self, run_id: str, key: str) -> list[Note]:
        """Every version of ``key``, oldest first."""
        with self.db.read() as tx:
            rows = tx.all(
                select(NOTES)
                .where(NOTES.c.run_id == run_id, NOTES.c.key == key)
                .order_by(NOTES.c.version)
            )
        return [self._note(row) for row in rows]

    def keys(self, run_id: str) -> list[str]:
        """Keys in ``run_id`` in order of first post."""
        with self.db.read() as tx:
            rows = tx.all(
                select(NOTES.c.key)
                .where(NOTES.c.run_id == run_id)
                .group_by(NOTES.c.key)
                .order_by(func.min(NOTES.c.seq))
            )
        return [row["key"] for row in rows]

    def latest(self, run_id: str) -> list[Note]:
        """The newest version of every key, in order of first post."""
        return [self.history(run_id, key)[-1] for key in self.keys(run_id)]

    def close(self) -> None:
        """Close the database's connections."""
        self.db.close()


class RedisNotesStore:
    """Notes in Redis: one list per key (RPUSH is atomic, so versions never collide)."""

    PREFIX = "switchboard:notes"

    def __init__(self, url: str) -> None:
        self.url = url
        self.client: Any = redis_client(url)  # sync client; redis-py types are unions
        try:
            self.client.ping()
        except RedisError as error:
            raise NotesStoreError(
                f"Cannot reach Redis at {url}: {error}. Start Redis or unset SWITCHBOARD_REDIS_URL "
                "to keep notes in SQLite."
            ) from error

    def _list(self, run_id: str, key: str) -> str:
        return f"{self.PREFIX}:{run_id}:note:{key}"

    def _index(self, run_id: str) -> str:
        return f"{self.PREFIX}:{run_id}:keys"

    def post(
        self,
        run_id: str,
        key: str,
        author: str,
        content: str,
        sources: list[str] | None = None,
        meta: dict[str, Any] | None = None,
    ) -> Note:
        """Append the next version of ``key``: its position in the list (RPUSH is atomic)."""
        created = time.time()
        draft = Note(
            run_id, key, 0, author, content, list(sources or []), created, dict(meta or {})
        )
        self.client.zadd(self._index(run_id), {key: created}, nx=True)
        version = int(self.client.rpush(self._list(run_id, key), draft.to_json()))
        return Note(**{**asdict(draft), "version": version})

    def history(self, run_id: str, key: str) -> list[Note]:
        """Every version of ``key``, oldest first (the version is the list position)."""
        raw: list[bytes] = self.client.lrange(self._list(run_id, key), 0, -1)
        return [
            Note(**{**asdict(Note.from_json(item)), "version": index})
            for index, item in enumerate(raw, start=1)
        ]

    def keys(self, run_id: str) -> list[str]:
        """Keys in ``run_id`` in order of first post."""
        raw: list[bytes] = self.client.zrange(self._index(run_id), 0, -1)
        return [item.decode() for item in raw]

    def latest(self, run_id: str) -> list[Note]:
        """The newest version of every key, in order of first post."""
        return [notes[-1] for key in self.keys(run_id) if (notes := self.history(run_id, key))]


def notes_url(explicit: str | None = None) -> str:
    """The configured store: ``explicit``, else ``$SWITCHBOARD_REDIS_URL``, else '' (SQL)."""
    return (explicit or os.environ.get("SWITCHBOARD_REDIS_URL", "")).strip()


@cache
def _open(url: str) -> NotesStore:
    """One store per URL and process."""
    if is_redis_url(url):
        return RedisNotesStore(url)
    try:
        return SqlNotesStore(url)
    except DatabaseUrlError as error:
        raise NotesStoreError(
            f"Unsupported notes store URL {url!r}: use redis://host:port/db, postgresql://... or "
            "sqlite:///path/to/notes.sqlite, or leave it empty for the default."
        ) from error
    except DatabaseUnavailable as error:
        raise NotesStoreError(str(error)) from error


def open_notes_store(url: str | None = None) -> NotesStore:
    """The notes store for ``url`` (default: ``notes_url()``), shared per URL and process.

    With no URL the notes go to the PostgreSQL database of ``SWITCHBOARD_DATABASE_URL`` when
    one is configured, else to ``notes.sqlite`` in the data directory.
    """
    database = os.environ.get("SWITCHBOARD_DATABASE_URL", "")
    resolved = notes_url(url) or server_database_or(database, data_dir() / "notes.sqlite")
    return _open(resolved)
