"""Database URLs as the settings give them: parsed once, checked, redacted for messages."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

Kind = Literal["sqlite", "postgresql"]

POSTGRES_SCHEMES = ("postgresql://", "postgres://", "postgresql+psycopg://")
SQLITE_SCHEME = "sqlite://"
MEMORY = ":memory:"
FORMS = "postgresql://user@host:5432/db, sqlite:///path/to/file.sqlite or a plain file path"


class DatabaseUrlError(ValueError):
    """A database URL is malformed or names a database we do not support (one-line message)."""


def redact_url(url: str) -> str:
    """``url`` with any password replaced by ``***`` (safe for messages and logs)."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return url
    if password is None:
        return url
    netloc = parts.netloc.replace(f":{password}@", ":***@")
    return urlunsplit(parts._replace(netloc=netloc))


@dataclass(frozen=True)
class DatabaseUrl:
    """A checked database URL: which kind of database, and where."""

    raw: str
    """The URL as configured (may hold a password: print ``redacted`` instead)."""
    kind: Kind
    path: Path | None = None
    """The SQLite file (``None`` for PostgreSQL and for an in-memory SQLite database)."""

    @property
    def redacted(self) -> str:
        """The URL without its password."""
        return redact_url(self.raw)

    @property
    def in_memory(self) -> bool:
        """An in-memory SQLite database (one per ``Database``; gone when it closes)."""
        return self.kind == "sqlite" and self.path is None

    @property
    def shared(self) -> bool:
        """A database server that every process of a deployment reaches (advisory locks,
        one copy of each table), as opposed to a local file."""
        return self.kind == "postgresql"

    @property
    def libpq(self) -> str:
        """A PostgreSQL URL as libpq and psycopg take it (``postgresql://...``)."""
        return "postgresql://" + self.raw.split("://", 1)[1]

    def sqlalchemy_url(self) -> URL:
        """The URL for ``create_engine`` (PostgreSQL through psycopg 3)."""
        if self.kind == "postgresql":
            rest = self.raw.split("://", 1)[1]
            return make_url(f"postgresql+psycopg://{rest}")
        if self.path is None:
            return make_url("sqlite+pysqlite://")
        return URL.create("sqlite+pysqlite", database=str(self.path))


def parse_database_url(raw: str, what: str = "database") -> DatabaseUrl:
    """Parse a PostgreSQL URL, a ``sqlite:///file`` URL (``sqlite://`` or ``sqlite:///:memory:``
    for memory) or a plain file path; ``DatabaseUrlError`` names ``what`` and the valid forms."""
    text = raw.strip()
    if not text:
        raise DatabaseUrlError(f"The {what} URL is empty: use {FORMS}.")
    if text.startswith(POSTGRES_SCHEMES):
        try:
            parsed = make_url(f"postgresql+psycopg://{text.split('://', 1)[1]}")
        except (ArgumentError, ValueError) as error:
            raise DatabaseUrlError(
                f"Malformed {what} URL {redact_url(text)!r} ({error}): use {FORMS}."
            ) from None
        if not parsed.database:
            raise DatabaseUrlError(
                f"The {what} URL {redact_url(text)!r} names no database: add /dbname at the end."
            )
        return DatabaseUrl(text, "postgresql")
    if text.startswith(SQLITE_SCHEME):
        rest = text[len(SQLITE_SCHEME) :]
        if rest in ("", "/", f"/{MEMORY}"):
            return DatabaseUrl(text, "sqlite")
        if not rest.startswith("/"):
            raise DatabaseUrlError(
                f"Malformed {what} URL {redact_url(text)!r}: write sqlite:///path/to/file.sqlite "
                "(three slashes, then the path)."
            )
        return DatabaseUrl(text, "sqlite", Path(rest[1:]).expanduser())
    if "://" in text:
        raise DatabaseUrlError(f"Unsupported {what} URL {redact_url(text)!r}: use {FORMS}.")
    if text == MEMORY:
        return DatabaseUrl(text, "sqlite")
    return DatabaseUrl(text, "sqlite", Path(text).expanduser())


def file_url(path: Path) -> str:
    """The ``sqlite:///`` URL of a SQLite file."""
    return f"sqlite:///{path}"


def server_database_or(database_url: str, fallback: Path) -> str:
    """``database_url`` when it names a shared database server, else the SQLite file
    ``fallback`` (a store that keeps its own file next to the others)."""
    if database_url.strip() and parse_database_url(database_url).shared:
        return database_url.strip()
    return file_url(fallback)
