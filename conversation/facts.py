"""Fact sheet: typed slots the conversation has established, each with its provenance."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import NotRequired, TypedDict


class Fact(TypedDict):
    """One remembered value and where it came from."""

    value: str
    """The value as the conversation settled it (the newest correction wins)."""
    turn: int
    """User turn in which the value was stated or read from a tool."""
    verified: bool
    """True when a tool or the authenticated context confirmed it."""
    source: str
    """``user``, ``tool`` or ``context``."""
    corrected_from: NotRequired[str]
    """The previous value, when this one replaced another."""
    correction: NotRequired[bool]
    """True when the user explicitly corrected the previous value ("sorry, I meant ...")."""


FactSheet = dict[str, Fact]
"""Slot name → fact. Slots are chosen by the domain (the engine treats them as opaque)."""


def merge_facts(left: FactSheet | None, right: FactSheet | None) -> FactSheet:
    """Reducer: slot-wise update, the right side wins; an empty value removes the slot."""
    merged: FactSheet = dict(left or {})
    for slot, fact in (right or {}).items():
        if fact.get("value", "") == "":
            merged.pop(slot, None)
        else:
            merged[slot] = fact
    return merged


def set_fact(
    sheet: FactSheet | None,
    slot: str,
    value: str,
    turn: int,
    *,
    verified: bool = False,
    source: str = "user",
    correction: bool = False,
) -> FactSheet:
    """The update (for the ``merge_facts`` reducer) that sets ``slot`` to ``value``.

    An unchanged value returns an empty update. A changed value records the old one in
    ``corrected_from``; ``correction`` marks an explicit user correction. A verified value
    is never overwritten by an unverified one unless it is an explicit correction.
    """
    value = value.strip()
    old = (sheet or {}).get(slot)
    if old is not None and old["value"] == value:
        if verified and not old["verified"]:
            return {slot: Fact(**{**old, "verified": True, "source": source})}
        return {}
    if old is not None and old["verified"] and not verified and not correction:
        return {}
    fact = Fact(value=value, turn=turn, verified=verified, source=source)
    if old is not None:
        fact["corrected_from"] = old["value"]
    if correction and old is not None:
        fact["correction"] = True
    return {slot: fact}


def correct_fact(sheet: FactSheet | None, slot: str, value: str, turn: int) -> FactSheet:
    """The update for a user correction: replaces the value and records what it replaced."""
    return set_fact(sheet, slot, value, turn, verified=False, source="user", correction=True)


def clear_fact(slot: str) -> FactSheet:
    """The update that removes ``slot`` from the sheet."""
    return {slot: Fact(value="", turn=0, verified=False, source="")}


def fact_line(slot: str, fact: Fact) -> str:
    """One fact as a compact line: ``- slot: value (turn 7, unverified, corrected by the user)``.

    The replaced value is not shown: the model should only ever see the current one.
    """
    flags = [f"turn {fact['turn']}", "verified" if fact["verified"] else "unverified"]
    if fact.get("correction"):
        flags.append("corrected by the user")
    return f"- {slot}: {fact['value']} ({', '.join(flags)})"


def ordered_slots(sheet: FactSheet, priority: Sequence[str] = ()) -> list[str]:
    """Slots most important first: those named in ``priority`` in that order, then the rest."""
    ranked = [slot for slot in priority if slot in sheet]
    rest = sorted(slot for slot in sheet if slot not in ranked)
    return ranked + rest


FACTS_HEADER = "Known facts (newest value wins; a user correction replaces the old value):"


def render_facts(sheet: FactSheet | None, priority: Sequence[str] = ()) -> str:
    """The fact sheet as text for the dynamic system prompt (empty when there are no facts)."""
    if not sheet:
        return ""
    lines = [fact_line(slot, sheet[slot]) for slot in ordered_slots(sheet, priority)]
    return "\n".join([FACTS_HEADER, *lines])


# --- extraction -------------------------------------------------------------------------


@dataclass(frozen=True)
class SlotPattern:
    """How to find one slot's value in a user message; the value is the ``value`` group."""

    slot: str
    pattern: re.Pattern[str]
    normalize: Callable[[str], str] | None = None


@dataclass(frozen=True)
class Extraction:
    """A value found in a message, and whether the message corrected an earlier one."""

    slot: str
    value: str
    correction: bool


CORRECTION_CUES = re.compile(
    r"\b(?:sorry|actually|i meant|i mean|correction|that'?s wrong|not \S+ but|rather|"
    r"my mistake|let me correct|to correct)\b",
    re.IGNORECASE,
)
"""Phrases that mark a message as correcting something the user said before."""

_BARE_CORRECTION = re.compile(
    r"(?:\bi meant\b|\bcorrection:|\bsorry,? (?:it'?s|it is)\b)\s*(?P<value>[^.,;!?\n]{1,60})",
    re.IGNORECASE,
)


def is_correction(text: str) -> bool:
    """True when ``text`` carries a correction cue ("sorry, ...", "I meant ...", "correction:")."""
    return bool(CORRECTION_CUES.search(text))


def _digits_phone(raw: str) -> str:
    """Normalize a phone number: keep a leading ``+`` and the digits."""
    digits = re.sub(r"\D", "", raw)
    return ("+" if raw.strip().startswith("+") else "") + digits


def _title_name(raw: str) -> str:
    """Normalize a name: words up to the first non-name word, each capitalized."""
    words: list[str] = []
    for word in raw.split():
        if word.lower() in _NOT_NAME_WORDS:
            break
        words.append(word[:1].upper() + word[1:])
    return " ".join(words)


PHONE_RE = re.compile(
    r"(?<![\w+-])(?P<value>\+\d[\d\s().-]{6,16}\d"
    r"|\(?\d{3}\)?[\s.-]?\d{3}[\s.-]?\d{4}"
    r"|\d{3}[\s.-]\d{4})(?![\w-])"
)
EMAIL_RE = re.compile(r"(?P<value>[\w.+-]+@[\w-]+(?:\.[\w-]+)+)")
NAME_RE = re.compile(
    r"\b(?i:my name is|my name's|call me)\s+"
    r"(?P<value>[A-Za-z][a-zA-Z'-]*(?:\s+[A-Za-z][a-zA-Z'-]*){0,2})"
)
_NOT_NAME_WORDS = frozenset(
    re.split(
        r"\s+",
        "and but or i im i'm my from here calling speaking please so the a an to with is was "
        "again by for at on in instead now then thanks thank actually rather",
    )
)


def generic_patterns(
    *, phone_slot: str = "phone", email_slot: str = "email", name_slot: str = "name"
) -> list[SlotPattern]:
    """Domain-free extractors: phone numbers, email addresses, names ("my name is ...")."""
    return [
        SlotPattern(email_slot, EMAIL_RE, str.lower),
        SlotPattern(phone_slot, PHONE_RE, _digits_phone),
        SlotPattern(name_slot, NAME_RE, _title_name),
    ]


class FactExtractor:
    """Finds slot values in user messages with patterns the domain supplies."""

    def __init__(self, patterns: Iterable[SlotPattern]) -> None:
        self.patterns = list(patterns)

    def extract(self, text: str, sheet: FactSheet | None = None) -> list[Extraction]:
        """Values found in ``text`` (one per slot, first match wins), flagged as corrections.

        A correction cue with a bare value ("sorry, I meant Anna") and no slot match corrects
        the slot the user set most recently.
        """
        correction = is_correction(text)
        found: list[Extraction] = []
        seen: set[str] = set()
        consumed: list[tuple[int, int]] = []
        for spec in self.patterns:
            if spec.slot in seen:
                continue
            match = _first_free_match(spec.pattern, text, consumed)
            if match is None:
                continue
            raw = match.group("value")
            value = spec.normalize(raw) if spec.normalize else raw.strip()
            if not value:
                continue
            consumed.append(match.span("value"))
            seen.add(spec.slot)
            found.append(Extraction(spec.slot, value, correction))
        if not found and correction:
            bare = self._bare_correction(text, sheet)
            if bare is not None:
                found.append(bare)
        return found

    def _bare_correction(self, text: str, sheet: FactSheet | None) -> Extraction | None:
        """A correction of the most recently user-set slot by a bare value, if any."""
        match = _BARE_CORRECTION.search(text)
        user_facts = [(f["turn"], s) for s, f in (sheet or {}).items() if f["source"] == "user"]
        if match is None or not user_facts:
            return None
        _, slot = max(user_facts)
        normalize = next((p.normalize for p in self.patterns if p.slot == slot), None)
        raw = match.group("value").strip()
        if not _same_shape((sheet or {})[slot]["value"], raw):
            return None
        value = normalize(raw) if normalize else raw
        return Extraction(slot, value, True) if value else None

    def apply(self, sheet: FactSheet | None, text: str, turn: int) -> FactSheet:
        """The fact-sheet update for one user message (corrections replace and are recorded)."""
        update: FactSheet = {}
        for item in self.extract(text, sheet):
            update.update(set_fact(sheet, item.slot, item.value, turn, correction=item.correction))
        return update


def _same_shape(old: str, new: str) -> bool:
    """Whether a bare correction value can stand in for ``old``: a number for a number
    (similar digit count), or one to three capitalized words for a word value."""
    old_digits = sum(c.isdigit() for c in old)
    new_digits = sum(c.isdigit() for c in new)
    if old_digits >= 4:
        return abs(old_digits - new_digits) <= 3
    words = new.split()
    return 1 <= len(words) <= 3 and new_digits == 0 and all(w[:1].isupper() for w in words)


def _first_free_match(
    pattern: re.Pattern[str], text: str, consumed: list[tuple[int, int]]
) -> re.Match[str] | None:
    """The first match of ``pattern`` not overlapping a span another slot already took."""
    for match in pattern.finditer(text):
        start, end = match.span("value")
        if all(end <= s or start >= e for s, e in consumed):
            return match
    return None
