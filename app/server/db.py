"""A small SQL helper for the server's own tables: SQLite file or pooled Postgres, ``?`` params."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from app.stores import is_postgres, sqlite_path

Row = dict[str, Any]


class Cursor(Protocol):
    """One open transaction; SQL uses ``?`` placeholders on both databases."""

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Run ``sql`` and return its rows (empty for statements without a result)."""
        ...


class _SqliteCursor:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        cursor = self._conn.execute(sql, tuple(params))
        return [dict(row) for row in cursor.fetchall()] if cursor.description else []


class _PostgresCursor:
    def __init__(self, conn: Any) -> None:
        self._conn = conn

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        cursor = self._conn.execute(sql.replace("?", "%s"), tuple(params))
        return [dict(row) for row in cursor.fetchall()] if cursor.description else []


class SqlDb:
    """Transactions on the configured database (the same one as checkpoints and threads)."""

    def __init__(self, url: str, pool_size: int = 8) -> None:
        self.url = url
        self.postgres = is_postgres(url)
        self._pool: Any = None
        self._path: Path | None = None
        if self.postgres:
            self._pool = ConnectionPool(
                url,
                min_size=1,
                max_size=pool_size,
                kwargs={"autocommit": True, "row_factory": dict_row},
                open=False,
            )
            self._pool.open(wait=True, timeout=10)
        else:
            self._path = (
                Path(url.removeprefix("sqlite:///")) if url else sqlite_path("checkpoints.sqlite")
            )
            self._path.parent.mkdir(parents=True, exist_ok=True)

    @property
    def pool(self) -> Any:
        """The psycopg pool on Postgres (``None`` on SQLite), for other tables' helpers."""
        return self._pool

    def _sqlite(self) -> sqlite3.Connection:
        assert self._path is not None
        conn = sqlite3.connect(str(self._path), timeout=30, isolation_level=None)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA busy_timeout=30000")
        conn.execute("PRAGMA synchronous=NORMAL")  # WAL: safe against process crashes
        return conn

    @contextmanager
    def transaction(self) -> Iterator[Cursor]:
        """A write transaction: committed on success, rolled back on error."""
        if self.postgres:
            with self._pool.connection() as conn, conn.transaction():
                yield _PostgresCursor(conn)
            return
        conn = self._sqlite()
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield _SqliteCursor(conn)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        finally:
            conn.close()

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Run one read (or one autocommitted statement) and return its rows."""
        if self.postgres:
            with self._pool.connection() as conn:
                return _PostgresCursor(conn).rows(sql, params)
        conn = self._sqlite()
        try:
            return _SqliteCursor(conn).rows(sql, params)
        finally:
            conn.close()

    def ping(self) -> None:
        """Raise when the database cannot answer a trivial query."""
        self.rows("SELECT 1 AS ok")

    def close(self) -> None:
        """Close the Postgres pool (SQLite connections live for one call)."""
        if self._pool is not None:
            self._pool.close()
