"""Column types that differ by database: JSON kept as text, timestamps as ISO-8601 strings."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.types import DateTime, Text, TypeDecorator, TypeEngine


class JsonText(TypeDecorator[Any]):
    """A JSON value stored as text on every database (``None`` stays SQL ``NULL``).

    Text rather than PostgreSQL's ``jsonb``: the stores only read these values whole, and the
    same column type on both databases keeps the stored form (and old tables) identical.
    """

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        """Encode a Python value as JSON (dates and other objects as their ``str``)."""
        if value is None:
            return None
        return json.dumps(value, default=str, ensure_ascii=False, sort_keys=True)

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        """Decode the stored JSON (an empty string reads as ``None``)."""
        return json.loads(value) if value else None


class IsoTimestamp(TypeDecorator[str]):
    """A point in time: ``timestamptz`` on PostgreSQL, ISO-8601 text on SQLite; always read
    back as an ISO-8601 string with milliseconds."""

    impl = Text
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        """``TIMESTAMP WITH TIME ZONE`` on PostgreSQL, text elsewhere."""
        if dialect.name == "postgresql":
            return dialect.type_descriptor(DateTime(timezone=True))
        return dialect.type_descriptor(Text())

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        """Accept a ``datetime`` or an ISO-8601 string."""
        if value is None:
            return None
        moment = datetime.fromisoformat(value) if isinstance(value, str) else value
        if dialect.name == "postgresql":
            return moment
        return moment.isoformat(timespec="milliseconds")

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        """The stored moment as an ISO-8601 string."""
        if isinstance(value, datetime):
            return value.isoformat(timespec="milliseconds")
        return None if value is None else str(value)
