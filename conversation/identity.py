"""Identity details a person gives about themselves in a message: phone, full name, birth date.

Domain-free: it finds the details; the domain decides what they unlock. Dates of birth are
read in the common written forms (1988-03-14, 14 March 1988, March 14, 1988, 14/03/1988). A
slash or dot date whose day and month could be swapped (03/04/1988) is ambiguous: both
readings are kept, and the lookup must accept only one matching person.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from conversation.facts import PHONE_RE

MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_ISO = re.compile(r"\b(?P<y>(?:19|20)\d\d)[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})\b")
_DAY_MONTH = re.compile(
    rf"\b(?P<d>\d{{1,2}})(?:st|nd|rd|th)?(?:\s+of)?\s+(?P<mon>{_MONTH})\.?,?\s+(?P<y>(?:19|20)\d\d)\b",
    re.IGNORECASE,
)
_MONTH_DAY = re.compile(
    rf"\b(?P<mon>{_MONTH})\.?\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y>(?:19|20)\d\d)\b",
    re.IGNORECASE,
)
_NUMERIC = re.compile(r"\b(?P<a>\d{1,2})[/.](?P<b>\d{1,2})[/.](?P<y>(?:19|20)\d\d)\b")
_NAME_CUE = re.compile(
    r"\b(?:my name is|my name'?s|name'?s|name is|i'?m|i am|this is|it'?s|call me)\s+"
    r"(?P<name>[A-Za-z][A-Za-z'-]+(?:\s+[A-Za-z][A-Za-z'-]+){1,2})",
    re.IGNORECASE,
)
_LEADING_NAME = re.compile(
    r"^\W*(?P<name>[A-Z][a-z'-]+(?:\s+[A-Z][a-z'-]+){1,2})"
    r"(?:\s*[,;:-]|\s+(?=\d|born\b|dob\b|date of birth\b))"
)
"""A name that opens the message, followed by punctuation or directly by a birth date."""
_NOT_NAME = frozenset(
    {
        "and",
        "but",
        "or",
        "born",
        "dob",
        "date",
        "birth",
        "from",
        "here",
        "calling",
        "speaking",
        "please",
        "so",
        "the",
        "a",
        "an",
        "to",
        "with",
        "is",
        "was",
        "my",
        "by",
        "for",
        "at",
        "on",
        "in",
        "now",
        "then",
        "thanks",
        "thank",
        "your",
        "phone",
        "number",
        "about",
    }
)
"""Words that end a name ("Maya Patel born ...")."""


@dataclass(frozen=True)
class IdentityDetails:
    """What a message says about who is writing."""

    phone: str | None = None
    """A phone number as written (``None`` when there is none)."""
    full_name: str | None = None
    """A full name (two or three words), capitalized."""
    birth_dates: tuple[date, ...] = ()
    """Possible dates of birth: one, or two when day and month could be swapped."""

    @property
    def usable(self) -> bool:
        """Whether the details can identify someone: a phone, or a full name with a date."""
        return bool(self.phone or (self.full_name and self.birth_dates))


def _valid(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def birth_dates(text: str) -> tuple[date, ...]:
    """The dates written in ``text`` (the first one found), both readings when ambiguous."""
    for pattern in (_ISO, _DAY_MONTH, _MONTH_DAY):
        match = pattern.search(text)
        if match is None:
            continue
        groups = match.groupdict()
        month = int(groups["m"]) if "m" in groups else MONTHS[groups["mon"].lower().rstrip(".")]
        found = _valid(int(groups["y"]), month, int(groups["d"]))
        return (found,) if found else ()
    match = _NUMERIC.search(text)
    if match is None:
        return ()
    first, second, year = int(match["a"]), int(match["b"]), int(match["y"])
    readings = [_valid(year, second, first), _valid(year, first, second)]  # day first, then US
    return tuple(dict.fromkeys(d for d in readings if d is not None))


def full_name(text: str) -> str | None:
    """A full name introduced in ``text`` ("I'm Maya Patel", "Maya Patel, born ...")."""
    for match in (_NAME_CUE.search(text), _LEADING_NAME.search(text)):
        if match is None:
            continue
        words: list[str] = []
        for word in match["name"].split():
            if word.lower() in _NOT_NAME:
                break
            words.append(word[:1].upper() + word[1:].lower())
        if len(words) >= 2:
            return " ".join(words)
    return None


def phone_number(text: str) -> str | None:
    """The first phone number written in ``text``, not counting dates."""
    without_dates = _NUMERIC.sub(" ", _ISO.sub(" ", text))
    match = PHONE_RE.search(without_dates)
    return match["value"] if match else None


def identity_details(text: str) -> IdentityDetails:
    """The identity details of one message."""
    return IdentityDetails(phone_number(text), full_name(text), birth_dates(text))


_DOB_CUE = re.compile(r"\b(?:born(?: on)?|dob|d\.o\.b\.?|date of birth(?: is)?)\b[:\s]*", re.I)
_PHONE_CUE = re.compile(r"\b(?:my )?(?:phone )?number(?: is)?\b[:\s]*", re.I)


def without_identity(text: str) -> str:
    """``text`` with its identity details (and their cue words) taken out, so that what is
    left says what the person wants ("Maya Patel, 14/03/1988 - show my bills" → "show my
    bills"). Empty when the message was only identity details."""
    spans = []
    for pattern in (_ISO, _DAY_MONTH, _MONTH_DAY, _NUMERIC, PHONE_RE, _DOB_CUE, _PHONE_CUE):
        spans += [match.span() for match in pattern.finditer(text)]
    name = full_name(text)
    if name:
        for pattern in (_NAME_CUE, _LEADING_NAME):
            match = pattern.search(text)
            if match:
                spans.append(match.span())
    kept, last = [], 0
    for start, end in sorted(spans):
        if start >= last:
            kept.append(text[last:start])
        last = max(last, end)
    kept.append(text[last:])
    left = re.sub(r"\s+", " ", " ".join(kept))
    left = re.sub(r"^[\s,;:.!-]+|\s+([,;:.!?])", r"\1", left).strip(" ,;:-")
    return left if re.search(r"[A-Za-z]{3,}", left) else ""
