"""Unicode normalisation for matching: undo homoglyphs, invisible and RTL tricks, leetspeak."""

from __future__ import annotations

import base64
import binascii
import re
import unicodedata
from dataclasses import dataclass, field

ZERO_WIDTH = frozenset("\u200b\u200c\u200d\u2060\u2061\u2062\u2063\u2064\ufeff\u180e\u034f\u00ad")
"""Invisible characters used to split words so that filters miss them."""
BIDI_CONTROLS = frozenset(
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
)
"""Direction marks, embeddings, overrides and isolates (text can display differently than read)."""
REVERSING = frozenset("\u202e\u2067")
"""Right-to-left override and isolate: what follows may be stored reversed."""
TAG_BLOCK = range(0xE0000, 0xE0080)
"""Unicode tag characters: an invisible copy of ASCII (used to smuggle hidden text)."""

_CONFUSABLE_PAIRS = (
    # Cyrillic
    "аa вb еe ёe кk мm нh оo рp сc тt уy хx ѕs іi їi јj һh ԁd ԛq ԝw ӏl ɡg"
    " АA ВB ЕE ЅS ІI ЈJ КK МM НH ОO РP СC ТT ХX УY ҮY ԚQ ԜW"
    # Greek
    " αa εe ιi κk νv οo ρp τt υu χx γy ΑA ΒB ΕE ΖZ ΗH ΙI ΚK ΜM ΝN ΟO ΡP ΤT ΥY ΧX"
    # Armenian, Cherokee and Latin look-alikes
    " օo սu հh ոn ցg ᎪA ᏴB ᏟC ᎬE ᎻH ᏆJ ᏦK ᎷM ᏢP ᏚS ᎢT ᏙV ᎳW ıi ɑa ɩi ʏy ɪi ʟl ᴏo ᴄc"
)
CONFUSABLES: dict[int, str] = {ord(pair[0]): pair[1] for pair in _CONFUSABLE_PAIRS.split()}
"""Letters from other scripts that render like Latin letters → the Latin letter."""
LEET = str.maketrans(
    {
        "0": "o",
        "1": "i",
        "3": "e",
        "4": "a",
        "5": "s",
        "7": "t",
        "@": "a",
        "$": "s",
        "!": "i",
        "|": "l",
    }
)
"""Digit and symbol substitutions used to spell words past a filter."""
_CONFUSABLE_SCRIPTS = ("CYRILLIC", "GREEK", "ARMENIAN", "CHEROKEE")
_LEET_TOKEN = re.compile(r"\S*[a-z]\S*")
_WORD = re.compile(r"[^\W\d_]+")
_B64_TOKEN = re.compile(r"[A-Za-z0-9+/]{24,}={0,2}")
_SPACE = re.compile(r"[^\S\n]+")
_NEWLINES = re.compile(r"\s*\n\s*")
_COMBINING_FLOOD = 2
"""Combining marks on one base character above which the text counts as 'zalgo'."""


@dataclass(frozen=True)
class Normalized:
    """Views of one text for matching, and the obfuscation tricks found in it."""

    folded: str
    """NFKC, invisibles removed, accents and homoglyphs folded to ASCII, lower case; runs of
    spaces become one space and runs of blank lines one newline."""
    views: tuple[str, ...]
    """Every view to scan: folded, leetspeak-decoded, reversed (RTL override), hidden and
    base64-decoded text."""
    compact: str
    """Letters only (``i g-n.o r e`` → ``ignore``), for spaced-out phrases."""
    tricks: list[str] = field(default_factory=list)
    """Notes such as ``unicode_zero_width``, ``unicode_homoglyph``, ``encoded_payload``."""


def tag_text(text: str) -> str:
    """The ASCII hidden in Unicode tag characters (U+E0020..U+E007E), '' when there is none."""
    return "".join(chr(ord(ch) - 0xE0000) for ch in text if 0xE0020 <= ord(ch) <= 0xE007E)


def _strip_invisible(text: str) -> str:
    """Remove zero-width, direction, tag, variation-selector and other format characters."""
    kept = []
    for ch in text:
        code = ord(ch)
        if ch in ZERO_WIDTH or ch in BIDI_CONTROLS or code in TAG_BLOCK:
            continue
        if 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF:
            continue
        if unicodedata.category(ch) in {"Cf", "Cs", "Co"}:
            continue
        kept.append(ch)
    return "".join(kept)


def _strip_marks(text: str) -> tuple[str, int]:
    """Decompose and drop combining marks; also return the most marks on one base char."""
    out: list[str] = []
    run = most = 0
    for ch in unicodedata.normalize("NFKD", text):
        if unicodedata.combining(ch):
            run += 1
            most = max(most, run)
            continue
        run = 0
        out.append(ch)
    return "".join(out), most


def _script(ch: str) -> str:
    """The script word of a letter's Unicode name (``LATIN``, ``CYRILLIC``...)."""
    try:
        return unicodedata.name(ch).split(" ", 1)[0]
    except ValueError:
        return ""


def _homoglyph_notes(text: str) -> list[str]:
    """``unicode_homoglyph`` for words spelled with look-alike letters, ``unicode_mixed_script``
    for words mixing Latin with Cyrillic, Greek, Armenian or Cherokee letters."""
    notes: list[str] = []
    words = _WORD.findall(text)
    for word in words:
        folded = word.translate(CONFUSABLES)
        if folded != word and folded.isascii():
            notes.append("unicode_homoglyph")
            break
    for word in words:
        scripts = {_script(ch) for ch in word}
        if "LATIN" in scripts and scripts & set(_CONFUSABLE_SCRIPTS):
            notes.append("unicode_mixed_script")
            break
    return notes


def leet_view(folded: str) -> str:
    """``folded`` with digit/symbol substitutions decoded inside words (``1gn0re`` → ``ignore``)."""
    return _LEET_TOKEN.sub(lambda m: m.group(0).translate(LEET), folded)


def _base64_payloads(text: str) -> list[str]:
    """Printable text hidden in base64 tokens of the message (at most three, lower case)."""
    found: list[str] = []
    for token in _B64_TOKEN.findall(text)[:3]:
        padded = token + "=" * (-len(token) % 4)
        try:
            raw = base64.b64decode(padded, validate=True)
        except (binascii.Error, ValueError):
            continue
        decoded = raw.decode("utf-8", errors="replace")
        printable = sum(ch.isprintable() and ch != "\ufffd" for ch in decoded)
        if decoded and printable / len(decoded) >= 0.9 and any(c.isalpha() for c in decoded):
            found.append(_SPACE.sub(" ", decoded.lower()).strip())
    return found


def _fold(text: str) -> tuple[str, int]:
    """NFKC, invisibles removed, marks stripped, homoglyphs folded, lower case, single spaces."""
    visible = _strip_invisible(unicodedata.normalize("NFKC", text))
    bare, marks = _strip_marks(visible)
    folded = bare.translate(CONFUSABLES).lower().replace("\r", "\n")
    return _NEWLINES.sub("\n", _SPACE.sub(" ", folded)).strip(), marks


def _trick_notes(text: str, marks: int) -> list[str]:
    """Which obfuscation tricks ``text`` uses (empty for plain text)."""
    notes: list[str] = []
    if any(ch in ZERO_WIDTH for ch in text):
        notes.append("unicode_zero_width")
    if any(ch in BIDI_CONTROLS for ch in text):
        notes.append("unicode_bidi")
    if tag_text(text):
        notes.append("unicode_tags")
    if unicodedata.normalize("NFKC", text) != text:
        notes.append("unicode_compatibility")
    if marks > _COMBINING_FLOOD:
        notes.append("unicode_combining_flood")
    return notes + _homoglyph_notes(text)


def normalize(text: str) -> Normalized:
    """Every view of ``text`` a marker scan should look at, plus the tricks it used."""
    folded, marks = _fold(text)
    notes = _trick_notes(text, marks)
    views = [folded]
    leet = leet_view(folded)
    if leet != folded:
        views.append(leet)
    if any(ch in REVERSING for ch in text):
        views.append(folded[::-1])
    hidden = tag_text(text)
    if hidden:
        views.append(_fold(hidden)[0])
    payloads = _base64_payloads(_strip_invisible(text))
    if payloads:
        notes.append("encoded_payload")
        views.extend(payloads)
    compact = "".join(ch for ch in " ".join(views) if ch.isalpha() and ch.isascii())
    return Normalized(folded=folded, views=tuple(views), compact=compact, tricks=notes)
