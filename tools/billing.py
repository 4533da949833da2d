"""Billing tools: list and explain bills, check overdue status, request and make payments."""

from __future__ import annotations

from datetime import date
from typing import Any

from langchain.tools import ToolRuntime, tool
from langchain_core.messages import ToolMessage
from langchain_core.tools import BaseTool

from tools.auth import Session, open_session, own_bill, own_payment_method
from tools.store import Bill, StoreWriter, money
from tools.write_flow import Quote, confirmed_write


def _bill_line(bill: Bill, today: date) -> str:
    """One-line summary of a bill."""
    head = f"{bill.bill_id}, {bill.period_label}: {money(bill.total_cents)}"
    if bill.status == "paid":
        return f"{head}, paid on {bill.paid_date}"
    if bill.status == "overdue":
        days = (today - date.fromisoformat(bill.due_date)).days
        return f"{head}, OVERDUE (was due {bill.due_date}, {days} days ago)"
    if bill.status == "awaiting_payment":
        return f"{head}, awaiting payment (payment requested), due {bill.due_date}"
    return f"{head}, issued, due {bill.due_date}"


@tool(parse_docstring=True)
def list_bills(*, runtime: ToolRuntime[Any, Any]) -> str:
    """List the signed-in customer's bills: id, month, total, status and due or paid date."""
    session = open_session(runtime, "list_bills")
    if isinstance(session, str):
        return session
    bills = session.store.bills(session.customer_id)
    if not bills:
        return "This account has no bills yet."
    today = session.store.today()
    rows = "\n".join(f"- {_bill_line(b, today)}" for b in bills)
    return f"Bills on this account (today is {today.isoformat()}), newest first:\n{rows}"


@tool(parse_docstring=True)
def explain_bill(bill_id: str, *, runtime: ToolRuntime[Any, Any]) -> str:
    """Explain one bill line by line: every charge (plan, refuel, roaming, fees, taxes) and total.

    Args:
        bill_id: The bill id, e.g. B20003 (see list_bills).
    """
    session = open_session(runtime, "explain_bill")
    if isinstance(session, str):
        return session
    bill = own_bill(session, bill_id)
    if isinstance(bill, str):
        return bill
    items = "\n".join(f"- {i.description}: {money(i.amount_cents)}" for i in bill.items)
    return (
        f"Bill {bill.bill_id}, {bill.period_label} ({bill.period_start} to {bill.period_end}), "
        f"issued {bill.issue_date}, due {bill.due_date}, status {bill.status}"
        f"{f', paid on {bill.paid_date}' if bill.paid_date else ''}.\n"
        f"Items:\n{items}\nTotal: {money(bill.total_cents)}."
    )


@tool(parse_docstring=True)
def check_overdue(*, runtime: ToolRuntime[Any, Any]) -> str:
    """Check whether the signed-in customer has overdue bills and lines suspended for non-payment.

    Args:
    """
    session = open_session(runtime, "check_overdue")
    if isinstance(session, str):
        return session
    store, today = session.store, session.store.today()
    bills = store.bills(session.customer_id)
    overdue = [b for b in bills if b.status == "overdue"]
    unpaid = [b for b in bills if b.status in ("issued", "awaiting_payment")]
    suspended = [
        x.label
        for x in store.lines(session.customer_id)
        if x.status == "suspended" and x.suspension_reason == "non_payment"
    ]
    parts: list[str] = []
    if overdue:
        total = sum(b.total_cents for b in overdue)
        parts.append(f"Overdue: {len(overdue)} bill(s), {money(total)} in total.")
        parts.extend(f"- {_bill_line(b, today)}" for b in overdue)
    else:
        parts.append("No overdue bills.")
    if unpaid:
        parts.append("Open, not yet overdue: " + "; ".join(_bill_line(b, today) for b in unpaid))
    if suspended:
        parts.append("Lines suspended for non-payment: " + ", ".join(suspended) + ".")
    return "\n".join(parts)


def _payment_request_quote(session: Session, bill_id: str) -> Quote | str:
    bill = own_bill(session, bill_id)
    if isinstance(bill, str):
        return bill
    if bill.status == "paid":
        return f"Bill {bill.bill_id} is already paid (on {bill.paid_date}); no request is needed."
    if bill.status == "awaiting_payment":
        return (
            f"Bill {bill.bill_id} ({money(bill.total_cents)}) already has a payment request and "
            "is awaiting payment; make_payment pays it now."
        )
    customer = session.store.customer(session.customer_id)
    email = customer.email if customer else ""
    return Quote(
        f"Send a payment request for bill {bill.bill_id} ({bill.period_label}, "
        f"{money(bill.total_cents)}) to {email}.",
        {"bill_id": bill.bill_id, "amount_cents": bill.total_cents, "sent_to": email},
    )


@tool(parse_docstring=True)
def send_payment_request(bill_id: str, *, runtime: ToolRuntime[Any, Any]) -> str | ToolMessage:
    """Send the customer a payment request (by e-mail) for an issued or overdue bill.

    Asks the customer to confirm first.

    Args:
        bill_id: The bill id, e.g. B20002.
    """
    session = open_session(runtime, "send_payment_request")
    if isinstance(session, str):
        return session

    def execute(w: StoreWriter, quote: Quote) -> str:
        d = quote.details
        w.request_payment(d["bill_id"], session.customer_id, d["amount_cents"], d["sent_to"])
        return (
            f"Payment request sent for bill {d['bill_id']} ({money(d['amount_cents'])}) to "
            f"{d['sent_to']} on {w.today.isoformat()}. The bill is now awaiting payment."
        )

    return confirmed_write(session, lambda: _payment_request_quote(session, bill_id), execute)


def _payment_quote(session: Session, bill_id: str, payment_method_id: str | None) -> Quote | str:
    bill = own_bill(session, bill_id)
    if isinstance(bill, str):
        return bill
    if not bill.is_open:
        return f"Bill {bill.bill_id} is already paid (on {bill.paid_date}); nothing to pay."
    method = own_payment_method(session, payment_method_id)
    if isinstance(method, str):
        return method
    if method.expired_on(session.store.today()):
        others = [
            f"{m.payment_method_id} ({m.label})"
            for m in session.store.payment_methods(session.customer_id)
            if not m.expired_on(session.store.today())
        ]
        return (
            f"The {method.label} expired in {method.expiry} and cannot be used. "
            f"Other payment methods on file: {', '.join(others) or 'none'}."
        )
    return Quote(
        f"Pay {money(bill.total_cents)} for bill {bill.bill_id} ({bill.period_label}) with "
        f"{method.label} ({method.payment_method_id}).",
        {
            "bill_id": bill.bill_id,
            "amount_cents": bill.total_cents,
            "payment_method_id": method.payment_method_id,
            "method": method.label,
        },
    )


def _after_payment(w: StoreWriter, customer_id: str) -> str:
    """What the customer can do next, read inside the payment's transaction."""
    overdue = w.tx.one(
        "SELECT COUNT(*) AS n FROM bills WHERE customer_id = ? AND status = 'overdue'",
        (customer_id,),
    )
    suspended = w.tx.all(
        "SELECT line_id, phone_number FROM lines WHERE customer_id = ? AND status = 'suspended' "
        "AND suspension_reason = 'non_payment' ORDER BY line_id",
        (customer_id,),
    )
    if overdue and int(overdue["n"]) > 0:
        return f" {overdue['n']} overdue bill(s) remain."
    if suspended:
        labels = ", ".join(f"{r['line_id']} ({r['phone_number']})" for r in suspended)
        return (
            f" No overdue bills remain; suspended line(s) {labels} can now be resumed "
            "(resume_line)."
        )
    return " No overdue bills remain."


@tool(parse_docstring=True)
def make_payment(
    bill_id: str, payment_method_id: str | None = None, *, runtime: ToolRuntime[Any, Any]
) -> str | ToolMessage:
    """Pay a bill in full with a payment method on file (the default one if not given).

    Asks the customer to confirm the exact amount first.

    Args:
        bill_id: The bill id, e.g. B20002.
        payment_method_id: Optional payment method id, e.g. PM1001-2; empty = default method.
    """
    session = open_session(runtime, "make_payment")
    if isinstance(session, str):
        return session

    def execute(w: StoreWriter, quote: Quote) -> str:
        d = quote.details
        payment_id = w.pay_bill(
            d["bill_id"], session.customer_id, d["payment_method_id"], d["amount_cents"]
        )
        return (
            f"Payment received: {money(d['amount_cents'])} for bill {d['bill_id']} with "
            f"{d['method']} on {w.today.isoformat()} (payment {payment_id}). Bill "
            f"{d['bill_id']} is now paid." + _after_payment(w, session.customer_id)
        )

    return confirmed_write(
        session, lambda: _payment_quote(session, bill_id, payment_method_id), execute
    )


READ_TOOLS: list[BaseTool] = [list_bills, explain_bill, check_overdue]
WRITE_TOOLS: list[BaseTool] = [send_payment_request, make_payment]
