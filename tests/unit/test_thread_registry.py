"""Thread registry: create, look up, authorize, touch and list threads (SQLite).

The tests take the ``registry`` fixture; tests/integration/test_thread_registry_postgres.py
runs the same functions against PostgreSQL by providing its own ``registry``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.threads import ThreadForbidden, ThreadRegistry, UnknownThread


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[ThreadRegistry]:
    """A registry in a fresh SQLite file."""
    opened = ThreadRegistry(f"sqlite:///{tmp_path / 'threads.sqlite'}")
    yield opened
    opened.close()


def test_a_created_thread_belongs_to_its_customer(registry: ThreadRegistry) -> None:
    thread = registry.create("C1001", "support")
    info = registry.get(thread)
    assert (info.thread_id, info.customer_id, info.graph) == (thread, "C1001", "support")
    assert registry.authorize(thread, "C1001") == info
    with pytest.raises(ThreadForbidden):
        registry.authorize(thread, "C1002")
    with pytest.raises(UnknownThread, match="no-such-thread"):
        registry.get("no-such-thread")


def test_an_unauthenticated_thread_is_only_for_unauthenticated_callers(
    registry: ThreadRegistry,
) -> None:
    thread = registry.create(None, "bookstore", thread_id="anon-1")
    assert thread == "anon-1"
    assert registry.authorize(thread, None).customer_id is None
    with pytest.raises(ThreadForbidden):
        registry.authorize(thread, "C1001")


def test_lists_are_newest_first_and_filtered(registry: ThreadRegistry) -> None:
    first = registry.create("C1001", "support")
    second = registry.create("C1001", "bookstore")
    other = registry.create("C1002", "support")
    time.sleep(0.01)
    registry.touch(first)
    assert [t.thread_id for t in registry.list(customer_id="C1001")] == [first, second]
    assert [t.thread_id for t in registry.list(graph="support")] == [first, other]
    assert registry.get(first).updated_at > registry.get(first).created_at
    assert {t.thread_id for t in registry.list()} >= {first, second, other}
