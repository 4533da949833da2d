"""The shared notes store (SQLite): versions are appended, never overwritten."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from tools.notes_store import NotesStoreError, SqliteNotesStore, open_notes_store


def test_posting_to_a_key_appends_versions_and_keeps_every_one(tmp_path: Path) -> None:
    store = SqliteNotesStore(tmp_path / "notes.sqlite")
    first = store.post("run1", "research_company_a", "researcher:A", "draft", ["doc-1"])
    store.post("run1", "research_company_b", "researcher:B", "other")
    second = store.post("run1", "research_company_a", "researcher:A", "final", ["doc-1", "doc-2"])
    assert (first.version, second.version) == (1, 2)
    history = store.history("run1", "research_company_a")
    assert [(n.version, n.content, n.author) for n in history] == [
        (1, "draft", "researcher:A"),
        (2, "final", "researcher:A"),
    ]
    assert history[1].sources == ["doc-1", "doc-2"]
    assert store.keys("run1") == ["research_company_a", "research_company_b"]
    assert [n.content for n in store.latest("run1")] == ["final", "other"]
    assert store.latest("another-run") == []


def test_the_table_refuses_updates_and_deletes(tmp_path: Path) -> None:
    path = tmp_path / "notes.sqlite"
    SqliteNotesStore(path).post("run", "k", "a", "text")
    with sqlite3.connect(path) as conn, pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("UPDATE notes SET content = 'changed'")
    with sqlite3.connect(path) as conn, pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("DELETE FROM notes")


def test_concurrent_posts_get_distinct_versions(tmp_path: Path) -> None:
    store = SqliteNotesStore(tmp_path / "notes.sqlite")
    threads = [
        threading.Thread(target=store.post, args=("run", "shared", f"w{i}", f"note {i}"))
        for i in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [n.version for n in store.history("run", "shared")] == list(range(1, 9))


def test_default_store_is_sqlite_in_the_data_dir(
    isolated_data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SWITCHBOARD_REDIS_URL", raising=False)
    store = open_notes_store()
    assert isinstance(store, SqliteNotesStore)
    assert store.path == isolated_data_dir / "notes.sqlite"


def test_an_unsupported_url_names_the_fix() -> None:
    with pytest.raises(NotesStoreError, match="redis://"):
        open_notes_store("mysql://somewhere/db")
