"""A Postgres checkpointer whose calls run concurrently, each on its own pooled connection."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from langgraph.checkpoint.postgres import PostgresSaver, _internal
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

SETUP_LOCK = 7_104_553
"""Advisory-lock key that serializes checkpoint migrations across processes."""


def _first(cursor: Any) -> bool:
    row = cursor.fetchone()
    if row is None:
        return False
    return bool(next(iter(row.values())) if isinstance(row, dict) else row[0])


class PooledPostgresSaver(PostgresSaver):
    """``PostgresSaver`` without its process-wide lock when it draws from a connection pool.

    The stock saver takes one ``threading.Lock`` around every call, which is needed when it
    shares a single connection; with a pool it only makes every turn of the process wait for
    every other turn's checkpoint writes. Here each call borrows its own connection instead.
    Its ``setup`` also takes an advisory lock, so workers starting together on a fresh
    database do not deadlock in the migrations.
    """

    def setup(self) -> None:
        """Run the checkpoint migrations, one process at a time."""
        with _internal.get_connection(self.conn) as conn:
            # Poll instead of blocking: a statement waiting on the lock would hold a snapshot
            # that the holder's CREATE INDEX CONCURRENTLY must wait for (a deadlock).
            while not _first(conn.execute("SELECT pg_try_advisory_lock(%s)", (SETUP_LOCK,))):
                time.sleep(0.2)
            try:
                super().setup()
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s)", (SETUP_LOCK,))

    @contextmanager
    def _cursor(self, *, pipeline: bool = False) -> Iterator[Any]:
        if self.pipe is not None or not isinstance(self.conn, ConnectionPool):
            with super()._cursor(pipeline=pipeline) as cursor:
                yield cursor
            return
        with _internal.get_connection(self.conn) as conn:
            if pipeline and self.supports_pipeline:
                with conn.pipeline(), conn.cursor(binary=True, row_factory=dict_row) as cursor:
                    yield cursor
            elif pipeline:
                with conn.transaction(), conn.cursor(binary=True, row_factory=dict_row) as cursor:
                    yield cursor
            else:
                with conn.cursor(binary=True, row_factory=dict_row) as cursor:
                    yield cursor
