"""Thread registry: which customer owns which conversation thread, and of which graph."""

from __future__ import annotations

import sqlite3
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg

from app.stores import database_url, is_postgres, sqlite_path

SCHEMA = """
CREATE TABLE IF NOT EXISTS sb_threads (
    thread_id TEXT PRIMARY KEY,
    customer_id TEXT,
    graph TEXT NOT NULL,
    created_at DOUBLE PRECISION NOT NULL,
    updated_at DOUBLE PRECISION NOT NULL
)
"""


class UnknownThread(LookupError):
    """No thread with that id exists."""


class ThreadForbidden(PermissionError):
    """The thread belongs to another customer."""


@dataclass(frozen=True)
class ThreadInfo:
    """A registered thread."""

    thread_id: str
    customer_id: str | None
    graph: str
    created_at: float
    updated_at: float


class ThreadRegistry:
    """Threads and their owners, in the configured database (SQLite file or Postgres)."""

    def __init__(self, url: str | None = None, pool: Any = None) -> None:
        self.url = database_url(url)
        self._ready = False
        self._pool = pool
        """Optional psycopg connection pool (autocommit) to reuse on Postgres."""

    @contextmanager
    def _connect(self) -> Iterator[Any]:
        if is_postgres(self.url) and self._pool is not None:
            with self._pool.connection() as conn:
                yield conn
            return
        if is_postgres(self.url):
            with psycopg.connect(self.url, autocommit=True) as conn:
                yield conn
            return
        path = sqlite_path("checkpoints.sqlite")
        if self.url.startswith("sqlite:///"):
            path = type(path)(self.url.removeprefix("sqlite:///"))
        conn = sqlite3.connect(str(path), timeout=30)
        try:
            yield conn
            conn.commit()
        finally:
            conn.close()

    def _sql(self, query: str) -> str:
        return query.replace("?", "%s") if is_postgres(self.url) else query

    def _execute(self, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._connect() as conn:
            if not self._ready:
                if is_postgres(self.url):  # concurrent first use races on the catalog
                    with conn.transaction():
                        conn.execute("SELECT pg_advisory_xact_lock(7104552)")
                        conn.execute(SCHEMA)
                else:
                    conn.execute(SCHEMA)
                self._ready = True
            cursor = conn.execute(self._sql(query), params)
            rows = cursor.fetchall() if cursor.description else []
            return [tuple(r.values()) if isinstance(r, dict) else tuple(r) for r in rows]

    def create(self, customer_id: str | None, graph: str = "support", thread_id: str = "") -> str:
        """Register a new thread and return its id."""
        thread_id = thread_id or uuid.uuid4().hex[:12]
        now = time.time()
        self._execute(
            "INSERT INTO sb_threads (thread_id, customer_id, graph, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (thread_id, customer_id, graph, now, now),
        )
        return thread_id

    def get(self, thread_id: str) -> ThreadInfo:
        """The thread ``thread_id``, or ``UnknownThread``."""
        rows = self._execute(
            "SELECT thread_id, customer_id, graph, created_at, updated_at FROM sb_threads "
            "WHERE thread_id = ?",
            (thread_id,),
        )
        if not rows:
            raise UnknownThread(
                f"Unknown thread {thread_id!r}. Start a new conversation without --thread, "
                "or list your threads with `switchboard threads`."
            )
        return ThreadInfo(*rows[0])

    def authorize(self, thread_id: str, customer_id: str | None) -> ThreadInfo:
        """The thread, if ``customer_id`` owns it; ``ThreadForbidden`` otherwise."""
        info = self.get(thread_id)
        if info.customer_id != customer_id:
            raise ThreadForbidden(f"Thread {thread_id!r} belongs to another customer.")
        return info

    def touch(self, thread_id: str) -> None:
        """Record activity on a thread."""
        self._execute(
            "UPDATE sb_threads SET updated_at = ? WHERE thread_id = ?", (time.time(), thread_id)
        )

    def list(self, customer_id: str | None = None, graph: str | None = None) -> list[ThreadInfo]:
        """Threads, newest first, optionally only one customer's or one graph's."""
        query = "SELECT thread_id, customer_id, graph, created_at, updated_at FROM sb_threads"
        clauses, params = [], []
        if customer_id is not None:
            clauses.append("customer_id = ?")
            params.append(customer_id)
        if graph is not None:
            clauses.append("graph = ?")
            params.append(graph)
        if clauses:
            query += " WHERE " + " AND ".join(clauses)
        query += " ORDER BY updated_at DESC"
        return [ThreadInfo(*row) for row in self._execute(query, tuple(params))]
