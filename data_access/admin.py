"""Whole-database chores on a PostgreSQL server: create and drop scratch databases."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool

from data_access.urls import parse_database_url

PROTECTED = frozenset({"postgres", "test", "template0", "template1"})
"""Databases never dropped here."""


def _maintenance_engine(url: str) -> tuple[Engine, str]:
    """An autocommit engine on the server's ``postgres`` database, and the database name."""
    parsed = parse_database_url(url)
    if not parsed.shared:
        raise ValueError(f"{parsed.redacted} is not a PostgreSQL URL.")
    target = parsed.sqlalchemy_url()
    name = target.database or ""
    if not name or name in PROTECTED:
        raise ValueError(f"Refusing to drop {name!r}: name a dedicated scratch database.")
    engine = create_engine(
        target.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=NullPool
    )
    return engine, name


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def drop_database(url: str) -> None:
    """Drop the database ``url`` names (closing its other sessions) if it exists."""
    engine, name = _maintenance_engine(url)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {_quoted(name)} WITH (FORCE)")
    finally:
        engine.dispose()


def recreate_database(url: str) -> None:
    """Drop and create the database ``url`` names (a dedicated scratch database)."""
    drop_database(url)
    engine, name = _maintenance_engine(url)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE {_quoted(name)}")
    finally:
        engine.dispose()


@contextmanager
def scratch_database(server_url: str, name: str) -> Iterator[str]:
    """A fresh database ``name`` on the server of ``server_url``, dropped on exit."""
    url = parse_database_url(server_url).sqlalchemy_url().set(database=name)
    text = url.render_as_string(hide_password=False).replace("+psycopg://", "://", 1)
    recreate_database(text)
    try:
        yield text
    finally:
        drop_database(text)
