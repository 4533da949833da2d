"""Refused attempts (e.g. another customer's bill) counted in the store and logged without PII."""

from __future__ import annotations

import logging
import uuid

from sqlalchemy import func, insert, select

from data_access import Database
from tools.db_schema import security_events
from tools.write_journal import now_iso

security_log = logging.getLogger("switchboard.security")


class SecurityEvents:
    """The ``security_events`` table of one telco store."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def record(self, customer_id: str | None, tool: str, kind: str, reference_kind: str) -> None:
        """Count a refused attempt (e.g. ``cross_account``) and log a warning without PII."""
        security_log.warning(
            "Refused %s attempt in tool %s for customer %s (reference: %s)",
            kind,
            tool,
            customer_id or "unverified",
            reference_kind,
        )
        with self.db.transaction() as tx:
            tx.execute(
                insert(security_events).values(
                    event_id=uuid.uuid4().hex,
                    customer_id=customer_id,
                    tool=tool,
                    kind=kind,
                    reference_kind=reference_kind,
                    created_at=now_iso(),
                )
            )

    def count(self, kind: str | None = None, customer_id: str | None = None) -> int:
        """How many refused attempts were recorded, optionally filtered."""
        query = select(func.count()).select_from(security_events)
        if kind is not None:
            query = query.where(security_events.c.kind == kind)
        if customer_id is not None:
            query = query.where(security_events.c.customer_id == customer_id)
        with self.db.read() as tx:
            return int(tx.scalar(query) or 0)
