"""Grounding of the research report: every figure, date and name is checked against the
documents its sentence cites, before the report is returned.

A report sentence's numbers (``31.50``, ``37%``, ``21.4 million``, years), day-precise dates
(found with the support bot's claim extractor, ``agents.guards.claims``) and proper names must
occur in a cited document, attributed to the same company: a number counts for the company
named next to it in the sentence (before or after it), else for the company of the section it
sits in, or for every compared company after "both" / "all". A failing sentence is repaired
from the documents when it can be — the citation of the document that does support it is
added, or the figure is replaced by the one the company's document gives for the same measure
— and otherwise removed and listed as unverified. Code decides; nothing here asks a model.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from agents.guards.claims import date_claims, source_keys
from agents.research.markdown import (
    bullet_mark,
    heading_level,
    split_sentences,
    unlabelled,
    without_empty_sections,
    without_repeats,
)
from agents.research.report import CITATION
from tools.research_corpus import MARKET, Corpus, Document

NUMBER = re.compile(
    r"(?<![\w.,])(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    r"(?:\s?(?P<unit>%|percent\b|per cent\b|million\b|billion\b|bn\b|[mM]\b))?(?![\w]|\.\d)"
)
"""A figure in prose: ``31.50``, ``37%``, ``21.4 million``, ``2024``, ``4,000``."""
SCALE = {"million": 1e6, "m": 1e6, "billion": 1e9, "bn": 1e9}
BOTH = re.compile(
    r"\b(?:both|all (?:four|three|two)?\s*(?:companies|operators)|each of them)\b", re.I
)
NAME = re.compile(r"\b[A-Z][a-z]+(?:[ -](?:[A-Z][a-z]+|[A-Z]{2,}))+\b")
"""A proper name of two or more capitalized words ("Maria Lindqvist", "AI Edge")."""
_NOT_NAME_WORDS_TEXT = """
    the a an both all each in on at for by with from to of and or but its their this that these
    those while whereas however overall summary findings comparison market companies operator
    operators company research report sources question
    """
_NOT_NAME_WORDS = frozenset(_NOT_NAME_WORDS_TEXT.split())
_METRIC_STOP_TEXT = """
    the a an of in on at for by with from to and or but is are was were has have had its their
    it this that which than as a month year per about around some only also both all each
    highest lowest largest smallest between sits share mobile while whereas leads lead led has
    is than more less higher lower compared against versus just nearly almost over under
    """
METRIC_STOP = frozenset(_METRIC_STOP_TEXT.split())
"""Words that do not say which measure a figure is (left out when matching a measure)."""
QUOTE = re.compile(r"[\"“](?P<quote>[^\"“”]{8,200})[\"”]")
"""A quotation in prose ("network first, customer second, carefully")."""


@dataclass(frozen=True)
class Quantity:
    """One figure: its value in base units, the precision it was written with, its kind."""

    text: str
    value: float
    decimals: int
    """Decimal places as written (``21.4 million`` → 1), used to allow rounding."""
    scale: float
    kind: str
    """``pct`` for percentages, ``num`` otherwise."""
    start: int
    end: int

    def matches(self, other: Quantity) -> bool:
        """True when ``other`` (a source figure) says the same, to this figure's precision."""
        if self.kind != other.kind:
            return False
        if abs(self.value - other.value) < 1e-9 * max(1.0, abs(other.value)):
            return True
        return round(other.value / self.scale, self.decimals) == round(
            self.value / self.scale, self.decimals
        )


def quantities(text: str) -> list[Quantity]:
    """The figures of ``text`` (citations aside; bare integers below 10 are not claims)."""
    found = []
    clean = CITATION.sub(lambda m: " " * len(m.group(0)), text)
    for match in NUMBER.finditer(clean):
        raw, unit = match.group("num"), (match.group("unit") or "").lower()
        number = float(raw.replace(",", ""))
        decimals = len(raw.split(".")[1]) if "." in raw else 0
        if not unit and decimals == 0 and number < 10:
            continue
        scale = SCALE.get(unit, 1.0)
        kind = "pct" if unit in {"%", "percent", "per cent"} else "num"
        found.append(Quantity(match.group(0), number * scale, decimals, scale, kind, *match.span()))
    return found


class Companies:
    """The corpus companies and how prose names them (full name or first word)."""

    def __init__(self, names: Iterable[str]) -> None:
        self.names = sorted(set(names))
        short = {name: name.split()[0] for name in self.names}
        alternatives = sorted([*self.names, *short.values()], key=len, reverse=True)
        self.pattern = re.compile(r"\b(?:" + "|".join(map(re.escape, alternatives)) + r")\b")
        self.by_word = {**{name: name for name in self.names}, **{v: k for k, v in short.items()}}

    def mentions(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, company) of every company named in ``text``."""
        return [(m.start(), m.end(), self.by_word[m.group(0)]) for m in self.pattern.finditer(text)]

    def around(self, text: str, start: int, end: int) -> tuple[str | None, str | None]:
        """The companies named nearest before and nearest after the span ``start:end``."""
        named = self.mentions(text)
        before = [c for s, e, c in named if e <= start]
        after = [c for s, e, c in named if s >= end]
        return (before[-1] if before else None, after[0] if after else None)

    def next_to(self, text: str, end: int) -> str | None:
        """The company named right after position ``end`` ("20% for Fabrikam"): at most
        three words away, in the same clause (no comma, semicolon or bracket between)."""
        for start, _, company in self.mentions(text):
            if start >= end:
                gap = text[end:start]
                close = len(gap.split()) <= 3 and not re.search(r"[,;:()\[\]]", gap)
                return company if close else None
        return None

    def nearest(self, text: str, start: int, end: int) -> str | None:
        """The company named closest to the span ``start:end`` (before or after)."""
        named = self.mentions(text)
        if not named:
            return None
        return min(named, key=lambda m: min(abs(start - m[1]), abs(m[0] - end)))[2]


@dataclass(frozen=True)
class Reading:
    """One way to read whose figure a report figure is."""

    companies: tuple[str | None, ...]
    """The companies it must hold for (``None``: no company; any cited document will do)."""
    weak: bool
    """True when the company is only inferred from the section (a market figure also fits)."""


@dataclass(frozen=True)
class SourceFigure:
    """A figure in a source document and the companies it is about."""

    quantity: Quantity
    companies: frozenset[str]
    doc_id: str
    sentence: str


class SourceIndex:
    """The figures, dates and text of the corpus documents, per document."""

    def __init__(self, corpus: Corpus) -> None:
        self.corpus = corpus
        self.companies = Companies(corpus.companies)
        self.figures: dict[str, list[SourceFigure]] = {}
        self.keys: dict[str, set[str]] = {}
        self.text: dict[str, str] = {}
        for doc in corpus.documents.values():
            self.figures[doc.id] = self._figures(doc)
            self.keys[doc.id] = source_keys(doc.body, {})
            self.text[doc.id] = " ".join(f"{doc.title} {doc.body}".lower().split())

    def _figures(self, doc: Document) -> list[SourceFigure]:
        """Every figure of ``doc`` with its company: in a company's document, the company named
        before the figure in its sentence, else the document's own ("Its ARPU of 27.80");
        in a market document, the company named nearest ("Northwind Mobile 35, ...")."""
        figures = []
        for paragraph in re.split(r"\n\s*\n", doc.body):
            for sentence in split_sentences(" ".join(paragraph.split())):
                for quantity in quantities(sentence):
                    if doc.company != MARKET:
                        before, _ = self.companies.around(sentence, quantity.start, quantity.end)
                        about = {before or doc.company}
                    else:
                        near = self.companies.nearest(sentence, quantity.start, quantity.end)
                        about = {near} if near else set()
                    figures.append(SourceFigure(quantity, frozenset(about), doc.id, sentence))
        return figures

    def supports(
        self,
        quantity: Quantity,
        company: str | None,
        doc_ids: Iterable[str],
        *,
        weak: bool = False,
    ) -> str:
        """The first of ``doc_ids`` stating ``quantity`` about ``company`` ('' when none does).

        ``weak``: the company was only inferred (from the section the sentence sits in), so a
        market-wide figure that names no company supports it too.
        """
        for doc_id in doc_ids:
            for figure in self.figures.get(doc_id, []):
                if not quantity.matches(figure.quantity):
                    continue
                if company is None or company in figure.companies:
                    return doc_id
                if weak and not figure.companies:
                    return doc_id
        return ""


@dataclass
class Verdict:
    """What the check made of one report sentence."""

    sentence: str
    """The sentence as returned (repaired when ``status`` is ``corrected`` or ``recited``)."""
    status: str
    """``ok``, ``recited`` (a supporting citation added), ``corrected`` (a figure replaced from
    the documents), ``removed`` (unverifiable) or ``plain`` (no checkable claim)."""
    reasons: list[str] = field(default_factory=list)
    factual: bool = False
    """True when the sentence states a figure, a date or a name."""
    failed: list[str] = field(default_factory=list)
    """The figures, dates or names no document supports (for a removed sentence)."""

    def redacted(self) -> str:
        """The sentence with its unsupported claims and its citations blanked out (safe to list
        as unverified; it cites nothing)."""
        text = self.sentence
        for claim in self.failed:
            text = text.replace(claim, "(unsupported)")
        return " ".join(CITATION.sub("", text).split()).replace(" .", ".")


@dataclass
class Grounded:
    """The checked report body and what the check did."""

    body: str
    verdicts: list[Verdict]

    @property
    def unverified(self) -> list[Verdict]:
        """Sentences removed because no document supports them."""
        return [v for v in self.verdicts if v.status == "removed"]

    def counts(self) -> dict[str, int]:
        """Sentences by status, plus the factual ones and those of them with a citation."""
        counts: dict[str, int] = {}
        for verdict in self.verdicts:
            counts[verdict.status] = counts.get(verdict.status, 0) + 1
        kept = [v for v in self.verdicts if v.factual and v.status != "removed"]
        counts["factual"] = len(kept)
        counts["cited"] = sum(1 for v in kept if CITATION.search(v.sentence))
        return counts


def _measure_words(sentence: str, quantity: Quantity) -> set[str]:
    """The words naming what ``quantity`` measures (the few words before and after it)."""
    before = re.findall(r"[A-Za-z]+", sentence[: quantity.start])[-4:]
    after = re.findall(r"[A-Za-z]+", sentence[quantity.end :])[:2]
    return {w.lower() for w in before + after if w.lower() not in METRIC_STOP and len(w) > 2}


class Checker:
    """Checks report sentences against the documents they cite (see the module doc)."""

    def __init__(self, corpus: Corpus, subjects: Sequence[str], known: Iterable[str]) -> None:
        self.index = SourceIndex(corpus)
        self.subjects = [s for s in subjects if s in self.index.companies.names]
        """The companies the question compares (what "both" means)."""
        self.known = [d for d in dict.fromkeys(known) if d in corpus.documents]
        """Documents the run's notes cite, in order: where repairs look first."""
        self.name_words = {w.lower() for n in self.index.companies.names for w in n.split()}
        """Words of company names (they never say which measure a figure is)."""

    def companies_for(
        self, sentence: str, quantity: Quantity, section: str | None
    ) -> list[Reading]:
        """The ways to read whose figure ``quantity`` is: the company named just before it;
        the one named right after it ("20% for Fabrikam"), or anywhere after it when neither a
        company nor a section precedes it ("With 37%, Contoso leads"); every compared company
        after "both"; and, when no company precedes it ("Its ARPU of 27.80 ..."), the company
        of its section, unless a company follows close ("44% of Tailspin's base" under a
        Contoso heading is Tailspin's figure). "Tailspin has 44% of its base over 45, against
        Contoso's 44%" gives the first 44% to Tailspin only, and so does the same sentence
        without "Tailspin" under a Tailspin heading."""
        before, _ = self.index.companies.around(sentence, quantity.start, quantity.end)
        if BOTH.search(sentence) and self.subjects and not before:
            return [Reading(tuple(self.subjects), False)]
        close = self.index.companies.next_to(sentence, quantity.end)
        after = close
        if not before and section is None and after is None:
            _, after = self.index.companies.around(sentence, quantity.start, quantity.end)
        readings = [Reading((c,), False) for c in dict.fromkeys([before, after]) if c]
        if not before and close is None:
            readings.append(Reading((section,), True))
        return readings

    def supported(self, reading: Reading, quantity: Quantity, docs: Sequence[str]) -> list[str]:
        """Supporting document per company of ``reading`` ([] when one company lacks support)."""
        found = [
            self.index.supports(quantity, company, docs, weak=reading.weak)
            for company in reading.companies
        ]
        return found if all(found) else []

    def _figure(
        self, sentence: str, quantity: Quantity, section: str | None, cited: Sequence[str]
    ) -> tuple[str, list[str], str]:
        """(status, documents to cite, replacement text) for one figure of a sentence."""
        readings = self.companies_for(sentence, quantity, section)
        for reading in readings:
            if self.supported(reading, quantity, cited):
                return "ok", [], ""
        elsewhere = [*self.known, *(d for d in self.index.corpus.documents if d not in self.known)]
        for reading in readings:
            if docs := self.supported(reading, quantity, elsewhere):
                return "recited", docs, ""
        named = self.index.companies.mentions(CITATION.sub(" ", sentence))
        only = {company for _, _, company in named}
        before, _ = self.index.companies.around(sentence, quantity.start, quantity.end)
        owner = before if only == {before} else (section if not only else None)
        if owner:
            fix = self._correction(sentence, quantity, owner)
            if fix is not None:
                return "corrected", [fix.doc_id], fix.quantity.text
        return "removed", [], ""

    def _correction(self, sentence: str, quantity: Quantity, company: str) -> SourceFigure | None:
        """The figure ``company``'s own documents give for the measure ``quantity`` names: only
        one value, written the same way (kind, unit, decimals), next to the same measure word."""
        words = _measure_words(sentence, quantity) - self.name_words
        if not words:
            return None
        candidates = []
        for doc in self.index.corpus.documents.values():
            if doc.company != company:
                continue
            for figure in self.index.figures[doc.id]:
                theirs = figure.quantity
                same_kind = (theirs.kind, theirs.scale, theirs.decimals) == (
                    quantity.kind,
                    quantity.scale,
                    quantity.decimals,
                )
                if same_kind and words & set(re.findall(r"[a-z]+", figure.sentence.lower())):
                    near = set(_measure_words(figure.sentence, figure.quantity))
                    if words & near:
                        candidates.append(figure)
        values = {round(f.quantity.value, 6) for f in candidates}
        return candidates[0] if len(values) == 1 else None

    def _names(self, sentence: str, cited: Sequence[str]) -> tuple[str, list[str]]:
        """(status, documents to cite) for the proper names of a sentence; for ``removed``, the
        name no document states instead of documents."""
        extra: list[str] = []
        for match in NAME.finditer(unlabelled(CITATION.sub(" ", sentence))):
            words = match.group(0).replace("-", " ").split()
            while words and words[0].lower() in _NOT_NAME_WORDS:
                words.pop(0)
            if len(words) < 2 or " ".join(words) in self.index.companies.names:
                continue
            name = " ".join(words).lower()
            if any(name in self.index.text[d] for d in cited):
                continue
            found = next((d for d in self.known if name in self.index.text[d]), "")
            found = found or next((d for d in self.index.text if name in self.index.text[d]), "")
            if not found:
                return "removed", [match.group(0)]
            extra.append(found)
        return ("recited" if extra else "ok"), extra

    def _dates(self, sentence: str, cited: Sequence[str]) -> tuple[str, list[str]]:
        """(status, documents to cite) for the day-precise dates of a sentence; for ``removed``,
        the date no document states instead of documents."""
        extra: list[str] = []
        for claim in date_claims(sentence):
            if any(claim.keys & self.index.keys[d] for d in cited):
                continue
            found = next((d for d in self.index.keys if claim.keys & self.index.keys[d]), "")
            if not found:
                return "removed", [claim.text]
            extra.append(found)
        return ("recited" if extra else "ok"), extra

    def _quotes(
        self, sentence: str, section: str | None, cited: Sequence[str]
    ) -> tuple[str, list[str]]:
        """(status, documents to cite) for the quotations of a sentence: each must be the
        words of a document about the company it is given to (the company named before it,
        else the section's); for ``removed``, the quotation instead of documents."""
        extra: list[str] = []
        for match in QUOTE.finditer(sentence):
            quote = " ".join(match.group("quote").lower().split()).strip(" .,")
            if len(quote.split()) < 3:
                continue
            before, _ = self.index.companies.around(sentence, match.start(), match.end())
            owner = before or section
            holding = [d for d in self.index.text if quote in self.index.text[d]]
            if owner is not None:
                holding = [d for d in holding if self._about(d, owner)]
            if not holding:
                return "removed", [match.group(0)]
            if not set(holding) & set(cited):
                extra.append(holding[0])
        return ("recited" if extra else "ok"), extra

    def _about(self, doc_id: str, company: str) -> bool:
        """Whether document ``doc_id`` is about ``company`` (its own, or a market document
        that names it)."""
        doc = self.index.corpus.documents[doc_id]
        if doc.company == company:
            return True
        return doc.company == MARKET and company.lower() in self.index.text[doc_id]

    def check(self, sentence: str, section: str | None) -> Verdict:
        """The verdict on one sentence (``section``: the company whose section it is in)."""
        cited = [d for d in dict.fromkeys(CITATION.findall(sentence)) if d in self.index.text]
        figures = claim_figures(sentence)
        status, add, text, reasons = "ok", [], sentence, []
        replacements: list[tuple[Quantity, str]] = []
        for quantity in figures:
            verdict, docs, replacement = self._figure(sentence, quantity, section, cited)
            if verdict == "removed":
                reason = "a figure no document states for the company it is about"
                return Verdict(sentence, "removed", [reason], True, [quantity.text])
            if verdict != "ok":
                status = "corrected" if "corrected" in (status, verdict) else verdict
                add += docs
                reasons.append(f"{quantity.text}: {verdict} from {', '.join(docs)}")
            if replacement:
                replacements.append((quantity, replacement))
        for name, (verdict, docs) in (
            ("dates", self._dates(sentence, cited)),
            ("names", self._names(sentence, cited)),
            ("quotations", self._quotes(sentence, section, cited)),
        ):
            if verdict == "removed":
                reason = f"{name} no document states"
                return Verdict(sentence, "removed", [reason], True, docs)
            if verdict == "recited":
                status = status if status == "corrected" else "recited"
                add += docs
                reasons.append(f"{name}: recited from {', '.join(docs)}")
        factual = self.is_factual(sentence)
        for quantity, replacement in sorted(replacements, key=lambda r: -r[0].start):
            text = text[: quantity.start] + replacement + text[quantity.end :]
        new = [d for d in dict.fromkeys(add) if d not in cited]
        if new:
            text = _add_citations(text, new)
        if status == "ok" and not factual:
            status = "plain"
        return Verdict(text, status, reasons, factual)

    def is_factual(self, sentence: str) -> bool:
        """True when the sentence states a figure, a day-precise date, a name or a quotation
        (what must be cited and checked)."""
        found = claim_figures(sentence) or date_claims(sentence) or QUOTE.search(sentence)
        return bool(found or self.has_name(sentence))

    def has_name(self, sentence: str) -> bool:
        """True when the sentence names a person, product or partner (not just a company)."""
        for match in NAME.finditer(unlabelled(CITATION.sub(" ", sentence))):
            words = [w for w in match.group(0).split() if w.lower() not in _NOT_NAME_WORDS]
            if len(words) >= 2 and " ".join(words) not in self.index.companies.names:
                return True
        return False


def claim_figures(sentence: str) -> list[Quantity]:
    """The figures of ``sentence`` that are not part of a day-precise date."""
    dates = date_claims(sentence)
    if not dates:
        return quantities(sentence)
    pattern = "|".join(re.escape(claim.text) for claim in dates)
    spans = [(m.start(), m.end()) for m in re.finditer(pattern, sentence)]
    return [q for q in quantities(sentence) if not any(s <= q.start < e for s, e in spans)]


def prose_sentences(body: str, companies: Companies) -> Iterator[tuple[int, str, str | None]]:
    """(line number, sentence, section company) for every prose sentence of a Markdown body
    (headings set the section: ``### Fabrikam Wireless``, and a deeper heading that names no
    company — ``#### Market positioning`` — stays in it; bullet marks are left out)."""
    section: str | None = None
    depth = 0
    for number, line in enumerate(body.splitlines()):
        stripped = line.strip()
        if stripped.startswith("#"):
            level = heading_level(stripped)
            named = companies.mentions(stripped)
            if named:
                section, depth = named[0][2], level
            elif section is None or level <= depth:
                section, depth = None, 0
            continue
        for sentence in split_sentences(line[len(bullet_mark(line)) :]):
            yield number, sentence, section


def _add_citations(sentence: str, doc_ids: Sequence[str]) -> str:
    """``sentence`` with ``[doc-id]`` citations added before its final full stop."""
    tags = " ".join(f"[{d}]" for d in doc_ids)
    match = re.search(r"([.!?])((?:\s*\[[a-z0-9][a-z0-9-]{2,80}\])*)\s*$", sentence)
    if match is None:
        return f"{sentence} {tags}"
    head = sentence[: match.start()]
    return f"{head}{match.group(2)} {tags}{match.group(1)}".replace("  ", " ")


def ground_report(
    body: str, corpus: Corpus, subjects: Sequence[str], known: Iterable[str]
) -> Grounded:
    """Check every sentence of the report ``body`` (Markdown) against the documents it cites;
    repair what the documents support, remove the rest (see the module doc)."""
    checker = Checker(corpus, subjects, known)
    lines = body.splitlines()
    kept: dict[int, list[str]] = {}
    verdicts: list[Verdict] = []
    for number, sentence, section in prose_sentences(body, checker.index.companies):
        verdict = checker.check(sentence, section)
        verdicts.append(verdict)
        kept.setdefault(number, [])
        if verdict.status != "removed":
            kept[number].append(verdict.sentence)
    out: list[str] = []
    for number, line in enumerate(lines):
        if number not in kept:
            out.append(line)
        elif kept[number]:
            out.append(bullet_mark(line) + " ".join(kept[number]))
    return Grounded("\n".join(without_empty_sections(without_repeats(out))).strip(), verdicts)


def unverified_section(grounded: Grounded) -> str:
    """The report section listing removed claims ('' when nothing was removed)."""
    if not grounded.unverified:
        return ""
    lines = ["## Unverified claims (removed from the report)"]
    lines += [f"- {v.redacted()} — {'; '.join(v.reasons)}" for v in grounded.unverified]
    return "\n".join(lines)
