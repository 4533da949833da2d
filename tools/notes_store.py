"""Shared, versioned notes for multi-agent runs: SQLite by default, Redis when configured.

A note lives under ``(run_id, key)``; posting to a key appends a new version (1, 2, ...) and
never overwrites an earlier one, so every draft a researcher posted stays readable.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Protocol

import redis

from conversation.paths import data_dir


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


SQLITE_SCHEMA = """
CREATE TABLE IF NOT EXISTS notes (
    run_id TEXT NOT NULL,
    key TEXT NOT NULL,
    version INTEGER NOT NULL,
    author TEXT NOT NULL,
    content TEXT NOT NULL,
    sources TEXT NOT NULL,
    meta TEXT NOT NULL,
    created_at REAL NOT NULL,
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    UNIQUE (run_id, key, version)
);
CREATE TRIGGER IF NOT EXISTS notes_append_only_update BEFORE UPDATE ON notes
BEGIN SELECT RAISE(ABORT, 'notes are append-only: post a new version instead'); END;
CREATE TRIGGER IF NOT EXISTS notes_append_only_delete BEFORE DELETE ON notes
BEGIN SELECT RAISE(ABORT, 'notes are append-only: post a new version instead'); END;
"""


class SqliteNotesStore:
    """Notes in one SQLite file (a short-lived connection per call, safe across threads)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as conn:
            conn.executescript(SQLITE_SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """A connection that waits for concurrent writers instead of failing."""
        with closing(sqlite3.connect(str(self.path), timeout=30, isolation_level=None)) as conn:
            conn.row_factory = sqlite3.Row
            yield conn

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
        with self._connect() as conn:
            conn.execute("BEGIN IMMEDIATE")
            row = conn.execute(
                "SELECT COALESCE(MAX(version), 0) FROM notes WHERE run_id = ? AND key = ?",
                (run_id, key),
            ).fetchone()
            note = Note(
                run_id,
                key,
                row[0] + 1,
                author,
                content,
                list(sources or []),
                time.time(),
                dict(meta or {}),
            )
            conn.execute(
                "INSERT INTO notes (run_id, key, version, author, content, sources, meta, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    run_id,
                    key,
                    note.version,
                    author,
                    content,
                    json.dumps(note.sources),
                    json.dumps(note.meta),
                    note.created_at,
                ),
            )
            conn.execute("COMMIT")
        return note

    @staticmethod
    def _note(row: sqlite3.Row) -> Note:
        """A ``Note`` from a ``notes`` row."""
        return Note(
            row["run_id"],
            row["key"],
            row["version"],
            row["author"],
            row["content"],
            json.loads(row["sources"]),
            row["created_at"],
            json.loads(row["meta"]),
        )

    def history(self, run_id: str, key: str) -> list[Note]:
        """Every version of ``key``, oldest first."""
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT * FROM notes WHERE run_id = ? AND key = ? ORDER BY version",
                (run_id, key),
            ).fetchall()
        return [self._note(row) for row in rows]

    def keys(self, run_id: str) -> list[str]:
        """Keys in ``run_id`` in order of first post."""
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT key FROM notes WHERE run_id = ? GROUP BY key ORDER BY MIN(seq)", (run_id,)
            ).fetchall()
        return [row["key"] for row in rows]

    def latest(self, run_id: str) -> list[Note]:
        """The newest version of every key, in order of first post."""
        return [self.history(run_id, key)[-1] for key in self.keys(run_id)]


class RedisNotesStore:
    """Notes in Redis: one list per key (RPUSH is atomic, so versions never collide)."""

    PREFIX = "switchboard:notes"

    def __init__(self, url: str) -> None:
        self.url = url
        self.client: Any = redis.Redis.from_url(url)  # sync client; redis-py types are unions
        try:
            self.client.ping()
        except redis.RedisError as error:
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
    """The configured store: ``explicit``, else ``$SWITCHBOARD_REDIS_URL``, else '' (SQLite)."""
    return (explicit or os.environ.get("SWITCHBOARD_REDIS_URL", "")).strip()


@cache
def _open(url: str) -> NotesStore:
    """One store per URL and process."""
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisNotesStore(url)
    if url and not url.startswith("sqlite:///"):
        raise NotesStoreError(
            f"Unsupported notes store URL {url!r}: use redis://host:port/db or "
            "sqlite:///path/to/notes.sqlite, or leave it empty for notes.sqlite in the data dir."
        )
    return SqliteNotesStore(Path(url.removeprefix("sqlite:///")))


def open_notes_store(url: str | None = None) -> NotesStore:
    """The notes store for ``url`` (default: ``notes_url()``), shared per URL and process.

    With no URL the notes go to ``notes.sqlite`` in the data directory.
    """
    resolved = notes_url(url) or f"sqlite:///{data_dir() / 'notes.sqlite'}"
    return _open(resolved)
