"""Thread registry: which customer owns which conversation thread, and of which graph."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

from sqlalchemy import Column, Double, MetaData, Table, Text, insert, select, update

from app.stores import server_database_url
from data_access import Database, ensure_tables, open_database

METADATA = MetaData()
THREADS = Table(
    "sb_threads",
    METADATA,
    Column("thread_id", Text, primary_key=True),
    Column("customer_id", Text),
    Column("graph", Text, nullable=False),
    Column("created_at", Double, nullable=False),
    Column("updated_at", Double, nullable=False),
)


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

    def __init__(self, url: str | None = None, db: Database | None = None) -> None:
        self._owned = db is None
        self.db = db if db is not None else open_database(server_database_url(url), "database")
        self.url = self.db.url.raw
        ensure_tables(self.db, "threads", METADATA)

    def create(self, customer_id: str | None, graph: str = "support", thread_id: str = "") -> str:
        """Register a new thread and return its id."""
        thread_id = thread_id or uuid.uuid4().hex[:12]
        now = time.time()
        with self.db.transaction() as tx:
            tx.execute(
                insert(THREADS).values(
                    thread_id=thread_id,
                    customer_id=customer_id,
                    graph=graph,
                    created_at=now,
                    updated_at=now,
                )
            )
        return thread_id

    def get(self, thread_id: str) -> ThreadInfo:
        """The thread ``thread_id``, or ``UnknownThread``."""
        with self.db.read() as tx:
            row = tx.one(select(THREADS).where(THREADS.c.thread_id == thread_id))
        if row is None:
            raise UnknownThread(
                f"Unknown thread {thread_id!r}. Start a new conversation without --thread, "
                "or list your threads with `switchboard threads`."
            )
        return ThreadInfo(**row)

    def authorize(self, thread_id: str, customer_id: str | None) -> ThreadInfo:
        """The thread, if ``customer_id`` owns it; ``ThreadForbidden`` otherwise."""
        info = self.get(thread_id)
        if info.customer_id != customer_id:
            raise ThreadForbidden(f"Thread {thread_id!r} belongs to another customer.")
        return info

    def touch(self, thread_id: str) -> None:
        """Record activity on a thread."""
        with self.db.read() as tx:
            tx.execute(
                update(THREADS)
                .where(THREADS.c.thread_id == thread_id)
                .values(updated_at=time.time())
            )

    def list(self, customer_id: str | None = None, graph: str | None = None) -> list[ThreadInfo]:
        """Threads, newest first, optionally only one customer's or one graph's."""
        query = select(THREADS)
        if customer_id is not None:
            query = query.where(THREADS.c.customer_id == customer_id)
        if graph is not None:
            query = query.where(THREADS.c.graph == graph)
        with self.db.read() as tx:
            rows = tx.all(query.order_by(THREADS.c.updated_at.desc()))
        return [ThreadInfo(**row) for row in rows]

    def close(self) -> None:
        """Close the registry's own database connections (not a database it was given)."""
        if self._owned:
            self.db.close()
