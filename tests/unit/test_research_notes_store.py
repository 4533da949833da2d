"""The shared notes store (SQLite): versions are appended, never overwritten.

The store tests take the ``store`` fixture; tests/integration/test_research_notes_postgres.py
runs the same functions against PostgreSQL by providing its own ``store``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tools.notes_store import NotesStoreError, SqlNotesStore, open_notes_store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqlNotesStore]:
    """A notes store in a fresh SQLite file."""
    opened = SqlNotesStore(f"sqlite:///{tmp_path / 'notes.sqlite'}")
    yield opened
    opened.close()


def test_posting_to_a_key_appends_versions_and_keeps_every_one(store: SqlNotesStore) -> None:
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


def test_the_table_refuses_updates_and_deletes(store: SqlNotesStore) -> None:
    store.post("run", "k", "a", "text")
    for statement in ("UPDATE notes SET content = 'changed'", "DELETE FROM notes"):
        with pytest.raises(Exception, match="append-only"), store.db.transaction() as tx:
            tx.execute(statement)
    assert [n.content for n in store.history("run", "k")] == ["text"]


def test_concurrent_posts_get_distinct_versions(store: SqlNotesStore) -> None:
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
    assert isinstance(store, SqlNotesStore)
    assert store.db.url.path == isolated_data_dir / "notes.sqlite"


def test_an_unsupported_url_names_the_fix() -> None:
    with pytest.raises(NotesStoreError, match="redis://"):
        open_notes_store("mysql://somewhere/db")
