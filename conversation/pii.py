"""PII masking for stored text: payment cards, dates of birth, emails, long account numbers."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_CARD = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])")
_SSN = re.compile(r"(?<![\d-])\d{3}-\d{2}-(\d{4})(?![\d-])")
_LONG_NUMBER = re.compile(r"(?<![\d-])\d{9,}(?![\d-])")
_LABELLED_NUMBER = re.compile(
    r"(?i)\b(account|acct|iban|routing|sort code|ssn|social security|passport|licen[cs]e)"
    r"(?P<gap>[^\d\n]{0,20})(?!\d{4}-\d{2}-\d{2}\b)(?P<number>[A-Z]{0,4}\d[\d -]{4,}\d)"
)

_MONTHS = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_DATE = (
    r"(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}"
    r"|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTHS}\.?,?\s+\d{{4}}"
    rf"|{_MONTHS}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}})"
)
_DOB = re.compile(
    r"(?i)(?P<label>(?<![^\W_])(?:date[ _-]?of[ _-]?birth|birth[ _-]?date|birthday"
    r"|d\.?o\.?b\.?|born(?: on| in)?)(?![^\W_])"
    r"[^\d\n]{0,25}?)(?P<date>" + _DATE + r")"
)

SENSITIVE_KEYS = re.compile(
    r"(?i)^(date[_ -]?of[_ -]?birth|dob|birth[_ -]?date|birthday|card[_ -]?number|pan|cvv|cvc|"
    r"security[_ -]?code|ssn|social[_ -]?security[_ -]?number|password|passcode|pin)$"
)
"""Keys whose whole value is withheld in masked structures, whatever the value looks like."""
WITHHELD = "[withheld]"
MAX_DEPTH = 20

CARD_MASK = "**** {last4}"
DOB_MASK = "[date of birth]"
EMAIL_MASK = "[email]"


def luhn_valid(digits: str) -> bool:
    """True when the digit string passes the Luhn checksum used by payment cards."""
    if not digits.isdigit():
        return False
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _mask_card(match: re.Match[str]) -> str:
    """A card number → ``**** 4242``; other digit runs are left to the later rules."""
    digits = re.sub(r"\D", "", match.group(0))
    if 13 <= len(digits) <= 19 and luhn_valid(digits):
        return CARD_MASK.format(last4=digits[-4:])
    return match.group(0)


def _keep_last4(number: str) -> str:
    """Stars for every digit but the last four (letters and separators dropped)."""
    digits = re.sub(r"\D", "", number)
    return "*" * max(len(digits) - 4, 4) + digits[-4:]


def _mask_labelled(match: re.Match[str]) -> str:
    """A labelled account/ID number → the label, then the number with only its last 4."""
    return f"{match.group(1)}{match.group('gap')}{_keep_last4(match.group('number'))}"


def mask(text: str) -> str:
    """``text`` with PII masked: emails, Luhn-valid cards (last 4 kept), SSNs, dates of
    birth when labelled ("born on", "DOB", "date of birth"), labelled account or ID numbers
    and any bare run of 9+ digits (last 4 kept). Other dates and short numbers stay."""
    text = _EMAIL.sub(EMAIL_MASK, text)
    text = _CARD.sub(_mask_card, text)
    text = _SSN.sub(lambda m: f"***-**-{m.group(1)}", text)
    text = _DOB.sub(lambda m: f"{m.group('label')}{DOB_MASK}", text)
    text = _LABELLED_NUMBER.sub(_mask_labelled, text)
    return _LONG_NUMBER.sub(lambda m: _keep_last4(m.group(0)), text)


def mask_structure(value: Any, _depth: int = 0) -> Any:
    """``value`` with every string masked, recursively through dicts, lists and tuples.

    Values under sensitive keys (``date_of_birth``, ``card_number``, ``cvv`` ...) are
    withheld whole, since a bare ``"1988-03-14"`` carries no label to mask by. Long
    integers are masked like long digit runs; other objects are masked through ``str``.
    """
    if _depth > MAX_DEPTH:
        return "[nested too deep]"
    if isinstance(value, str):
        return mask(value)
    if value is None or isinstance(value, bool | float):
        return value
    if isinstance(value, int):
        return mask(str(value)) if len(str(abs(value))) >= 9 else value
    if isinstance(value, Mapping):
        return {
            key: WITHHELD
            if isinstance(key, str) and SENSITIVE_KEYS.match(key) and item not in (None, "")
            else mask_structure(item, _depth + 1)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return type(value)(mask_structure(item, _depth + 1) for item in value)
    return mask(str(value))
