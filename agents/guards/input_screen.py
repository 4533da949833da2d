"""Input guard: flag hostile or unusable user messages, and pick a safe redirect for them."""

from __future__ import annotations

import unicodedata
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from agents.guards.markers import (
    other_customer_ids,
    price_claim,
    role_play_hint,
    scan,
    scan_plain,
)
from agents.guards.normalize import normalize
from agents.guards.replies import safe_reply_for

DEFAULT_MAX_CHARS = 4000
"""Same limit as ``agents.input_guard.DEFAULT_MAX_CHARS`` (the context can set another)."""
FLOOD_REPEATS = 3
"""The same message this many times in the recent user turns (this one included) is a flood."""
FLOOD_WINDOW = 6
"""How many previous user messages the flood check looks at."""
FLOOD_MIN_WORDS = 4
"""Shorter messages ("yes", "no", "hello") may repeat without counting as a flood."""
REPETITIVE_MIN_CHARS = 400
REPETITIVE_RATIO = 0.08
"""A long message that compresses below this ratio is one phrase pasted over and over."""
CLASSIFIER_OFF_TOPIC = 0.5
"""Triage confidence in ``out_of_scope`` that turns a role-play hint into a jailbreak flag."""
_BINARY_CATEGORIES = frozenset({"Cc", "Cs", "Co", "Cn"})
_ALLOWED_CONTROLS = frozenset("\n\r\t")

Classifier = Callable[[str], tuple[str, float]]
"""Text → (intent, confidence); e.g. the local triage classifier's top intent."""


@dataclass(frozen=True)
class InputVerdict:
    """What the input guard decided about one user message."""

    ok: bool
    """False when the message must be answered with ``safe_reply`` instead of an agent."""
    flags: list[str]
    """Blocking findings (``injection``, ``jailbreak``, ``cross_account``, ``binary`` ...)."""
    safe_reply: str | None
    """The redirect to send when ``ok`` is False."""
    notes: list[str] = field(default_factory=list)
    """Non-blocking observations (``unicode_homoglyph``, ``price_claim``, ``obfuscated`` ...)."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready verdict (no message text, so it is safe to log and store)."""
        return {"ok": self.ok, "flags": list(self.flags), "notes": list(self.notes)}

    def ledger_guard(self) -> dict[str, str]:
        """The verdict in the ledger's ``guard`` format (string values)."""
        entry = {"input": "ok" if self.ok else "flagged"}
        if self.flags:
            entry["input_flags"] = ",".join(self.flags)
        if self.notes:
            entry["input_notes"] = ",".join(self.notes)
        return entry


def _verdict(flags: list[str], notes: list[str] | None = None) -> InputVerdict:
    """A verdict from ``flags`` (ok when empty)."""
    unique = list(dict.fromkeys(flags))
    return InputVerdict(
        ok=not unique,
        flags=unique,
        safe_reply=safe_reply_for(unique) if unique else None,
        notes=list(dict.fromkeys(notes or [])),
    )


def as_text(value: object) -> tuple[str | None, list[str]]:
    """The message as text, or ``None`` with the flag explaining why it is not text."""
    if isinstance(value, str):
        return value, []
    if isinstance(value, bytes | bytearray):
        try:
            return bytes(value).decode("utf-8"), []
        except UnicodeDecodeError:
            return None, ["invalid_encoding"]
    if isinstance(value, list) and all(isinstance(part, str) for part in value):
        return "".join(value), []
    return None, ["wrong_type"]


def encoding_flags(text: str) -> tuple[list[str], list[str]]:
    """(flags, notes) for surrogates, replacement characters, binary and control characters."""
    flags: list[str] = []
    notes: list[str] = []
    counts = {"Cs": 0, "binary": 0, "controls": 0, "replacement": text.count("\ufffd")}
    for ch in text:
        category = unicodedata.category(ch)
        if category == "Cs":
            counts["Cs"] += 1
        if category in _BINARY_CATEGORIES and ch not in _ALLOWED_CONTROLS:
            counts["binary"] += 1
            if category == "Cc":
                counts["controls"] += 1
    if counts["Cs"] or counts["replacement"] >= 3:
        flags.append("invalid_encoding")
    if "\x00" in text or (len(text) >= 16 and counts["binary"] / len(text) > 0.1):
        flags.append("binary")
    elif counts["controls"]:
        notes.append("control_chars")
    return flags, notes


def _history_texts(history: Sequence[object]) -> list[str]:
    """The text of previous user messages (strings or human messages), oldest first."""
    texts: list[str] = []
    for item in history:
        if isinstance(item, str):
            texts.append(item)
        elif getattr(item, "type", "") == "human" and isinstance(
            getattr(item, "content", None), str
        ):
            texts.append(item.content)  # type: ignore[attr-defined]
    return texts


def is_flood(text: str, history: Sequence[object]) -> bool:
    """True when the message repeats itself, or repeats recent messages, flood-style."""
    raw = text.encode("utf-8", errors="replace")
    if len(raw) >= REPETITIVE_MIN_CHARS and len(zlib.compress(raw)) / len(raw) < REPETITIVE_RATIO:
        return True
    key = " ".join(text.lower().split())
    if len(key.split()) < FLOOD_MIN_WORDS:
        return False
    recent = _history_texts(history)[-FLOOD_WINDOW:]
    same = sum(1 for old in recent if " ".join(old.lower().split()) == key)
    return same + 1 >= FLOOD_REPEATS


def _content_flags(
    text: str, customer_id: str | None, classifier: Classifier | None
) -> tuple[list[str], list[str]]:
    """(flags, notes) from markers on the normalised text, customer ids and the classifier."""
    norm = normalize(text)
    flags = scan(norm)
    notes = list(norm.tricks)
    if set(flags) - set(scan_plain(text)):
        notes.append("obfuscated")
    if "unicode_tags" in notes:
        flags.append("hidden_text")
    others = other_customer_ids(norm, customer_id)
    if others and customer_id:
        flags.append("cross_account")
    elif others:
        notes.append("customer_id_mentioned")
    if "jailbreak" not in flags and role_play_hint(norm):
        notes.append("role_play")
        if classifier is not None and _off_topic(classifier, norm.folded):
            flags.append("jailbreak")
    if price_claim(norm):
        notes.append("price_claim")
    return flags, notes


def _off_topic(classifier: Classifier, text: str) -> bool:
    """True when the classifier is confident the message is not a support request."""
    try:
        intent, confidence = classifier(text)
    except Exception:  # the classifier is a second signal, never a failure
        return False
    return intent == "out_of_scope" and confidence >= CLASSIFIER_OFF_TOPIC


def inspect_input(
    text: object,
    history: Sequence[object] = (),
    *,
    customer_id: str | None = None,
    max_chars: int = DEFAULT_MAX_CHARS,
    classifier: Classifier | None = None,
) -> InputVerdict:
    """Screen one user message; never raises.

    ``history`` holds the previous user messages (strings or human messages). ``customer_id``
    is the signed-in customer (other customer ids in the text are flagged). ``classifier``
    is an optional second signal for role-play jailbreaks.
    """
    message, problems = as_text(text)
    if message is None:
        return _verdict(problems)
    if not message.strip():
        return _verdict(["empty"])
    if len(message) > max_chars:
        return _verdict(["oversized"])
    flags, notes = encoding_flags(message)
    if "binary" in flags:
        return _verdict(flags, notes)
    if is_flood(message, history):
        flags.append("flood")
    content_flags, content_notes = _content_flags(message, customer_id, classifier)
    return _verdict(flags + content_flags, notes + content_notes)
