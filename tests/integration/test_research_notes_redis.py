"""The notes store on a real Redis: versions append atomically, and the graph can use it."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator

import pytest

from tools.notes_store import RedisNotesStore, open_notes_store

pytestmark = pytest.mark.services


@pytest.fixture
def store(redis_url: str) -> Iterator[RedisNotesStore]:
    store = RedisNotesStore(redis_url)
    yield store


@pytest.fixture
def run_id(store: RedisNotesStore) -> Iterator[str]:
    run = f"test-{uuid.uuid4().hex}"
    yield run
    keys = store.client.keys(f"{RedisNotesStore.PREFIX}:{run}:*")
    if keys:
        store.client.delete(*keys)


def test_redis_notes_are_versioned_and_never_overwritten(
    store: RedisNotesStore, run_id: str
) -> None:
    store.post(run_id, "a", "researcher:A", "draft", ["d1"])
    store.post(run_id, "b", "researcher:B", "other")
    latest = store.post(run_id, "a", "researcher:A", "final", ["d1", "d2"], {"stage": "findings"})
    assert latest.version == 2
    assert [(n.version, n.content) for n in store.history(run_id, "a")] == [
        (1, "draft"),
        (2, "final"),
    ]
    assert store.keys(run_id) == ["a", "b"]
    assert [n.content for n in store.latest(run_id)] == ["final", "other"]
    assert store.history(run_id, "a")[1].meta == {"stage": "findings"}


def test_concurrent_redis_posts_get_distinct_versions(store: RedisNotesStore, run_id: str) -> None:
    threads = [
        threading.Thread(target=store.post, args=(run_id, "shared", f"w{i}", f"n{i}"))
        for i in range(10)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    history = store.history(run_id, "shared")
    assert [n.version for n in history] == list(range(1, 11))
    assert sorted(n.content for n in history) == sorted(f"n{i}" for i in range(10))


def test_the_redis_url_setting_selects_redis(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SWITCHBOARD_REDIS_URL", redis_url)
    assert isinstance(open_notes_store(), RedisNotesStore)
