"""A Postgres checkpointer whose calls run concurrently: stock ``PostgresSaver``s on one pool."""

from __future__ import annotations

import queue
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import (
    BaseCheckpointSaver,
    ChannelVersions,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
)
from langgraph.checkpoint.postgres import PostgresSaver
from psycopg_pool import ConnectionPool

SETUP_LOCK = 7_104_553
"""Advisory-lock key that serializes checkpoint migrations across processes."""


def _first(cursor: Any) -> bool:
    row = cursor.fetchone()
    if row is None:
        return False
    return bool(next(iter(row.values())) if isinstance(row, dict) else row[0])


class PooledPostgresSaver(BaseCheckpointSaver[str]):
    """Checkpoints in Postgres, several calls at once, through LangGraph's public saver only.

    The stock ``PostgresSaver`` takes one ``threading.Lock`` around every call, which is needed
    when it shares a single connection; with a pool it only makes every turn of the process
    wait for every other turn's checkpoint writes. Here each call borrows one of ``savers``
    stock savers over the same pool (each call takes its own pooled connection). ``setup``
    also takes an advisory lock, so workers starting together on a fresh database do not
    deadlock in the migrations.
    """

    def __init__(self, pool: ConnectionPool, savers: int | None = None) -> None:
        first = PostgresSaver(pool)  # type: ignore[arg-type]
        super().__init__(serde=first.serde)
        self.pool = pool
        self._versions = first
        self._idle: queue.SimpleQueue[PostgresSaver] = queue.SimpleQueue()
        self._idle.put(first)
        for _ in range((savers or pool.max_size) - 1):
            self._idle.put(PostgresSaver(pool, serde=first.serde))  # type: ignore[arg-type]

    @contextmanager
    def borrowed(self) -> Iterator[PostgresSaver]:
        """One idle stock saver for the length of a call."""
        saver = self._idle.get()
        try:
            yield saver
        finally:
            self._idle.put(saver)

    def setup(self) -> None:
        """Run the checkpoint migrations, one process at a time."""
        with self.pool.connection() as conn, self.borrowed() as saver:
            # Poll instead of blocking: a statement waiting on the lock would hold a snapshot
            # that the holder's CREATE INDEX CONCURRENTLY must wait for (a deadlock).
            while not _first(conn.execute("SELECT pg_try_advisory_lock(%s)", (SETUP_LOCK,))):
                time.sleep(0.2)
            try:
                saver.setup()
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s)", (SETUP_LOCK,))

    def get_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        with self.borrowed() as saver:
            return saver.get_tuple(config)

    def list(
        self,
        config: RunnableConfig | None,
        *,
        filter: dict[str, Any] | None = None,
        before: RunnableConfig | None = None,
        limit: int | None = None,
    ) -> Iterator[CheckpointTuple]:
        with self.borrowed() as saver:
            found = list(saver.list(config, filter=filter, before=before, limit=limit))
        yield from found

    def put(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        with self.borrowed() as saver:
            return saver.put(config, checkpoint, metadata, new_versions)

    def put_writes(
        self,
        config: RunnableConfig,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        with self.borrowed() as saver:
            saver.put_writes(config, writes, task_id, task_path)

    def delete_thread(self, thread_id: str) -> None:
        with self.borrowed() as saver:
            saver.delete_thread(thread_id)

    def prune(self, thread_ids: Sequence[str], *, strategy: str = "keep_latest") -> None:
        with self.borrowed() as saver:
            saver.prune(thread_ids, strategy=strategy)

    def get_delta_channel_history(
        self, *, config: RunnableConfig, channels: Sequence[str]
    ) -> Mapping[str, Any]:
        with self.borrowed() as saver:
            return saver.get_delta_channel_history(config=config, channels=channels)

    def get_next_version(self, current: str | None, channel: None) -> str:
        return self._versions.get_next_version(current, channel)  # pure: needs no connection
