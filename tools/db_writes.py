"""Domain writes of the telco store, each a guarded statement inside the caller's transaction."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date

from tools.db import Tx


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

    def _guarded(self, sql: str, params: tuple[object, ...], what: str) -> None:
        if self.tx.execute(sql, params) != 1:
            raise WriteConflict(what)

    def pay_bill(
        self, bill_id: str, customer_id: str, payment_method_id: str, amount_cents: int
    ) -> str:
        """Mark an open bill paid for exactly ``amount_cents``; return the payment id."""
        self._guarded(
            "UPDATE bills SET status = 'paid', paid_date = ? WHERE bill_id = ? AND "
            "customer_id = ? AND total_cents = ? AND status IN "
            "('issued', 'overdue', 'awaiting_payment')",
            (self.today.isoformat(), bill_id, customer_id, amount_cents),
            f"bill {bill_id} is no longer open for {amount_cents} cents",
        )
        payment_id = derived_id("P", self.tool_call_id)
        self.tx.execute(
            "INSERT INTO payments VALUES (?, ?, ?, ?, ?, ?)",
            (
                payment_id,
                bill_id,
                customer_id,
                payment_method_id,
                amount_cents,
                self.today.isoformat(),
            ),
        )
        return payment_id

    def request_payment(
        self, bill_id: str, customer_id: str, amount_cents: int, sent_to: str
    ) -> str:
        """Set an issued or overdue bill to awaiting payment and log the request."""
        self._guarded(
            "UPDATE bills SET status = 'awaiting_payment' WHERE bill_id = ? AND customer_id = ? "
            "AND total_cents = ? AND status IN ('issued', 'overdue')",
            (bill_id, customer_id, amount_cents),
            f"bill {bill_id} can no longer receive a payment request",
        )
        request_id = derived_id("PR", self.tool_call_id)
        self.tx.execute(
            "INSERT INTO payment_requests VALUES (?, ?, ?, ?, ?, ?)",
            (request_id, bill_id, customer_id, amount_cents, sent_to, self.today.isoformat()),
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
            "UPDATE lines SET plan_id = ?, data_limit_gb = ? WHERE line_id = ? AND plan_id = ?",
            (new_plan_id, new_limit_gb, line_id, old_plan_id),
            f"line {line_id} is no longer on plan {old_plan_id}",
        )
        self.tx.execute(
            "INSERT INTO plan_changes VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                derived_id("PC", self.tool_call_id),
                line_id,
                old_plan_id,
                new_plan_id,
                prices[0],
                prices[1],
                self.today.isoformat(),
            ),
        )

    def refuel(self, line_id: str, amount_gb: float, cost_cents: int, old_limit_gb: float) -> None:
        """Add data to a capped line's allowance for this cycle and log the charge."""
        self._guarded(
            "UPDATE lines SET data_limit_gb = ? WHERE line_id = ? AND data_limit_gb = ? "
            "AND status = 'active'",
            (old_limit_gb + amount_gb, line_id, old_limit_gb),
            f"line {line_id} allowance changed",
        )
        self.tx.execute(
            "INSERT INTO usage_events VALUES (?, ?, ?, 'refuel', ?, ?)",
            (
                derived_id("U", self.tool_call_id),
                line_id,
                self.today.isoformat(),
                amount_gb,
                cost_cents,
            ),
        )

    def set_roaming(self, line_id: str, enabled: bool) -> None:
        """Turn roaming on or off on an active line."""
        self._guarded(
            "UPDATE lines SET roaming_enabled = ? WHERE line_id = ? AND roaming_enabled = ? "
            "AND status = 'active'",
            (1 if enabled else 0, line_id, 0 if enabled else 1),
            f"line {line_id} roaming already changed",
        )

    def resume_line(self, line_id: str) -> None:
        """Reactivate a suspended line."""
        self._guarded(
            "UPDATE lines SET status = 'active', suspension_reason = NULL "
            "WHERE line_id = ? AND status = 'suspended'",
            (line_id,),
            f"line {line_id} is no longer suspended",
        )

    def open_ticket(
        self, customer_id: str, line_id: str | None, category: str, description: str
    ) -> str:
        """Open a support ticket; return its id."""
        ticket_id = derived_id("TK", self.tool_call_id)
        self.tx.execute(
            "INSERT INTO tickets VALUES (?, ?, ?, ?, ?, 'open', ?)",
            (ticket_id, customer_id, line_id, category, description, self.today.isoformat()),
        )
        return ticket_id

    def record_handoff(self, customer_id: str | None, summary: str, created_at: str) -> str:
        """Record a transfer to a human agent; return its id."""
        handoff_id = derived_id("H", self.tool_call_id)
        self.tx.execute(
            "INSERT INTO handoffs VALUES (?, ?, ?, ?)",
            (handoff_id, customer_id, summary, created_at),
        )
        return handoff_id
