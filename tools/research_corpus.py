"""Research corpus: the documents in data/research, BM25 search over their paragraphs, tools."""

from __future__ import annotations

import math
import os
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from langchain_core.tools import BaseTool, tool

from conversation.paths import repo_root

CORPUS_DIR = repo_root() / "data" / "research"
"""Where the corpus lives: one Markdown file per document, with front matter."""

MARKET = "market"
"""The ``company`` of documents about the whole market."""

_STOPWORD_TEXT = """
a an and are as at be by for from has have in is it its of on or that the their this to was were
which with what how does do compare between about focusing focus
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())

_TOKEN = re.compile(r"[a-z0-9]+(?:\.[0-9]+)?")


class CorpusError(ValueError):
    """The corpus is missing or a document is malformed; the message names the file."""


@dataclass(frozen=True)
class Document:
    """One corpus document."""

    id: str
    title: str
    company: str
    topic: str
    date: str
    path: str
    """Path relative to the repository root (``data/research/...``)."""
    body: str


@dataclass(frozen=True)
class Passage:
    """One paragraph of a document, as a search result."""

    doc_id: str
    title: str
    company: str
    topic: str
    text: str
    score: float = 0.0

    def cite(self) -> str:
        """The passage with its citation tag, as researchers see it."""
        return f"[{self.doc_id}] ({self.title}) {self.text}"


def tokens(text: str) -> list[str]:
    """Search terms of ``text``: lower-case words and numbers without stop words."""
    return [t for t in _TOKEN.findall(text.lower()) if t not in STOPWORDS]


def _display_path(path: Path) -> str:
    """``path`` relative to the repository when it lies inside it."""
    try:
        return str(path.resolve().relative_to(repo_root()))
    except ValueError:
        return str(path)


def front_matter(block: str) -> dict[str, str]:
    """``key: value`` lines (the value may contain colons; surrounding quotes are dropped)."""
    meta: dict[str, str] = {}
    for line in block.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip():
            meta[key.strip()] = value.strip().strip('"').strip("'")
    return meta


def parse_document(path: Path) -> Document:
    """A ``Document`` from a Markdown file with a ``---`` front-matter block."""
    text = path.read_text(encoding="utf-8")
    match = re.match(r"^---\n(.*?)\n---\n(.*)$", text, re.DOTALL)
    if not match:
        raise CorpusError(f"{path} has no front matter; start it with a '---' block (id, title).")
    meta = front_matter(match.group(1))
    missing = {"id", "title", "company", "topic"} - meta.keys()
    if missing:
        raise CorpusError(f"{path} front matter lacks: {', '.join(sorted(missing))}.")
    return Document(
        id=str(meta["id"]),
        title=str(meta["title"]),
        company=str(meta["company"]),
        topic=str(meta["topic"]),
        date=str(meta.get("date", "")),
        path=_display_path(path),
        body=match.group(2).strip(),
    )


class Corpus:
    """The documents of one corpus folder and a BM25 index over their paragraphs."""

    K1 = 1.4
    B = 0.75

    def __init__(self, documents: Sequence[Document]) -> None:
        self.documents = {doc.id: doc for doc in documents}
        self.passages: list[Passage] = []
        for doc in documents:
            for paragraph in re.split(r"\n\s*\n", doc.body):
                text = " ".join(paragraph.split())
                if text:
                    self.passages.append(Passage(doc.id, doc.title, doc.company, doc.topic, text))
        self._terms = [Counter(tokens(f"{p.title} {p.topic} {p.text}")) for p in self.passages]
        lengths = [sum(terms.values()) for terms in self._terms]
        self._avg = sum(lengths) / len(lengths) if lengths else 1.0
        self._lengths = lengths
        frequency: Counter[str] = Counter()
        for terms in self._terms:
            frequency.update(terms.keys())
        total = len(self.passages)
        self._idf = {t: math.log(1 + (total - n + 0.5) / (n + 0.5)) for t, n in frequency.items()}

    @property
    def companies(self) -> list[str]:
        """Companies the corpus covers (``market`` excluded), sorted."""
        return sorted({d.company for d in self.documents.values() if d.company != MARKET})

    def _score(self, index: int, query: list[str]) -> float:
        """BM25 score of passage ``index`` for ``query`` terms."""
        terms, length = self._terms[index], self._lengths[index]
        score = 0.0
        for term in query:
            count = terms.get(term, 0)
            if count:
                norm = count + self.K1 * (1 - self.B + self.B * length / self._avg)
                score += self._idf.get(term, 0.0) * count * (self.K1 + 1) / norm
        return score

    def search(
        self, query: str, company: str | None = None, k: int = 4, per_doc: int = 1
    ) -> list[Passage]:
        """Best ``k`` passages for ``query`` (at most ``per_doc`` per document).

        ``company`` keeps that company's documents and the market-wide ones.
        """
        wanted = tokens(query)
        allowed = {company, MARKET} if company else None
        scored = [
            (self._score(i, wanted), i)
            for i, passage in enumerate(self.passages)
            if allowed is None or passage.company in allowed
        ]
        scored.sort(key=lambda item: (-item[0], item[1]))
        results: list[Passage] = []
        taken: Counter[str] = Counter()
        for score, index in scored:
            passage = self.passages[index]
            if score <= 0 or taken[passage.doc_id] >= per_doc:
                continue
            taken[passage.doc_id] += 1
            results.append(Passage(**{**passage.__dict__, "score": round(score, 3)}))
            if len(results) >= k:
                break
        return results

    def find_company(self, text: str) -> list[str]:
        """Companies named in ``text`` (by full name or first word), in order of mention."""
        lowered = text.lower()
        found: list[tuple[int, str]] = []
        for name in self.companies:
            positions = [lowered.find(name.lower()), lowered.find(name.split()[0].lower())]
            hits = [p for p in positions if p >= 0]
            if hits:
                found.append((min(hits), name))
        return [name for _, name in sorted(found)]


def corpus_dir() -> Path:
    """``$SWITCHBOARD_RESEARCH_DIR`` or ``data/research`` in the repository."""
    raw = os.environ.get("SWITCHBOARD_RESEARCH_DIR", "").strip()
    return Path(raw).expanduser().resolve() if raw else CORPUS_DIR


@cache
def _load(root: Path) -> Corpus:
    """The corpus in ``root`` (read once per process and folder)."""
    files = sorted(p for p in root.rglob("*.md") if p.name.lower() != "readme.md")
    if not files:
        raise CorpusError(f"No research documents in {root}; restore data/research/.")
    return Corpus([parse_document(path) for path in files])


def load_corpus(root: Path | None = None) -> Corpus:
    """The research corpus (default: ``corpus_dir()``)."""
    return _load(root or corpus_dir())


# --- LangChain tools ------------------------------------------------------------------------


@tool(response_format="content_and_artifact")
def search_research_corpus(query: str, company: str = "") -> tuple[str, list[dict[str, Any]]]:
    """Search the research corpus of company briefings and market reports.

    Args:
        query: what to look for, e.g. "AI strategy customer care".
        company: limit to one company's documents (plus market-wide ones); empty = all.
    """
    passages = load_corpus().search(query, company or None, k=5)
    if not passages:
        return f"No documents match {query!r}.", []
    return "\n\n".join(p.cite() for p in passages), [p.__dict__ for p in passages]


def web_search_tool() -> BaseTool | None:
    """A web-search tool when a key for one is configured (``TAVILY_API_KEY``), else ``None``."""
    if not os.environ.get("TAVILY_API_KEY", "").strip():
        return None
    # Lazy: langchain_community is heavy; only web search with a Tavily key uses it.
    from langchain_community.tools.tavily_search import TavilySearchResults

    return TavilySearchResults(max_results=3)


def research_tools() -> list[BaseTool]:
    """The researchers' tools: the corpus search, plus web search when configured."""
    web = web_search_tool()
    return [search_research_corpus, *([web] if web is not None else [])]
