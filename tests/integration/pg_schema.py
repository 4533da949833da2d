"""A PostgreSQL schema of a test's own: a URL whose search_path names it, and its removal."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol, TypeVar

from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

from data_access import parse_database_url


class _Closable(Protocol):
    db: Any

    def close(self) -> None: ...


S = TypeVar("S", bound=_Closable)


def schema_url(postgres_url: str, prefix: str) -> tuple[str, str]:
    """(URL whose tables land in a new schema, that schema's name); stores create it."""
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    joiner = "&" if "?" in postgres_url else "?"
    return f"{postgres_url}{joiner}options=-csearch_path%3D{schema}", schema


def drop_schema(postgres_url: str, schema: str) -> None:
    """Drop ``schema`` and everything in it."""
    engine = create_engine(
        parse_database_url(postgres_url).sqlalchemy_url(),
        isolation_level="AUTOCOMMIT",
        poolclass=NullPool,
    )
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        engine.dispose()


@contextmanager
def opened_in_schema(postgres_url: str, prefix: str, opener: Callable[[str], S]) -> Iterator[S]:
    """``opener``'s store on a new schema of its own (checked to be on PostgreSQL), closed
    and dropped afterwards."""
    url, schema = schema_url(postgres_url, prefix)
    opened = opener(url)
    assert opened.db.kind == "postgresql"
    try:
        yield opened
    finally:
        opened.close()
        drop_schema(postgres_url, schema)
