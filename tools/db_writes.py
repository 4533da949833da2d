"""Domain writes of the telco store, each a guarded statement inside the caller's transaction."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import insert, update
from sqlalchemy.sql.dml import Update

from data_access import Tx
from tools.db_schema import (
    bills,
    handoffs,
    lines,
    payment_requests,
    payments,
    plan_changes,
    tickets,
    usage_events,
)

OPEN_BILL = ("issued", "overdue", "awaiting_payment")


class WriteConflict(Exception):
    """The row changed since the write was confirmed; the transaction is rolled back."""


def derived_id(prefix: str, tool_call_id: str) -> str:
    """Return a stable record id derived from a tool-call id (same call, same id)."""
    return f"{prefix}-{hashlib.sha256(tool_call_id.encode()).hexdigest()[:8].upper()}"


@dataclass
class StoreWriter:
    """Writes for one tool call; every method runs in the transaction that records the call."""

    tx: Tx
    tool_call_id: str
    today: date

    def _guarded(self, statement: Update, what: str) -> None:
        if self.tx.execute(statement) != 1:
            raise WriteConflict(what)

    def _insert(self, table: Any, **values: Any) -> None:
        self.tx.execute(insert(table).values(**values))

    def pay_bill(
        self, bill_id: str, customer_id: str, payment_method_id: str, amount_cents: int
    ) -> str:
        """Mark an open bill paid for exactly ``amount_cents``; return the payment id."""
        self._guarded(
            update(bills)
            .where(
                bills.c.bill_id == bill_id,
                bills.c.customer_id == customer_id,
                bills.c.total_cents == amount_cents,
                bills.c.status.in_(OPEN_BILL),
            )
            .values(status="paid", paid_date=self.today.isoformat()),
            f"bill {bill_id} is no longer open for {amount_cents} cents",
        )
        payment_id = derived_id("P", self.tool_call_id)
        self._insert(
            payments,
            payment_id=payment_id,
            bill_id=bill_id,
            customer_id=customer_id,
            payment_method_id=payment_method_id,
            amount_cents=amount_cents,
            paid_on=self.today.isoformat(),
        )
        return payment_id

    def request_payment(
        self, bill_id: str, customer_id: str, amount_cents: int, sent_to: str
    ) -> str:
        """Set an issued or overdue bill to awaiting payment and log the request."""
        self._guarded(
            update(bills)
            .where(
                bills.c.bill_id == bill_id,
                bills.c.customer_id == customer_id,
                bills.c.total_cents == amount_cents,
                bills.c.status.in_(("issued", "overdue")),
            )
            .values(status="awaiting_payment"),
            f"bill {bill_id} can no longer receive a payment request",
        )
        request_id = derived_id("PR", self.tool_call_id)
        self._insert(
            payment_requests,
            request_id=request_id,
            bill_id=bill_id,
            customer_id=customer_id,
            amount_cents=amount_cents,
            sent_to=sent_to,
            sent_on=self.today.isoformat(),
        )
        return request_id

    def change_plan(
        self,
        line_id: str,
        old_plan_id: str,
        new_plan_id: str,
        prices: tuple[int, int],
        new_limit_gb: float | None,
    ) -> None:
        """Move a line from ``old_plan_id`` to ``new_plan_id`` (prices = old, new cents)."""
        self._guarded(
            update(lines)
            .where(lines.c.line_id == line_id, lines.c.plan_id == old_plan_id)
            .values(plan_id=new_plan_id, data_limit_gb=new_limit_gb),
            f"line {line_id} is no longer on plan {old_plan_id}",
        )
        self._insert(
            plan_changes,
            change_id=derived_id("PC", self.tool_call_id),
            line_id=line_id,
            old_plan_id=old_plan_id,
            new_plan_id=new_plan_id,
            old_price_cents=prices[0],
            new_price_cents=prices[1],
            changed_on=self.today.isoformat(),
        )

    def refuel(self, line_id: str, amount_gb: float, cost_cents: int, old_limit_gb: float) -> None:
        """Add data to a capped line's allowance for this cycle and log the charge."""
        self._guarded(
            update(lines)
            .where(
                lines.c.line_id == line_id,
                lines.c.data_limit_gb == old_limit_gb,
                lines.c.status == "active",
            )
            .values(data_limit_gb=old_limit_gb + amount_gb),
            f"line {line_id} allowance changed",
        )
        self._insert(
            usage_events,
            event_id=derived_id("U", self.tool_call_id),
            line_id=line_id,
            event_date=self.today.isoformat(),
            kind="refuel",
            amount_gb=amount_gb,
            cost_cents=cost_cents,
        )

    def set_roaming(self, line_id: str, enabled: bool) -> None:
        """Turn roaming on or off on an active line."""
        self._guarded(
            update(lines)
            .where(
                lines.c.line_id == line_id,
                lines.c.roaming_enabled == (0 if enabled else 1),
                lines.c.status == "active",
            )
            .values(roaming_enabled=1 if enabled else 0),
            f"line {line_id} roaming already changed",
        )

    def resume_line(self, line_id: str) -> None:
        """Reactivate a suspended line."""
        self._guarded(
            update(lines)
            .where(lines.c.line_id == line_id, lines.c.status == "suspended")
            .values(status="active", suspension_reason=None),
            f"line {line_id} is no longer suspended",
        )

    def open_ticket(
        self, customer_id: str, line_id: str | None, category: str, description: str
    ) -> str:
        """Open a support ticket; return its id."""
        ticket_id = derived_id("TK", self.tool_call_id)
        self._insert(
            tickets,
            ticket_id=ticket_id,
            customer_id=customer_id,
            line_id=line_id,
            category=category,
            description=description,
            status="open",
            opened_on=self.today.isoformat(),
        )
        return ticket_id

    def record_handoff(self, customer_id: str | None, summary: str, created_at: str) -> str:
        """Record a transfer to a human agent; return its id."""
        handoff_id = derived_id("H", self.tool_call_id)
        self._insert(
            handoffs,
            handoff_id=handoff_id,
            customer_id=customer_id,
            summary=summary,
            created_at=created_at,
        )
        return handoff_id
