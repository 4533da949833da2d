"""A SQLite file another connection is writing to still opens: the switch to WAL waits."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from data_access import parse_database_url
from data_access.database import Database


def test_opening_a_file_while_another_connection_writes_waits_for_it(tmp_path: Path) -> None:
    path = tmp_path / "busy.sqlite"
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("CREATE TABLE t (x INTEGER)")  # a schema being created, not committed yet
    release = threading.Timer(0.5, lambda: holder.execute("COMMIT"))
    release.start()
    try:
        database = Database(parse_database_url(f"sqlite:///{path}"))
    finally:
        release.join()
        holder.close()
    with database.read() as tx:
        assert str(tx.scalar("PRAGMA journal_mode")).lower() == "wal"
    database.engine.dispose()
