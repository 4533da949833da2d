"""Run-once writes: each tool call's outcome and its confirmation quote, keyed by call id."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import insert, select

from data_access import Database, DuplicateKey, Tx
from tools.db_models import Confirmation, ToolRun
from tools.db_schema import confirmations, tool_runs
from tools.db_writes import StoreWriter, WriteConflict


def now_iso() -> str:
    """The current UTC time, to the second, as stored in the journal tables."""
    return datetime.now(UTC).isoformat(timespec="seconds")


class WriteJournal:
    """Tool-run idempotency and confirmations: a write runs at most once per tool-call id, and
    the quote a customer confirmed is kept for the re-check before it runs."""

    def __init__(self, db: Database, today: Callable[[], date]) -> None:
        self.db = db
        self._today = today

    def tool_run(self, tool_call_id: str) -> ToolRun | None:
        """Return the recorded outcome of a tool call, if it already ran."""
        with self.db.read() as tx:
            row = tx.one(select(tool_runs).where(tool_runs.c.tool_call_id == tool_call_id))
        return ToolRun(**row) if row else None

    def run_write(
        self,
        tool_call_id: str,
        tool: str,
        customer_id: str | None,
        action: Callable[[StoreWriter], str],
    ) -> str:
        """Run ``action`` and record its result under ``tool_call_id`` in one transaction.

        A call id that already ran (or is running in parallel) returns the stored result
        without running again. A ``WriteConflict`` raised by ``action`` rolls everything back
        and propagates.
        """
        try:
            with self.db.transaction() as tx:
                tx.lock(f"tool-run:{tool_call_id}")  # the same call id in parallel waits here
                done = tx.scalar(
                    select(tool_runs.c.result).where(tool_runs.c.tool_call_id == tool_call_id)
                )
                if done is not None:
                    return str(done)
                result = action(StoreWriter(tx, tool_call_id, self._today()))
                self._insert_run(tx, tool_call_id, tool, customer_id, result)
                return result
        except (DuplicateKey, WriteConflict):
            stored = self.tool_run(tool_call_id)  # a parallel run of the same call finished first
            if stored is None:
                raise
            return stored.result

    def record_outcome(
        self, tool_call_id: str, tool: str, customer_id: str | None, result: str
    ) -> str:
        """Record a write that ended without executing (declined, aborted); first one wins."""
        return self.run_write(tool_call_id, tool, customer_id, lambda _w: result)

    @staticmethod
    def _insert_run(
        tx: Tx, tool_call_id: str, tool: str, customer_id: str | None, result: str
    ) -> None:
        tx.execute(
            insert(tool_runs).values(
                tool_call_id=tool_call_id,
                tool=tool,
                customer_id=customer_id,
                result=result,
                created_at=now_iso(),
            )
        )

    def save_confirmation(
        self,
        tool_call_id: str,
        tool: str,
        customer_id: str | None,
        summary: str,
        details: dict[str, Any],
    ) -> Confirmation:
        """Keep what the customer is asked to confirm; return the first version stored."""
        with self.db.transaction() as tx:
            tx.execute(
                tx.insert_ignore(confirmations).values(
                    tool_call_id=tool_call_id,
                    tool=tool,
                    customer_id=customer_id,
                    summary=summary,
                    details=json.dumps(details, sort_keys=True),
                    created_at=now_iso(),
                )
            )
        stored = self.confirmation(tool_call_id)
        if stored is None:  # pragma: no cover - the insert above guarantees a row
            raise RuntimeError(f"confirmation for tool call {tool_call_id} was not stored")
        return stored

    def confirmation(self, tool_call_id: str) -> Confirmation | None:
        """Return what the customer was asked to confirm for a tool call, if anything."""
        with self.db.read() as tx:
            row = tx.one(select(confirmations).where(confirmations.c.tool_call_id == tool_call_id))
        if row is None:
            return None
        return Confirmation(
            tool_call_id=row["tool_call_id"],
            tool=row["tool"],
            summary=row["summary"],
            details=json.loads(row["details"]),
        )
