"""Bookstore catalogue: a SQL repository seeded from data/books, and the bot's read tools."""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

from langchain_core.tools import BaseTool, tool
from sqlalchemy import Column, Integer, MetaData, Table, Text, delete, func, insert, select

from conversation.paths import data_dir, repo_root
from data_access import Row, Tx, ensure_tables, file_url, open_database

SEED_FILE = repo_root() / "data" / "books" / "books.json"
"""The catalogue's seed: one JSON object per book (see data/books/README.md)."""

SearchField = Literal["any", "title", "author", "genre"]

BOOK_ID = re.compile(r"\bBK\d{4}\b", re.IGNORECASE)
"""A catalogue id such as ``BK0042``."""

METADATA = MetaData()
BOOKS = Table(
    "books",
    METADATA,
    Column("id", Text, primary_key=True),
    Column("isbn", Text, nullable=False, unique=True),
    Column("title", Text, nullable=False),
    Column("author", Text, nullable=False),
    Column("genre", Text, nullable=False),
    Column("year", Integer, nullable=False),
    Column("price_cents", Integer, nullable=False),
    Column("stock", Integer, nullable=False),
    Column("restock_days", Integer, nullable=False),
    Column("format", Text, nullable=False),
    Column("pages", Integer, nullable=False),
    Column("blurb", Text, nullable=False),
)
CATALOGUE_META = Table(
    "catalogue_meta",
    METADATA,
    Column("key", Text, primary_key=True),
    Column("value", Text, nullable=False),
)


class CatalogueError(ValueError):
    """The catalogue cannot be opened or seeded; the message names the fix."""


@dataclass(frozen=True)
class Book:
    """One catalogue entry."""

    id: str
    isbn: str
    title: str
    author: str
    genre: str
    year: int
    price: float
    stock: int
    restock_days: int
    format: str
    pages: int
    blurb: str

    @property
    def label(self) -> str:
        """``BK0001: Title by Author`` — how the bot remembers a book."""
        return f"{self.id}: {self.title} by {self.author}"

    def availability(self) -> str:
        """Stock in words."""
        if self.stock > 0:
            copies = "copy" if self.stock == 1 else "copies"
            return f"In stock: {self.stock} {copies} on the shelf."
        return f"Out of stock; back in about {self.restock_days} days (it can be ordered now)."

    def details(self) -> str:
        """Every field as labelled lines (what the details tool returns)."""
        return "\n".join(
            [
                f"Book: {self.id}",
                f"Title: {self.title}",
                f"Author: {self.author}",
                f"Genre: {self.genre}",
                f"Price: ${self.price:.2f}",
                f"Format: {self.format}, {self.pages} pages, published {self.year}",
                f"ISBN: {self.isbn}",
                f"Availability: {self.availability()}",
                f"About: {self.blurb}",
            ]
        )

    def line(self) -> str:
        """One search-result line."""
        stock = f"{self.stock} in stock" if self.stock else "out of stock"
        return (
            f"{self.id}: {self.title} by {self.author} ({self.genre}, ${self.price:.2f}, {stock})"
        )


def _book(row: Row) -> Book:
    """A ``Book`` from a ``books`` row."""
    values = dict(row)
    values["price"] = values.pop("price_cents") / 100
    return Book(**values)


def _normalize(text: str) -> str:
    """Lower-case words only, for forgiving title and author matching."""
    return " ".join(re.findall(r"[a-z0-9]+", text.lower().replace("'", "")))


def _bare_title(text: str) -> str:
    """A normalized title without a leading article ("The Salt Orchard" → "salt orchard")."""
    return re.sub(r"^(?:the|a|an) ", "", _normalize(text))


def names_title(text: str, title: str) -> bool:
    """True when ``text`` contains the words of ``title`` (article, case, punctuation aside)."""
    bare = _bare_title(title)
    return bool(bare) and f" {bare} " in f" {_normalize(text)} "


def load_seed(path: Path = SEED_FILE) -> list[dict[str, Any]]:
    """The seed entries (raises ``CatalogueError`` when the file is missing or malformed)."""
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise CatalogueError(
            f"Cannot read the catalogue seed {path}: {error}. Restore data/books/books.json."
        ) from error
    if not isinstance(entries, list) or not entries:
        raise CatalogueError(f"The catalogue seed {path} must be a non-empty JSON list of books.")
    return entries


class Catalogue:
    """The book catalogue in one database (a SQLite file by default); thread-safe."""

    def __init__(self, location: Path | str, seed: Path = SEED_FILE) -> None:
        url = file_url(location) if isinstance(location, Path) else location
        self.db = open_database(url, "catalogue")
        self.path = self.db.url.path
        """The SQLite file (``None`` for a database server)."""
        self.seed = seed
        self._seed_lock = threading.Lock()

    def ensure_seeded(self) -> int:
        """Create the tables and (re)load the seed when its content changed; the book count."""
        text = self.seed.read_bytes() if self.seed.is_file() else b""
        digest = hashlib.sha256(text).hexdigest()
        ensure_tables(self.db, "catalogue", METADATA)
        with self._seed_lock, self.db.transaction() as tx:
            tx.lock("catalogue-seed")
            stored = tx.scalar(
                select(CATALOGUE_META.c.value).where(CATALOGUE_META.c.key == "seed_sha")
            )
            if stored != digest:
                self._reseed(tx, load_seed(self.seed), digest)
            return int(tx.scalar(select(func.count()).select_from(BOOKS)) or 0)

    @staticmethod
    def _reseed(tx: Tx, entries: list[dict[str, Any]], digest: str) -> None:
        """Replace every book with ``entries`` (inside the caller's transaction)."""
        tx.execute(delete(BOOKS))
        columns = [c.name for c in BOOKS.columns if c.name != "price_cents"]
        tx.executemany(
            insert(BOOKS),
            [
                {
                    **{c: entry[c] for c in columns},
                    "price_cents": round(float(entry["price"]) * 100),
                }
                for entry in entries
            ],
        )
        tx.execute(
            tx.upsert(CATALOGUE_META, ["key"], lambda new: {"value": new.value}).values(
                key="seed_sha", value=digest
            )
        )

    def all_books(self) -> list[Book]:
        """Every book, by id."""
        with self.db.read() as tx:
            return [_book(row) for row in tx.all(select(BOOKS).order_by(BOOKS.c.id))]

    def get(self, book_id: str) -> Book | None:
        """The book with ``book_id`` (case-insensitive), if any."""
        with self.db.read() as tx:
            row = tx.one(select(BOOKS).where(BOOKS.c.id == book_id.upper()))
        return _book(row) if row else None

    def search(self, query: str, by: SearchField = "any", limit: int = 5) -> list[Book]:
        """Books matching ``query`` in ``by`` (title, author, genre or any), best match first."""
        wanted = _normalize(query)
        if not wanted:
            return []
        words = [word for word in wanted.split() if len(word) > 2 or wanted == word]
        fields = ("title", "author", "genre") if by == "any" else (by,)
        scored: list[tuple[float, str, Book]] = []
        for book in self.all_books():
            score = max(_match_score(wanted, words, _normalize(getattr(book, f))) for f in fields)
            if score > 0:
                scored.append((score, book.id, book))
        scored.sort(key=lambda item: (-item[0], item[1]))
        return [book for _, _, book in scored[: max(1, limit)]]

    def resolve(self, reference: str) -> Book | None:
        """The book a user or model means by ``reference``: an id, or the best title match."""
        if match := BOOK_ID.search(reference):
            return self.get(match.group(0))
        hits = self.search(reference, by="title", limit=1)
        return hits[0] if hits else None

    def find_title(self, title: str) -> Book | None:
        """The book whose title is ``title`` (article, case and punctuation aside), if any.

        Stricter than ``resolve``: a title the catalogue lacks finds nothing, never the
        nearest other book ("Dune" does not find "Dust over Arcadia Planitia").
        """
        wanted = _bare_title(title)
        if not wanted:
            return None
        exact = [book for book in self.all_books() if _bare_title(book.title) == wanted]
        return exact[0] if len(exact) == 1 else None

    def focus(self, query: str, hits: list[Book]) -> Book | None:
        """The one book a search is about: the only hit, or an exact title match."""
        if len(hits) == 1:
            return hits[0]
        wanted = _bare_title(query)
        exact = [book for book in hits if _bare_title(book.title) == wanted]
        return exact[0] if len(exact) == 1 else None


def _match_score(wanted: str, words: list[str], field: str) -> float:
    """How well ``field`` matches: exact 3, phrase 2, else the share of query words found."""
    if not field:
        return 0.0
    if field == wanted:
        return 3.0
    if wanted in field:
        return 2.0
    found = sum(1 for word in words if re.search(rf"\b{re.escape(word)}\b", field))
    return found / len(words) if words and found == len(words) else found / (2 * len(words) or 1)


def catalogue_path() -> Path:
    """``$SWITCHBOARD_CATALOGUE_PATH`` or ``catalogue.sqlite`` in the data directory."""
    raw = os.environ.get("SWITCHBOARD_CATALOGUE_PATH", "").strip()
    return Path(raw).expanduser() if raw else data_dir() / "catalogue.sqlite"


@cache
def _open(path: Path) -> Catalogue:
    """One seeded catalogue per file and process."""
    catalogue = Catalogue(path)
    catalogue.ensure_seeded()
    return catalogue


def open_catalogue(path: Path | None = None) -> Catalogue:
    """The seeded catalogue at ``path`` (default: ``catalogue_path()``), shared per file."""
    return _open((path or catalogue_path()).resolve())


# --- LangChain tools ------------------------------------------------------------------------


def _artifact(books: list[Book], focus: Book | None) -> dict[str, Any]:
    """What the graph reads from a tool result: the books shown and the one in focus."""
    return {
        "book_ids": [book.id for book in books],
        "focus": asdict(focus) | {"label": focus.label} if focus else None,
    }


@tool(response_format="content_and_artifact")
def search_books(query: str, by: SearchField = "any", limit: int = 5) -> tuple[str, dict]:
    """Search the bookstore catalogue by title, author or genre.

    Args:
        query: words from a title, an author's name or a genre (e.g. "salt orchard", "mystery").
        by: which field to search: "title", "author", "genre" or "any".
        limit: most results to return (1-10).
    """
    catalogue = open_catalogue()
    hits = catalogue.search(query, by, min(max(limit, 1), 10))
    if not hits:
        return f"No books match {query!r}.", _artifact([], None)
    focus = catalogue.focus(query, hits)
    return "\n".join(book.line() for book in hits), _artifact(hits, focus)


@tool(response_format="content_and_artifact")
def book_details(book: str) -> tuple[str, dict]:
    """Full details of one book: author, genre, price, format, availability.

    Args:
        book: the book's catalogue id (e.g. "BK0042") or its title.
    """
    found = open_catalogue().resolve(book)
    if found is None:
        return f"No book matches {book!r}. Search the catalogue first.", _artifact([], None)
    return found.details(), _artifact([found], found)


@tool(response_format="content_and_artifact")
def check_availability(book: str) -> tuple[str, dict]:
    """Whether a book is on the shelf now, and when a sold-out book is back.

    Args:
        book: the book's catalogue id (e.g. "BK0042") or its title.
    """
    found = open_catalogue().resolve(book)
    if found is None:
        return f"No book matches {book!r}. Search the catalogue first.", _artifact([], None)
    return f"{found.label}. {found.availability()}", _artifact([found], found)


READ_TOOLS: list[BaseTool] = [search_books, book_details, check_availability]
"""Tools that only read the catalogue."""
WRITE_TOOLS: list[BaseTool] = []
"""The bookstore bot changes nothing (no orders yet)."""
