"""The checkpointer factory: LangGraph's SQLite or Postgres saver for the configured database.

With ``app/server/pgsaver.py`` this is the one place outside ``data_access/`` that imports a
database driver: the checkpointers are LangGraph's own and take driver connections.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.sqlite import SqliteSaver
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from app.server.pgsaver import PooledPostgresSaver
from conversation.paths import data_dir
from data_access import DatabaseUrl, file_url, parse_database_url

CHECKPOINTS_FILE = "checkpoints.sqlite"
"""The embedded database file (checkpoints, threads, inbox) in the data directory."""


def database_url(explicit: str | None = None) -> str:
    """The configured database URL ('' means the embedded SQLite files)."""
    return (explicit or os.environ.get("SWITCHBOARD_DATABASE_URL", "")).strip()


def server_database_url(explicit: str | None = None) -> str:
    """The database of checkpoints, threads and the inbox: the configured URL, else the
    embedded ``checkpoints.sqlite`` in the data directory."""
    return database_url(explicit) or file_url(data_dir() / CHECKPOINTS_FILE)


@contextmanager
def open_checkpointer(url: str | None = None) -> Iterator[BaseCheckpointSaver]:
    """A ready checkpointer for ``url`` (or the default), closed on exit."""
    parsed = parse_database_url(server_database_url(url), "SWITCHBOARD_DATABASE_URL")
    if parsed.shared:
        with _postgres_saver(parsed) as saver:
            yield saver
        return
    with _sqlite_saver(parsed) as saver:
        yield saver


@contextmanager
def _postgres_saver(url: DatabaseUrl) -> Iterator[BaseCheckpointSaver]:
    """``PooledPostgresSaver`` on a psycopg pool of ``SWITCHBOARD_PG_POOL_SIZE`` connections."""
    pool = ConnectionPool(
        url.libpq,
        min_size=1,
        max_size=int(os.environ.get("SWITCHBOARD_PG_POOL_SIZE", "10")),
        kwargs={"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row},
        open=True,
    )
    try:
        postgres = PooledPostgresSaver(pool)
        postgres.setup()
        yield postgres
    finally:
        pool.close()


def sqlite_saver(path: Path | None, synchronous: str = "FULL") -> SqliteSaver:
    """``SqliteSaver`` on one connection to ``path`` (``None``: in memory); WAL and a busy
    timeout let processes share the file. ``synchronous="NORMAL"`` skips the fsync per commit
    (still safe against process crashes). Close it with ``saver.conn.close()``."""
    target = ":memory:"
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        target = str(path)
    conn = sqlite3.connect(target, check_same_thread=False, timeout=30)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={'NORMAL' if synchronous == 'NORMAL' else 'FULL'}")
    saver = SqliteSaver(conn)
    saver.setup()
    return saver


@contextmanager
def _sqlite_saver(url: DatabaseUrl) -> Iterator[BaseCheckpointSaver]:
    """``sqlite_saver`` on the URL's file, closed on exit."""
    saver = sqlite_saver(url.path)
    try:
        yield saver
    finally:
        saver.conn.close()
