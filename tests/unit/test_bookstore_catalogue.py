"""The bookstore catalogue: seeded from data/books, searchable, and its LangChain tools."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tools.catalogue import (
    SEED_FILE,
    Catalogue,
    CatalogueError,
    book_details,
    check_availability,
    load_seed,
    open_catalogue,
    search_books,
)


@pytest.fixture(scope="module")
def seed() -> list[dict]:
    return load_seed()


def test_seed_has_at_least_200_distinct_books_with_every_field(seed: list[dict]) -> None:
    assert len(seed) >= 200
    assert len({b["id"] for b in seed}) == len(seed)
    assert len({b["title"] for b in seed}) == len(seed)
    assert len({b["genre"] for b in seed}) >= 10
    for book in seed:
        assert book["price"] > 0 and book["stock"] >= 0
        assert (book["stock"] == 0) == (book["restock_days"] > 0)


def test_catalogue_seeds_sqlite_and_finds_by_title_author_and_genre(tmp_path: Path) -> None:
    catalogue = Catalogue(tmp_path / "books.sqlite")
    assert catalogue.ensure_seeded() == len(load_seed())
    first = load_seed()[0]
    by_title = catalogue.search(first["title"], "title")
    assert by_title[0].id == first["id"]
    assert catalogue.focus(first["title"], by_title) == by_title[0]
    assert any(b.id == first["id"] for b in catalogue.search(first["author"], "author", 10))
    mysteries = catalogue.search("mystery", "genre", 10)
    assert mysteries and all(b.genre == "Mystery" for b in mysteries)
    assert catalogue.search("zzzz qqqq", "any") == []


def test_resolve_accepts_an_id_or_a_title(tmp_path: Path) -> None:
    catalogue = Catalogue(tmp_path / "books.sqlite")
    catalogue.ensure_seeded()
    book = load_seed()[5]
    assert catalogue.resolve(book["id"].lower()) is not None
    resolved = catalogue.resolve(book["title"].lower())
    assert resolved is not None and resolved.id == book["id"]


def test_catalogue_reseeds_when_the_seed_changes(tmp_path: Path) -> None:
    seed_file = tmp_path / "books.json"
    books = load_seed()[:3]
    seed_file.write_text(json.dumps(books))
    catalogue = Catalogue(tmp_path / "books.sqlite", seed_file)
    assert catalogue.ensure_seeded() == 3
    seed_file.write_text(json.dumps(books[:2]))
    assert catalogue.ensure_seeded() == 2
    with sqlite3.connect(tmp_path / "books.sqlite") as conn:
        assert conn.execute("SELECT COUNT(*) FROM books").fetchone()[0] == 2


def test_a_broken_seed_names_the_file(tmp_path: Path) -> None:
    broken = tmp_path / "books.json"
    broken.write_text("{not json")
    with pytest.raises(CatalogueError, match=str(broken)):
        Catalogue(tmp_path / "x.sqlite", broken).ensure_seeded()


def test_tools_return_text_for_the_model_and_the_focused_book_as_artifact() -> None:
    book = load_seed()[0]
    message = search_books.invoke(
        {"type": "tool_call", "id": "c1", "name": "search_books", "args": {"query": book["title"]}}
    )
    assert book["title"] in message.content
    assert message.artifact["focus"]["id"] == book["id"]
    details = book_details.invoke(
        {"type": "tool_call", "id": "c2", "name": "book_details", "args": {"book": book["id"]}}
    )
    assert f"Price: ${book['price']:.2f}" in details.content
    assert f"Author: {book['author']}" in details.content
    stock = check_availability.invoke(
        {"type": "tool_call", "id": "c3", "name": "check_availability", "args": {"book": "BK9999"}}
    )
    assert "No book matches" in stock.content and stock.artifact["focus"] is None


def test_default_catalogue_lives_in_the_data_dir(isolated_data_dir: Path) -> None:
    catalogue = open_catalogue()
    assert catalogue.path.parent == isolated_data_dir.resolve()
    assert SEED_FILE.is_file()
