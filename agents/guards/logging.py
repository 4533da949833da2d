"""PII masking for log records and trace payloads (card numbers, dates of birth, e-mails ...)."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from typing import Any

Masker = Callable[[str], str]

_CARD = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])")
_DOB = re.compile(
    r"(?i)(\b(?:date[ _]of[ _]birth|birth ?date|birthday|dob|born(?: on)?)\b[^\d\n]{0,25}?)"
    r"(\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4})"
)
_INSTALLED_ATTR = "_switchboard_pii_masking"
SENSITIVE_KEYS = re.compile(
    r"(?i)^(date[_ ]?of[_ ]?birth|dob|birth[_ ]?date|birthday|card[_ ]?number|pan|cvv|cvc|"
    r"security[_ ]?code|ssn|social[_ ]?security[_ ]?number|password|passcode|pin)$"
)
"""Fields whose whole value is withheld in masked payloads, whatever it looks like."""


def _luhn(digits: str) -> bool:
    """Luhn checksum of a digit string (payment cards pass it)."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char) * (2 if index % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def _fallback_card(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    if 13 <= len(digits) <= 19 and _luhn(digits):
        return f"**** {digits[-4:]}"
    return match.group(0)


def fallback_mask(text: str) -> str:
    """Minimal masking (cards, labelled dates of birth) used only if conversation.pii is absent."""
    text = _CARD.sub(_fallback_card, text)
    return _DOB.sub(lambda m: f"{m.group(1)}[date of birth]", text)


def _extra_mask(text: str) -> str:
    """Masks the shared masker may not cover: ``date_of_birth: 1988-03-14`` style fields."""
    return _DOB.sub(lambda m: f"{m.group(1)}[date of birth]", text)


def pii_masker() -> Masker:
    """``conversation.pii.mask`` (plus field-style dates of birth), or the fallback masker."""
    try:
        from conversation.pii import mask
    except ImportError:
        return fallback_mask
    return lambda text: _extra_mask(mask(text))


def mask_text(text: str) -> str:
    """``text`` with card numbers, dates of birth and other PII masked."""
    try:
        return pii_masker()(text)
    except Exception:  # masking must never break logging; hide the text instead
        return "[unmaskable text withheld]"


def mask_payload(value: Any, _depth: int = 0) -> Any:
    """Mask every string inside dicts, lists and tuples (for trace inputs and outputs).

    Values under sensitive keys (``date_of_birth``, ``card_number``, ``cvv`` ...) are withheld
    whole. Usable as LangSmith ``Client(hide_inputs=mask_payload, hide_outputs=mask_payload)``
    and for OpenTelemetry span attributes. Objects that are not plain containers are masked
    through their ``str``.
    """
    if _depth > 20:
        return "[nested too deep]"
    if isinstance(value, str):
        return mask_text(value)
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, Mapping):
        return {
            key: "[withheld]"
            if isinstance(key, str) and SENSITIVE_KEYS.match(key) and item not in (None, "")
            else mask_payload(item, _depth + 1)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return type(value)(mask_payload(item, _depth + 1) for item in value)
    return mask_text(str(value))


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
