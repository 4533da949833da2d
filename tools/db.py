"""Thin connection layer for the telco store: SQLite or PostgreSQL behind one transaction API."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import errors
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

Row = dict[str, Any]
Dialect = Literal["sqlite", "postgres"]

POSTGRES_PREFIXES = ("postgresql://", "postgres://")
SQLITE_PREFIX = "sqlite:///"


class StoreConfigError(ValueError):
    """The store URL is malformed or names an unsupported database."""


class StoreUnavailable(RuntimeError):
    """The database named by the store URL cannot be reached."""


class DuplicateKey(Exception):
    """An insert hit an existing primary key (used for run-once writes)."""


class Tx(Protocol):
    """One open transaction; SQL uses ``?`` placeholders on every dialect."""

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run a statement and return the affected row count."""
        ...

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """Run a statement once per parameter row."""
        ...

    def one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        """Return the first row of a query, or ``None``."""
        ...

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Return every row of a query."""
        ...


def redact_url(url: str) -> str:
    """Return ``url`` with any password replaced by ``***`` (safe for messages and logs)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit(parts._replace(netloc=netloc))


def dialect_of(url: str) -> Dialect:
    """Return which database a store URL names."""
    if url.startswith(POSTGRES_PREFIXES):
        return "postgres"
    if "://" in url and not url.startswith(SQLITE_PREFIX):
        raise StoreConfigError(
            f"Unsupported store URL {redact_url(url)!r}: use postgresql://user@host:port/db, "
            "sqlite:///path/to/file.sqlite3, or a plain file path."
        )
    return "sqlite"


def sqlite_path(url: str) -> Path:
    """Return the file path of a SQLite store URL (``sqlite:///file`` or a plain path)."""
    raw = url[len(SQLITE_PREFIX) :] if url.startswith(SQLITE_PREFIX) else url
    if not raw or raw == ":memory:":
        raise StoreConfigError(
            "The telco store needs a SQLite file (in-memory databases are not shared between "
            "connections): pass sqlite:///path/to/telco.sqlite3 or a file path."
        )
    return Path(raw).expanduser()


@dataclass
class _SqliteTx:
    """A transaction on one SQLite connection."""

    conn: sqlite3.Connection

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        try:
            return self.conn.execute(sql, tuple(params)).rowcount
        except sqlite3.IntegrityError as exc:
            if "UNIQUE" in str(exc) or "PRIMARY KEY" in str(exc):
                raise DuplicateKey(str(exc)) from exc
            raise

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self.conn.executemany(sql, [tuple(r) for r in rows])

    def one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        row = self.conn.execute(sql, tuple(params)).fetchone()
        return dict(row) if row is not None else None

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return [dict(r) for r in self.conn.execute(sql, tuple(params)).fetchall()]


class SqliteDatabase:
    """SQLite file; one short-lived connection per transaction (safe across threads)."""

    dialect: Dialect = "sqlite"

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = self._connect()
        try:
            conn.execute("PRAGMA journal_mode=WAL")
        finally:
            conn.close()

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA foreign_keys=ON")
        return conn

    @contextmanager
    def read(self) -> Iterator[Tx]:
        """A connection for reads, each statement on its own (no write lock taken)."""
        conn = self._connect()
        try:
            yield _SqliteTx(conn)
        finally:
            conn.close()

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        """Open a write-locked transaction; commit on success, roll back on error."""
        conn = self._connect()
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield _SqliteTx(conn)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        finally:
            conn.close()

    def close(self) -> None:
        """Nothing to release: connections live for one transaction."""


@dataclass
class _PostgresTx:
    """A transaction on one pooled psycopg connection."""

    conn: Any

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        try:
            with self.conn.transaction():  # savepoint: a duplicate key leaves the tx usable
                cur = self.conn.execute(_pg(sql), tuple(params))
        except errors.UniqueViolation as exc:
            raise DuplicateKey(str(exc)) from exc
        return int(cur.rowcount)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        with self.conn.cursor() as cur:
            cur.executemany(_pg(sql), [tuple(r) for r in rows])

    def one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        row = self.conn.execute(_pg(sql), tuple(params)).fetchone()
        return dict(row) if row is not None else None

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return [dict(r) for r in self.conn.execute(_pg(sql), tuple(params)).fetchall()]


def _pg(sql: str) -> str:
    """Translate ``?`` placeholders to psycopg's ``%s``."""
    return sql.replace("%", "%%").replace("?", "%s")


class PostgresDatabase:
    """PostgreSQL through a small psycopg connection pool."""

    dialect: Dialect = "postgres"

    def __init__(self, url: str) -> None:
        self.url = url
        try:  # one direct attempt first: fails fast with the server's own reason
            psycopg.connect(url, connect_timeout=5).close()
        except psycopg.OperationalError as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise StoreUnavailable(
                f"Cannot connect to PostgreSQL at {redact_url(url)} ({reason}). Start the server "
                "and create the database, or unset SWITCHBOARD_DATABASE_URL to use SQLite."
            ) from exc
        # Autocommit: a lone read is one round trip; transactions say BEGIN/COMMIT themselves.
        self._pool = ConnectionPool(
            url,
            min_size=1,
            max_size=4,
            kwargs={"row_factory": dict_row, "autocommit": True},
            open=True,
        )

    @contextmanager
    def read(self) -> Iterator[Tx]:
        """A pooled connection for reads, each statement on its own (no BEGIN/COMMIT)."""
        with self._pool.connection() as conn:
            yield _PostgresTx(conn)

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        """Open a transaction; commit on success, roll back on error."""
        with self._pool.connection() as conn, conn.transaction():
            yield _PostgresTx(conn)

    def close(self) -> None:
        """Close the pool's connections."""
        self._pool.close()


Database = SqliteDatabase | PostgresDatabase


def connect(url: str) -> Database:
    """Open the database a store URL names (no schema work here)."""
    if dialect_of(url) == "postgres":
        return PostgresDatabase(url)
    return SqliteDatabase(sqlite_path(url))
