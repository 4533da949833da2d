"""The data-access layer: every database and Redis connection of the product goes through here.

Product modules describe their tables with SQLAlchemy Core and ask this package for a
``Database`` (engine, pool, transactions) and for the few statements whose SQL differs between
SQLite and PostgreSQL (upserts, insert-or-ignore, locks). Nothing outside this package (and the
checkpointer factory, ``app/stores.py``) imports ``sqlite3``, ``psycopg`` or ``redis``, or asks
which database it is talking to. See docs/data.md.
"""

from data_access.database import (
    Database,
    DatabaseUnavailable,
    DuplicateKey,
    Row,
    SessionLock,
    Tx,
    open_database,
)
from data_access.schema import Migration, append_only, ensure_tables
from data_access.types import IsoTimestamp, JsonText
from data_access.urls import (
    DatabaseUrl,
    DatabaseUrlError,
    file_url,
    parse_database_url,
    redact_url,
    server_database_or,
)

__all__ = [
    "Database",
    "DatabaseUnavailable",
    "DatabaseUrl",
    "DatabaseUrlError",
    "DuplicateKey",
    "IsoTimestamp",
    "JsonText",
    "Migration",
    "Row",
    "SessionLock",
    "Tx",
    "append_only",
    "ensure_tables",
    "file_url",
    "open_database",
    "parse_database_url",
    "redact_url",
    "server_database_or",
]
