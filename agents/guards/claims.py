"""Find the checkable claims in text: money amounts, dates, plan names and phone numbers."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

_MONTHS = {
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
            ("september", "sept", "sep"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
_MON = "(" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + ")"
_AMOUNT = r"(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{1,2}))?"
MONEY_SYMBOL = re.compile(r"(?<![\w.])(?:usd\s?|us)?[$€£]\s?-?\s?" + _AMOUNT + r"(?![\d])", re.I)
MONEY_WORD = re.compile(
    r"(?<![\w.$€£])" + _AMOUNT + r"\s?(usd|dollars?|bucks|eur|euros?|gbp|pounds)\b", re.I
)
CENTS_WORD = re.compile(r"(?<![\w.])(\d+)\s?(?:cents?\b|¢)", re.I)
FREE = re.compile(
    r"\b(for free|free of charge|at no (extra |additional )?(cost|charge)|no charge|"
    r"costs? nothing|for nothing|completely free|totally free|is free|are free)\b",
    re.I,
)
FREE_SOURCE = re.compile(r"\b(free|no charge|no cost|included|waived|\$0(\.00)?)\b", re.I)
CENTS_FIELD = re.compile(r"\"?\w*cents\"?\s*[:=]\s*(-?\d+)", re.I)
BARE_DECIMAL = re.compile(r"(?<![\d.,])(\d+)\.(\d{2})(?![\d.])")
ISO_DATE = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")
SLASH_DATE = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})\b")
MDY_DATE = re.compile(r"\b" + _MON + r"\.?\s+(\d{1,2})(?:st|nd|rd|th)?\b(?:,?\s+(\d{4})\b)?", re.I)
DMY_DATE = re.compile(
    r"\b(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?" + _MON + r"\b\.?(?:,?\s+(\d{4})\b)?", re.I
)
PHONE = re.compile(
    r"(?<![\w+])(?:\+?1[\s.-]?)?(?:\(\d{3}\)|\d{3})[\s.-]?\d{3}[\s.-]?\d{4}(?!\d)"
    r"|(?<![\w+])\+\d{11,15}(?!\d)"
)
PLAN_PHRASE = re.compile(
    r"\b((?:[A-Z][\w+&'-]*|\d+\s?GB)(?:\s+(?:[A-Z][\w+&'-]*|\d+\s?GB)){0,3})\s+[Pp]lan\b"
)
PLAN_STOPWORDS = frozenset(
    {
        "the",
        "your",
        "this",
        "that",
        "a",
        "an",
        "my",
        "our",
        "new",
        "current",
        "old",
        "bluebell",
        "mobile",
        "data",
        "monthly",
        "cheaper",
        "cheapest",
        "best",
        "same",
        "other",
        "another",
        "which",
        "what",
        "each",
        "every",
        "any",
        "no",
        "family",
        "phone",
        "line",
        "payment",
        "price",
        "rate",
        "service",
        "i",
        "you",
        "we",
        "it",
        "its",
        "if",
        "so",
        "and",
        "or",
        "but",
        "yes",
        "great",
        "sure",
        "ok",
        "okay",
        "on",
        "in",
        "of",
        "for",
        "with",
        "to",
        "from",
    }
)


@dataclass(frozen=True)
class Claim:
    """One checkable statement of a reply."""

    kind: str
    """``money``, ``date``, ``plan`` or ``phone``."""
    text: str
    """The words as they appear in the reply."""
    keys: frozenset[str]
    """Canonical forms; the claim is grounded when any of them occurs in the sources."""

    def label(self) -> str:
        """Safe for logs and the ledger: amounts and plans as written, dates and phones by kind."""
        if self.kind in {"money", "plan"}:
            return f"{self.kind}:{self.text}"
        return self.kind


def _cents(whole: str, fraction: str | None) -> int:
    """Integer cents of ``1,234`` + ``5`` → 123450."""
    return int(whole.replace(",", "")) * 100 + int((fraction or "0").ljust(2, "0")[:2])


def money_claims(text: str) -> list[Claim]:
    """Amounts with a currency sign or word, cents, and 'free' claims."""
    claims = [
        Claim("money", m.group(0).strip(), frozenset({f"money:{_cents(m.group(1), m.group(2))}"}))
        for m in MONEY_SYMBOL.finditer(text)
    ]
    claims += [
        Claim("money", m.group(0).strip(), frozenset({f"money:{_cents(m.group(1), m.group(2))}"}))
        for m in MONEY_WORD.finditer(text)
    ]
    claims += [
        Claim("money", m.group(0).strip(), frozenset({f"money:{int(m.group(1))}"}))
        for m in CENTS_WORD.finditer(text)
    ]
    claims += [Claim("money", m.group(0), frozenset({"money:0"})) for m in FREE.finditer(text)]
    return claims


def _date_keys(year: int | None, month: int, day: int) -> set[str]:
    """``date:YYYY-MM-DD`` (with a year) or ``md:MM-DD`` (without); empty if invalid."""
    try:
        date(year or 2000, month, day)
    except ValueError:
        return set()
    if year is None:
        return {f"md:{month:02d}-{day:02d}"}
    return {f"date:{year:04d}-{month:02d}-{day:02d}"}


def _year(raw: str | None) -> int | None:
    """A 2- or 4-digit year as four digits."""
    if not raw:
        return None
    value = int(raw)
    return value + 2000 if value < 100 else value


def date_claims(text: str) -> list[Claim]:
    """Day-precise dates: ISO, m/d/y (or d/m/y), 'November 25, 2026', '25 Nov'."""
    claims: list[Claim] = []

    def add(match: re.Match[str], keys: set[str]) -> None:
        if keys:
            claims.append(Claim("date", match.group(0), frozenset(keys)))

    for m in ISO_DATE.finditer(text):
        add(m, _date_keys(int(m.group(1)), int(m.group(2)), int(m.group(3))))
    for m in SLASH_DATE.finditer(text):
        first, second, year = int(m.group(1)), int(m.group(2)), _year(m.group(3))
        add(m, _date_keys(year, first, second) | _date_keys(year, second, first))
    for m in MDY_DATE.finditer(text):
        add(m, _date_keys(_year(m.group(3)), _MONTHS[m.group(1).lower()], int(m.group(2))))
    for m in DMY_DATE.finditer(text):
        add(m, _date_keys(_year(m.group(3)), _MONTHS[m.group(2).lower()], int(m.group(1))))
    return claims


def phone_key(raw: str) -> str:
    """``phone:`` and the last ten digits."""
    digits = re.sub(r"\D", "", raw)
    return f"phone:{digits[-10:]}"


def phone_claims(text: str) -> list[Claim]:
    """North-American and E.164 phone numbers."""
    return [
        Claim("phone", m.group(0), frozenset({phone_key(m.group(0))})) for m in PHONE.finditer(text)
    ]


def _alias_pattern(alias: str, strict: bool) -> re.Pattern[str]:
    """Case-insensitive pattern for a plan alias; '15GB' also matches '15 GB'.

    In ``strict`` mode a one-word alias without digits (``Unlimited``, ``Basic``) counts only
    when followed by 'plan', so ordinary words ('unlimited calls') are not plan claims.
    """
    parts = [p for p in re.split(r"[\s_]+|(?<=\d)(?=[a-z])", alias, flags=re.I) if p]
    body = r"[\s_-]*".join(re.escape(part) for part in parts)
    one_word = len(parts) == 1 and not any(ch.isdigit() for ch in alias)
    tail = r"\s+plan\b" if strict and one_word else r"\b"
    return re.compile(r"(?<![\w-])" + body + tail, re.I)


def plan_aliases(
    catalog: Mapping[str, str], strict: bool
) -> tuple[tuple[re.Pattern[str], str], ...]:
    """(pattern, plan id) for every plan name, plan id and unique first word, longest first."""
    return _plan_aliases(tuple(catalog.items()), strict)


@lru_cache(maxsize=16)
def _plan_aliases(
    catalog: tuple[tuple[str, str], ...], strict: bool
) -> tuple[tuple[re.Pattern[str], str], ...]:
    """``plan_aliases`` for one catalog, built once (every reply is checked against it)."""
    firsts = [name.split()[0].lower() for _, name in catalog if name.split()]
    aliases: list[tuple[str, str]] = []
    for plan_id, name in catalog:
        aliases += [(plan_id, plan_id), (name, plan_id)]
        words = name.split()
        if len(words) > 1 and firsts.count(words[0].lower()) == 1:
            aliases.append((words[0], plan_id))
    unique = sorted({a for a in aliases if a[0].strip()}, key=lambda a: len(a[0]), reverse=True)
    return tuple((_alias_pattern(alias, strict), plan_id) for alias, plan_id in unique)


def _overlaps(span: tuple[int, int], spans: list[tuple[int, int]]) -> bool:
    return any(start < span[1] and span[0] < end for start, end in spans)


def _known_plans(
    text: str, catalog: Mapping[str, str], strict: bool = True
) -> tuple[list[Claim], list[tuple[int, int]]]:
    """Plans of the catalog named in ``text`` (longest alias wins), and the spans they cover."""
    claims: list[Claim] = []
    spans: list[tuple[int, int]] = []
    for pattern, plan_id in plan_aliases(catalog, strict):
        for m in pattern.finditer(text):
            if _overlaps(m.span(), spans):
                continue
            spans.append(m.span())
            claims.append(Claim("plan", m.group(0).strip(), frozenset({f"plan:{plan_id}"})))
    return claims, spans


def _unknown_plans(text: str, spans: list[tuple[int, int]]) -> list[Claim]:
    """Capitalised '<Name> plan' phrases that are not catalog plans (possibly invented)."""
    claims: list[Claim] = []
    for m in PLAN_PHRASE.finditer(text):
        if _overlaps(m.span(), spans):
            continue
        words = m.group(1).split()
        while words and words[0].lower() in PLAN_STOPWORDS:
            words.pop(0)
        if not words:
            continue
        name = " ".join(words)
        claims.append(Claim("plan", name, frozenset({f"planname:{name.lower()}"})))
    return claims


def plan_claims(text: str, catalog: Mapping[str, str]) -> list[Claim]:
    """Catalog plans named in ``text``, and other capitalised '<Name> plan' phrases."""
    known, spans = _known_plans(text, catalog)
    return known + _unknown_plans(text, spans)


def reply_claims(text: str, catalog: Mapping[str, str]) -> list[Claim]:
    """Every checkable claim of a reply."""
    return money_claims(text) + date_claims(text) + plan_claims(text, catalog) + phone_claims(text)


@dataclass(frozen=True)
class Grounding:
    """What the sources of a turn support."""

    keys: frozenset[str]
    """Canonical amounts, dates, plans and phone numbers found in the sources."""
    corpus: str
    """The sources in lower case with single spaces (for plan names outside the catalog)."""


def source_keys(text: str, catalog: Mapping[str, str]) -> set[str]:
    """Canonical forms of every amount, date, plan and phone number in one source text."""
    keys: set[str] = set()
    for claim in money_claims(text) + date_claims(text) + phone_claims(text):
        keys |= claim.keys
    keys |= {f"money:{abs(int(m.group(1)))}" for m in CENTS_FIELD.finditer(text)}
    keys |= {f"money:{_cents(m.group(1), m.group(2))}" for m in BARE_DECIMAL.finditer(text)}
    if FREE_SOURCE.search(text):
        keys.add("money:0")
    known, _ = _known_plans(text, catalog, strict=False)
    keys |= {key for claim in known for key in claim.keys}
    keys |= {"md:" + key[10:] for key in keys if key.startswith("date:")}
    return keys


def grounding(texts: Iterable[str], catalog: Mapping[str, str]) -> Grounding:
    """Everything ``texts`` (tool results, facts, passages) support."""
    keys: set[str] = set()
    parts: list[str] = []
    for text in texts:
        keys |= source_keys(text, catalog)
        parts.append(" ".join(text.lower().split()))
    return Grounding(frozenset(keys), "\n".join(parts))


def is_grounded(claim: Claim, support: Grounding) -> bool:
    """True when one of the claim's canonical forms occurs in the sources."""
    for key in claim.keys:
        if key.startswith("planname:") and key.removeprefix("planname:") in support.corpus:
            return True
    return bool(claim.keys & support.keys)
