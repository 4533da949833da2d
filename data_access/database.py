"""One database behind a SQLAlchemy engine: pooled connections, reads and write transactions."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from typing import Any

from sqlalchemy import Table, create_engine, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.pool import StaticPool
from sqlalchemy.sql import Executable
from sqlalchemy.sql.dml import Insert

from data_access.urls import DatabaseUrl, Kind, parse_database_url

Row = dict[str, Any]
Params = Sequence[Any] | Mapping[str, Any]

_READ_ONLY = "switchboard_autocommit"
"""Execution option of a read connection: statements run on their own, no BEGIN."""
_SQLITE_PRAGMAS = ("PRAGMA busy_timeout=30000", "PRAGMA foreign_keys=ON")
_SQLITE_FILE_PRAGMAS = ("PRAGMA synchronous=NORMAL",)
"""Per connection: in WAL mode, NORMAL sync is durable across process crashes. WAL itself is
a property of the file, switched on once when the ``Database`` opens (switching it on every
connection fails with "database is locked" while another connection writes)."""


class DatabaseUnavailable(RuntimeError):
    """The database a URL names cannot be reached (the message says how to fix it)."""


class DuplicateKey(Exception):
    """An insert hit an existing primary or unique key; the transaction is rolled back."""


class UnsupportedFeature(RuntimeError):
    """The configured database cannot do what was asked (e.g. session locks on SQLite)."""


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for a lock name (PostgreSQL advisory-lock keys)."""
    digest = hashlib.blake2b(name.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _is_unique_violation(error: IntegrityError) -> bool:
    """Whether an integrity error is a duplicate key (not a foreign-key or NULL violation)."""
    original = error.orig
    if getattr(original, "sqlstate", None) == "23505":
        return True
    message = str(original)
    return "UNIQUE constraint failed" in message or "PRIMARY KEY" in message


def _first_line(error: BaseException) -> str:
    original = getattr(error, "orig", None) or error
    lines = str(original).strip().splitlines()
    return lines[0] if lines else type(original).__name__


def insert_ignore(kind: Kind, table: Table, conflict: Sequence[str] | None = None) -> Insert:
    """``INSERT`` for ``kind`` that skips rows whose key (or ``conflict`` columns) exist."""
    module = postgresql if kind == "postgresql" else sqlite
    return module.insert(table).on_conflict_do_nothing(index_elements=conflict)


def upsert(
    kind: Kind,
    table: Table,
    conflict: Sequence[str],
    update: Callable[[Any], Mapping[str, Any]],
) -> Insert:
    """``INSERT`` for ``kind`` that updates the row on a ``conflict`` key instead."""
    module = postgresql if kind == "postgresql" else sqlite
    statement = module.insert(table)
    return statement.on_conflict_do_update(
        index_elements=conflict, set_=dict(update(statement.excluded))
    )


class Tx:
    """Statements on one connection: inside a transaction, or one by one for ``Database.read``.

    Statements are SQLAlchemy Core expressions, or SQL text with ``?`` placeholders (for ad hoc
    filters and tests); rows come back as plain dicts.
    """

    def __init__(self, conn: Connection, kind: Kind) -> None:
        self.conn = conn
        self._kind = kind

    def _run(self, statement: Executable | str, params: Any) -> Any:
        try:
            if isinstance(statement, str):
                return self.conn.exec_driver_sql(self._driver_sql(statement), params)
            return self.conn.execute(statement, params)
        except IntegrityError as error:
            if _is_unique_violation(error):
                raise DuplicateKey(_first_line(error)) from error
            raise

    def _driver_sql(self, sql: str) -> str:
        """``?`` placeholders in the driver's own style (psycopg wants ``%s``)."""
        if self._kind == "postgresql":
            return sql.replace("%", "%%").replace("?", "%s")
        return sql

    @staticmethod
    def _params(statement: Executable | str, params: Params | None) -> Any:
        if isinstance(statement, str):
            return tuple(params or ())
        return dict(params) if isinstance(params, Mapping) else None

    def execute(self, statement: Executable | str, params: Params | None = None) -> int:
        """Run a statement; the number of rows it changed."""
        return int(self._run(statement, self._params(statement, params)).rowcount)

    def executemany(
        self, statement: Executable | str, rows: Sequence[Sequence[Any] | Mapping[str, Any]]
    ) -> None:
        """Run a statement once per row (tuples for ``?`` text, mappings for expressions)."""
        if not rows:
            return
        if isinstance(statement, str):
            self._run(statement, [tuple(row) for row in rows])
        else:
            self._run(statement, [dict(row) for row in rows])

    def all(self, statement: Executable | str, params: Params | None = None) -> list[Row]:
        """Every row of a query (or of a statement's ``RETURNING``)."""
        result = self._run(statement, self._params(statement, params))
        return [dict(row._mapping) for row in result] if result.returns_rows else []

    def one(self, statement: Executable | str, params: Params | None = None) -> Row | None:
        """The first row, or ``None``."""
        rows = self.all(statement, params)
        return rows[0] if rows else None

    def scalar(self, statement: Executable | str, params: Params | None = None) -> Any:
        """The first column of the first row, or ``None``."""
        row = self.one(statement, params)
        return next(iter(row.values())) if row else None

    # -- what differs between the databases --------------------------------------------------

    def lock(self, name: str) -> None:
        """Serialize this transaction with every other one that locks ``name``, until commit.

        PostgreSQL takes a transaction advisory lock; a SQLite write transaction already holds
        the whole database (``BEGIN IMMEDIATE``), so there is nothing more to take.
        """
        if self._kind == "postgresql":
            self.conn.exec_driver_sql("SELECT pg_advisory_xact_lock(%s)", (lock_key(name),))

    def insert_ignore(self, table: Table, conflict: Sequence[str] | None = None) -> Insert:
        """``INSERT`` that skips rows whose key (or the ``conflict`` columns) already exist."""
        return insert_ignore(self._kind, table, conflict)

    def upsert(
        self,
        table: Table,
        conflict: Sequence[str],
        update: Callable[[Any], Mapping[str, Any]],
    ) -> Insert:
        """``INSERT`` that updates the existing row on a ``conflict`` key instead;
        ``update(excluded)`` gives the new column values (``excluded``: the proposed row)."""
        return upsert(self._kind, table, conflict, update)

    def has_table(self, name: str) -> bool:
        """Whether the table exists (in the search path on PostgreSQL)."""
        return bool(self.conn.dialect.has_table(self.conn, name))

    def ensure_namespace(self) -> None:
        """Create the first schema of a PostgreSQL ``search_path`` that does not exist yet
        (URLs with ``options=-csearch_path=name``); nothing to do on SQLite."""
        if self._kind != "postgresql":
            return
        if self.conn.exec_driver_sql("SELECT current_schema()").scalar() is not None:
            return
        path = str(self.conn.exec_driver_sql("SHOW search_path").scalar() or "")
        first = path.split(",")[0].strip().strip('"')
        if not first or first == "$user" or not first.replace("_", "").isalnum():
            raise DatabaseUnavailable(
                f"PostgreSQL search_path {first!r} names no usable schema; create it first or "
                "drop the options=-csearch_path=... part of the URL."
            )
        self.conn.exec_driver_sql(f'CREATE SCHEMA IF NOT EXISTS "{first}"')


class SessionLock:
    """A PostgreSQL session advisory lock held on one pooled connection until ``release``.

    A process that dies closes its connection, and PostgreSQL frees the lock at once.
    """

    def __init__(self, conn: Connection, key: int) -> None:
        self._conn: Connection | None = conn
        self._key = key

    def release(self) -> None:
        """Unlock and return the connection (calling it twice is harmless)."""
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            conn.exec_driver_sql("SELECT pg_advisory_unlock(%s)", (self._key,))
        except DBAPIError:
            conn.invalidate()  # a broken session dropped its locks; never pool it again
        finally:
            conn.close()


def use_wal(tx: Tx, attempts: int = 100, pause_s: float = 0.05) -> None:
    """Put the SQLite file in WAL mode (several processes and threads then share it).

    Two connections switching a new file at the same moment get "database is locked" at once
    (SQLite's busy timeout does not cover the switch), so look again and retry for up to
    ``attempts * pause_s`` seconds.
    """
    for attempt in range(attempts):
        if str(tx.scalar("PRAGMA journal_mode")).lower() == "wal":
            return
        try:
            tx.scalar("PRAGMA journal_mode=WAL")
            return
        except OperationalError as error:
            if "locked" not in str(error) or attempt == attempts - 1:
                raise
            time.sleep(pause_s)


class Database:
    """An engine and its pool for one URL; reads autocommit, writes run in transactions."""

    def __init__(self, url: DatabaseUrl, pool_size: int = 5) -> None:
        self.url = url
        self.engine = _engine(url, pool_size)
        self._serial = threading.RLock() if url.in_memory else None
        """One in-memory connection is shared: its users take turns."""
        self._check()

    @property
    def kind(self) -> Kind:
        """``sqlite`` or ``postgresql`` (for messages and tests; product code asks features)."""
        return self.url.kind

    @property
    def shared(self) -> bool:
        """Whether every process reaches the same database server (see ``DatabaseUrl``)."""
        return self.url.shared

    def _check(self) -> None:
        """Connect once now, so a wrong URL fails at start with the server's reason."""
        try:
            with self.read() as tx:
                tx.scalar("SELECT 1")
                if self.url.path is not None:
                    use_wal(tx)
        except (OperationalError, DBAPIError) as error:
            self.engine.dispose()
            if self.url.shared:
                fix = "Start the server and create the database, or unset the URL to use SQLite."
            else:
                fix = "Check that the folder exists and is writable."
            raise DatabaseUnavailable(
                f"Cannot open the database at {self.url.redacted} ({_first_line(error)}). {fix}"
            ) from error

    def _turn(self) -> Any:
        return self._serial if self._serial is not None else nullcontext()

    @contextmanager
    def read(self) -> Iterator[Tx]:
        """A connection whose statements each commit on their own (no write lock taken)."""
        options: dict[str, Any] = {_READ_ONLY: True}
        if self.url.kind == "postgresql":
            options["isolation_level"] = "AUTOCOMMIT"
        with self._turn(), self.engine.connect() as conn:
            yield Tx(conn.execution_options(**options), self.url.kind)

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        """A write transaction: committed on success, rolled back on error."""
        with self._turn(), self.engine.begin() as conn:
            yield Tx(conn, self.url.kind)

    def insert_ignore(self, table: Table, conflict: Sequence[str] | None = None) -> Insert:
        """``Tx.insert_ignore`` built ahead of a transaction (for statements made once)."""
        return insert_ignore(self.url.kind, table, conflict)

    def upsert(
        self,
        table: Table,
        conflict: Sequence[str],
        update: Callable[[Any], Mapping[str, Any]],
    ) -> Insert:
        """``Tx.upsert`` built ahead of a transaction (for statements made once)."""
        return upsert(self.url.kind, table, conflict, update)

    def try_session_lock(self, key: int) -> SessionLock | None:
        """The session advisory lock ``key``, or ``None`` at once when another session holds
        it (PostgreSQL only: ``UnsupportedFeature`` elsewhere)."""
        if not self.url.shared:
            raise UnsupportedFeature(
                f"Session locks need PostgreSQL; {self.url.redacted} is a SQLite database."
            )
        conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            held = conn.exec_driver_sql("SELECT pg_try_advisory_lock(%s)", (key,)).scalar()
        except BaseException:
            conn.close()
            raise
        if not held:
            conn.close()
            return None
        return SessionLock(conn, key)

    def ping(self) -> None:
        """Raise when the database cannot answer a trivial query."""
        with self.read() as tx:
            tx.scalar(text("SELECT 1"))

    def close(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def _engine(url: DatabaseUrl, pool_size: int) -> Engine:
    """The engine for ``url``, configured for its database."""
    if url.kind == "postgresql":
        return create_engine(
            url.sqlalchemy_url(),
            pool_size=pool_size,
            max_overflow=pool_size,
            pool_timeout=30,
            connect_args={"connect_timeout": 5},
        )
    if url.path is None:
        engine = create_engine(
            url.sqlalchemy_url(),
            poolclass=StaticPool,
            connect_args={"check_same_thread": False},
        )
    else:
        url.path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url.sqlalchemy_url(),
            pool_size=pool_size,
            max_overflow=2 * pool_size,
            pool_timeout=30,
            connect_args={"timeout": 30, "check_same_thread": False},
        )
    pragmas = _SQLITE_PRAGMAS + (_SQLITE_FILE_PRAGMAS if url.path is not None else ())

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # The driver must not open transactions by itself: we say BEGIN IMMEDIATE ourselves.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in pragmas:
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        # Writers take the write lock at BEGIN, so two never deadlock upgrading a read lock.
        if not conn.get_execution_options().get(_READ_ONLY):
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def open_database(url: str, what: str = "database", pool_size: int = 5) -> Database:
    """Open the database ``url`` names (``DatabaseUrlError`` / ``DatabaseUnavailable``
    with a one-line message when it cannot)."""
    return Database(parse_database_url(url, what), pool_size=pool_size)
