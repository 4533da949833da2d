"""Open the checkpointer configured for this process: SQLite by default, Postgres by URL."""

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


def database_url(explicit: str | None = None) -> str:
    """The configured database URL ('' means the embedded SQLite files)."""
    return (explicit or os.environ.get("SWITCHBOARD_DATABASE_URL", "")).strip()


def is_postgres(url: str) -> bool:
    """Whether ``url`` names a PostgreSQL database."""
    return url.startswith(("postgresql://", "postgres://"))


def sqlite_path(name: str) -> Path:
    """Path of an embedded SQLite file in the data directory."""
    return data_dir() / name


@contextmanager
def open_checkpointer(url: str | None = None) -> Iterator[BaseCheckpointSaver]:
    """A ready checkpointer for ``url`` (or the default), closed on exit."""
    resolved = database_url(url)
    if is_postgres(resolved):
        pool = ConnectionPool(
            resolved,
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
        return
    if resolved and not resolved.startswith("sqlite:"):
        raise ValueError(
            f"Unsupported SWITCHBOARD_DATABASE_URL {resolved!r}: use postgresql://... or "
            "sqlite:///path/to/file.sqlite, or leave it empty for the embedded SQLite files."
        )

    path = (
        Path(resolved.removeprefix("sqlite:///")) if resolved else sqlite_path("checkpoints.sqlite")
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    # WAL + a busy timeout let several processes (uvicorn workers) share the file.
    conn = sqlite3.connect(str(path), check_same_thread=False, timeout=30)
    conn.execute("PRAGMA journal_mode=WAL")
    try:
        saver = SqliteSaver(conn)
        saver.setup()
        yield saver
    finally:
        conn.close()
