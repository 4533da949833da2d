"""Structured JSON logs: one object per line, with the current thread and turn on every line."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

from agents.guards.logging import mask_payload
from app.observability.scope import current_thread, current_turn

_RESERVED = frozenset(vars(logging.makeLogRecord({})))
"""Attributes every LogRecord has; anything else was passed with ``extra=`` and is kept."""


class ScopeFilter(logging.Filter):
    """Stamp each record with the thread and turn of the turn being processed."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "thread_id", None) is None:
            record.thread_id = current_thread()
        if getattr(record, "turn", None) is None:
            record.turn = current_turn()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, thread, turn, extras (masked)."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
            "thread": getattr(record, "thread_id", None),
            "turn": getattr(record, "turn", None),
        }
        for key, value in vars(record).items():
            if key not in _RESERVED and key not in {"thread_id", "turn"} and key not in payload:
                payload[key] = value
        if record.exc_info:
            payload["exc"] = self.formatException(record.exc_info)
        return json.dumps(mask_payload(payload), default=str, ensure_ascii=False)


def json_handler(stream: TextIO | None = None) -> logging.Handler:
    """A stream handler that writes JSON lines stamped with thread and turn."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(ScopeFilter())
    return handler
