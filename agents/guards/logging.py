"""PII masking for log records and trace payloads (card numbers, dates of birth, e-mails ...)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from conversation.pii import mask, mask_structure

_INSTALLED_ATTR = "_switchboard_pii_masking"


def mask_text(text: str) -> str:
    """``text`` with card numbers, dates of birth and other PII masked."""
    try:
        return mask(text)
    except Exception:  # masking must never break logging; hide the text instead
        return "[unmaskable text withheld]"


def mask_payload(value: Any) -> Any:
    """Mask every string inside dicts, lists and tuples (for trace inputs and outputs).

    Values under sensitive keys (``date_of_birth``, ``card_number``, ``cvv`` ...) are withheld
    whole. Usable as LangSmith ``Client(hide_inputs=mask_payload, hide_outputs=mask_payload)``
    and for OpenTelemetry span attributes.
    """
    try:
        return mask_structure(value)
    except Exception:  # a payload that cannot be walked is withheld, never sent in clear
        return "[unmaskable payload withheld]"


def mask_record(record: logging.LogRecord) -> logging.LogRecord:
    """Mask a record in place: message, exception text and stack (args are merged first)."""
    if getattr(record, _INSTALLED_ATTR, False):
        return record
    try:
        message = record.getMessage()
    except Exception:  # a bad format string still gets logged, masked
        message = f"{record.msg!r} {record.args!r}"
    record.msg = mask_text(message)
    record.args = ()
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = mask_text(record.exc_text)
    if record.stack_info:
        record.stack_info = mask_text(record.stack_info)
    setattr(record, _INSTALLED_ATTR, True)
    return record


class PiiMaskingFilter(logging.Filter):
    """A handler or logger filter that masks PII in every record it passes (never drops one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        mask_record(record)
        return True


class PiiMaskingFormatter(logging.Formatter):
    """A formatter whose output is masked as a whole (covers custom ``extra`` fields too)."""

    def format(self, record: logging.LogRecord) -> str:
        return mask_text(super().format(mask_record(record)))


def _masking_factory(
    previous: Callable[..., logging.LogRecord],
) -> Callable[..., logging.LogRecord]:
    """A log-record factory that masks each record as it is created."""

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return mask_record(previous(*args, **kwargs))

    setattr(factory, _INSTALLED_ATTR, True)
    return factory


def install_pii_masking() -> None:
    """Mask every log record of the process, whatever logger or handler it goes to.

    Wraps the log-record factory once (idempotent); call it at start-up in each entry point
    (CLI, HTTP server, tests). Records are masked when created, so every handler, including
    pytest's ``caplog`` and exporters added later, only ever sees masked text.
    """
    current = logging.getLogRecordFactory()
    if getattr(current, _INSTALLED_ATTR, False):
        return
    logging.setLogRecordFactory(_masking_factory(current))


def masking_installed() -> bool:
    """True when ``install_pii_masking`` is in effect."""
    return bool(getattr(logging.getLogRecordFactory(), _INSTALLED_ATTR, False))
