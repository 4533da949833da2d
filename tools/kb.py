"""Knowledge base: help articles in data/kb/*.md, chunked by section into a Chroma index."""

from __future__ import annotations

import hashlib
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from langchain.tools import tool
from tqdm import tqdm

from conversation.paths import data_dir, repo_root
from tools.kb_embedding import WordLlamaEmbeddingFunction

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection

COLLECTION = "bluebell_kb"
DEFAULT_K = 3
_CANDIDATES = 12
"""Vector hits fetched before the lexical re-rank picks the top ``k``."""
_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "can",
        "do",
        "does",
        "for",
        "from",
        "get",
        "how",
        "i",
        "if",
        "in",
        "is",
        "it",
        "me",
        "my",
        "of",
        "on",
        "or",
        "our",
        "the",
        "there",
        "this",
        "to",
        "we",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "will",
        "with",
        "you",
        "your",
    ]
)


@dataclass(frozen=True)
class Section:
    """One ``##`` section of an article: the unit that is embedded and retrieved."""

    source: str
    title: str
    heading: str
    text: str


@dataclass(frozen=True)
class Passage:
    """A retrieved section with its source id (the article's file stem) and relevance score."""

    source: str
    title: str
    heading: str
    text: str
    score: float

    def cite(self) -> str:
        """The passage tagged with its citation, e.g. ``[kb:roaming] Title — Heading: text``."""
        return f"[kb:{self.source}] {self.title} — {self.heading}: {self.text}"


@dataclass(frozen=True)
class RebuildReport:
    """What an incremental rebuild changed."""

    embedded: tuple[str, ...]
    removed: tuple[str, ...]
    unchanged: int


def kb_dir() -> Path:
    """The shipped help articles."""
    return repo_root() / "data" / "kb"


def index_dir() -> Path:
    """Where the persistent Chroma index lives (runtime data, outside the source tree)."""
    return data_dir() / "kb" / "chroma"


def parse_article(path: Path) -> list[Section]:
    """Split a markdown article into sections: ``# Title`` then ``## Heading`` blocks."""
    title, heading = path.stem, "Overview"
    lines: list[str] = []
    sections: list[Section] = []
    for line in [*path.read_text(encoding="utf-8").splitlines(), "## "]:
        if line.startswith("# "):
            title = line[2:].strip()
        elif line.startswith("## "):
            body = " ".join(s.strip() for s in lines if s.strip())
            if body:
                sections.append(Section(path.stem, title, heading, body))
            heading, lines = line[3:].strip(), []
        else:
            lines.append(line)
    if not sections:
        raise ValueError(f"{path}: no text found; write '# Title' then '## Section' blocks")
    return sections


def content_hash(path: Path) -> str:
    """Hash of an article's bytes: the incremental-rebuild key."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


@cache
def _client(path: str) -> ClientAPI:
    """The persistent Chroma client for ``path`` (one per process; telemetry off)."""
    # Lazy: chromadb is heavy to import; only the knowledge base needs it.
    import chromadb
    from chromadb.config import Settings

    Path(path).mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(
        path=path, settings=Settings(anonymized_telemetry=False, allow_reset=False)
    )


def collection(index: Path | None = None) -> Collection:
    """The KB collection in ``index`` (default: the data dir), created on demand."""
    client = _client(str((index or index_dir()).resolve()))
    return client.get_or_create_collection(
        COLLECTION,
        embedding_function=WordLlamaEmbeddingFunction(),  # type: ignore[arg-type]
        metadata={"hnsw:space": "cosine"},
    )


def _indexed_hashes(coll: Collection) -> dict[str, str]:
    """Source id → content hash of what is in the index now."""
    found = coll.get(include=["metadatas"])
    return {str(m["source"]): str(m["hash"]) for m in found["metadatas"] or []}


def _progress(items: list[Path], enabled: bool) -> Iterator[Path]:
    """Iterate ``items`` with a tqdm bar on stderr (quiet when disabled)."""
    yield from tqdm(items, desc="kb: embedding", unit="file", file=sys.stderr, disable=not enabled)


def _embed_article(coll: Collection, path: Path, digest: str) -> None:
    """Replace the index entries of one article with its current sections."""
    coll.delete(where={"source": path.stem})
    sections = parse_article(path)
    coll.add(
        ids=[f"{path.stem}#{i}" for i in range(len(sections))],
        documents=[f"{s.title}. {s.heading}. {s.text}" for s in sections],
        metadatas=[
            {
                "source": s.source,
                "title": s.title,
                "heading": s.heading,
                "text": s.text,
                "hash": digest,
            }
            for s in sections
        ],
    )


def rebuild(
    articles: Path | None = None, index: Path | None = None, progress: bool = True
) -> RebuildReport:
    """Bring the index in line with the articles: embed new/changed files, drop deleted ones."""
    folder = articles or kb_dir()
    files = sorted(folder.glob("*.md"))
    if not files:
        raise FileNotFoundError(f"no articles in {folder}; expected data/kb/*.md")
    coll = collection(index)
    indexed = _indexed_hashes(coll)
    current = {path.stem: content_hash(path) for path in files}
    changed = [path for path in files if indexed.get(path.stem) != current[path.stem]]
    for path in _progress(changed, progress and bool(changed)):
        _embed_article(coll, path, current[path.stem])
    removed = sorted(set(indexed) - set(current))
    for source in removed:
        coll.delete(where={"source": source})
    return RebuildReport(tuple(p.stem for p in changed), tuple(removed), len(files) - len(changed))


@cache
def _ensure_built(articles: str, index: str) -> None:
    """Run the incremental rebuild once per process before the first search."""
    rebuild(Path(articles), Path(index), progress=False)


def _terms(text: str) -> set[str]:
    """Content words of ``text`` for the lexical re-rank."""
    return {w for w in _WORD.findall(text.lower()) if w not in _STOP}


def search(
    query: str, k: int = DEFAULT_K, index: Path | None = None, articles: Path | None = None
) -> list[Passage]:
    """Top ``k`` sections for ``query``: vector hits from Chroma, re-ranked by word overlap.

    The index is brought up to date (incrementally) before the first search of the process.
    """
    where = (index or index_dir()).resolve()
    _ensure_built(str((articles or kb_dir()).resolve()), str(where))
    coll = collection(where)
    found = coll.query(query_texts=[query], n_results=max(k, _CANDIDATES))
    wanted = _terms(query)
    passages = []
    for meta, distance in zip(found["metadatas"][0], found["distances"][0], strict=True):  # type: ignore[index]
        words = _terms(f"{meta['title']} {meta['heading']} {meta['text']}")
        overlap = len(wanted & words) / max(len(wanted), 1)
        score = (1.0 - float(distance)) + 0.5 * overlap
        passages.append(
            Passage(
                str(meta["source"]),
                str(meta["title"]),
                str(meta["heading"]),
                str(meta["text"]),
                round(score, 4),
            )
        )
    return _diverse(sorted(passages, key=lambda p: p.score, reverse=True), k)


def _diverse(ranked: list[Passage], k: int, per_source: int = 2) -> list[Passage]:
    """The best ``k`` passages with at most ``per_source`` from any one article."""
    picked: list[Passage] = []
    counts: dict[str, int] = {}
    for passage in ranked:
        if counts.get(passage.source, 0) < per_source:
            picked.append(passage)
            counts[passage.source] = counts.get(passage.source, 0) + 1
    return picked[:k]


@tool
def search_kb(query: str) -> str:
    """Search Bluebell's help articles (plans, roaming, bills, fees, payments, data, MMS, SIM,
    eSIM, no service, suspension). Returns passages tagged [kb:<id>]; cite the tag you use."""
    passages = search(query)
    if not passages:
        return "No help article matches that question."
    return "\n\n".join(p.cite() for p in passages)
