"""Who the tools act for, and in-code authorization of every account reference they receive."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from langchain.tools import ToolRuntime

from tools.store import Bill, Line, PaymentMethod, TelcoStore, open_store, phone_digits

VERIFIED_KEY = "verified_customer_id"
NOT_VERIFIED_MESSAGE = (
    "Not verified: no customer is signed in. Ask for the phone number on the account, or the "
    "full name and date of birth, and check them with verify_customer first. No account data "
    "can be shown before that."
)
UNKNOWN_CUSTOMER_MESSAGE = (
    "The signed-in customer id is not known to the store; nothing can be shown. Restart the "
    "session with a valid customer id or verify the customer again."
)
OTHER_CUSTOMER_MESSAGE = (
    "Refused: this session can only access the signed-in customer's own account. "
    "Nothing about any other account can be shown or changed."
)
_LINE_ID = re.compile(r"^\s*L\d{4}-\d+\s*$", re.IGNORECASE)


class CustomerContext(Protocol):
    """What tools read from the run context (``agents.context.Context`` satisfies it)."""

    customer_id: str | None
    database_url: str


class NotVerified(Exception):
    """No authenticated or verified customer in this run."""

    def __init__(self, message: str = NOT_VERIFIED_MESSAGE) -> None:
        super().__init__(message)


def _read(holder: Any, name: str) -> Any:
    """Read ``name`` from a dict-like or attribute-style object; ``None`` when absent."""
    if holder is None:
        return None
    if isinstance(holder, dict):
        return holder.get(name)
    return getattr(holder, name, None)


def store_for(runtime: ToolRuntime[Any, Any]) -> TelcoStore:
    """Open the store named by the run context (empty = env or the default SQLite file)."""
    return open_store(_read(runtime.context, "database_url") or None)


def resolve_customer(runtime: ToolRuntime[Any, Any]) -> str:
    """Return the authenticated customer id, else the verified one in state, else raise.

    The id never comes from model-chosen tool arguments.
    """
    from_context = _read(runtime.context, "customer_id")
    if isinstance(from_context, str) and from_context.strip():
        return from_context.strip()
    verified = _read(runtime.state, VERIFIED_KEY)
    if isinstance(verified, str) and verified.strip():
        return verified.strip()
    raise NotVerified()


@dataclass(frozen=True)
class Session:
    """The store, customer and tool call one tool invocation acts for."""

    store: TelcoStore
    customer_id: str
    tool: str
    tool_call_id: str | None

    def refuse(self, reference_kind: str, owner_id: str | None) -> None:
        """Count a reference to another customer's data (no-op for unknown references)."""
        if owner_id is not None and owner_id != self.customer_id:
            self.store.record_security_event(
                self.customer_id, self.tool, "cross_account", reference_kind
            )


def open_session(runtime: ToolRuntime[Any, Any], tool: str) -> Session | str:
    """Return the session of this tool call, or the message to return when there is none."""
    try:
        customer_id = resolve_customer(runtime)
    except NotVerified as exc:
        return str(exc)
    store = store_for(runtime)
    if store.customer(customer_id) is None:
        return UNKNOWN_CUSTOMER_MESSAGE
    return Session(store, customer_id, tool, runtime.tool_call_id)


def check_customer_arg(session: Session, customer_id: str | None) -> str | None:
    """Refuse a customer-id argument naming anyone but the session's customer."""
    if customer_id is None or not customer_id.strip():
        return None
    if customer_id.strip().upper() == session.customer_id.upper():
        return None
    owner = customer_id.strip().upper()
    session.refuse("customer", owner if session.store.customer(owner) else None)
    return OTHER_CUSTOMER_MESSAGE


def own_bill(session: Session, bill_id: str) -> Bill | str:
    """Return the bill if it is on the session's account, else a neutral refusal."""
    ref = bill_id.strip().upper()
    bill = session.store.bill(ref) if ref else None
    if bill is not None and bill.customer_id == session.customer_id:
        return bill
    session.refuse("bill", bill.customer_id if bill else None)
    return f"Bill {bill_id!r} was not found on this account. list_bills shows this account's bills."


def own_payment_method(session: Session, payment_method_id: str | None) -> PaymentMethod | str:
    """Return the named payment method (default when empty) if it is on the account."""
    methods = session.store.payment_methods(session.customer_id)
    if not payment_method_id or not payment_method_id.strip():
        if methods:
            return methods[0]
        return "This account has no payment method on file."
    ref = payment_method_id.strip().upper()
    for method in methods:
        if method.payment_method_id.upper() == ref:
            return method
    other = session.store.payment_method(ref)
    session.refuse("payment_method", other.customer_id if other else None)
    listing = ", ".join(f"{m.payment_method_id} ({m.label})" for m in methods) or "none"
    return (
        f"Payment method {payment_method_id!r} was not found on this account. "
        f"Payment methods on file: {listing}."
    )


def _line_listing(lines: list[Line]) -> str:
    return "; ".join(f"{x.label}, {x.status}, {x.plan.name}" for x in lines)


def own_line(
    session: Session, ref: str | None, prefer: Callable[[Line], bool] | None = None
) -> Line | str:
    """Resolve a line id or phone number on the account, else a neutral refusal.

    With no reference, the account's only line (or only line matching ``prefer``) is used;
    otherwise the message lists the lines so the customer can choose.
    """
    lines = session.store.lines(session.customer_id)
    if not lines:
        return "This account has no phone lines."
    if ref is None or not ref.strip():
        candidates = [x for x in lines if prefer(x)] if prefer else lines
        if len(candidates) == 1:
            return candidates[0]
        if len(lines) == 1:
            return lines[0]
        return f"Which line? This account has {len(lines)} lines: {_line_listing(lines)}."
    found = _match_line(session, lines, ref)
    if found is not None:
        return found
    other = _any_line(session.store, ref)
    session.refuse("line", other.customer_id if other else None)
    return (
        f"Line {ref!r} was not found on this account. Lines on this account: "
        f"{_line_listing(lines)}."
    )


def _match_line(session: Session, lines: list[Line], ref: str) -> Line | None:
    wanted_id = ref.strip().upper()
    digits = phone_digits(ref)
    for line in lines:
        if line.line_id.upper() == wanted_id:
            return line
        if not _LINE_ID.match(ref) and digits and phone_digits(line.phone_number) == digits:
            return line
    return None


def _any_line(store: TelcoStore, ref: str) -> Line | None:
    if _LINE_ID.match(ref):
        return store.line(ref.strip().upper())
    return store.line_by_phone(ref)


def refuse_named_customer(
    tool: str, args: Mapping[str, Any], runtime: ToolRuntime[Any, Any]
) -> str | None:
    """The refusal for a tool call whose arguments name a customer, else ``None``.

    Our telco tools take no customer argument: the customer always comes from the run context.
    A call that names one anyway (a confused or compromised model) is refused when it names anyone
    but the session's customer, and counted when that someone exists.
    """
    named = args.get("customer_id")
    if not isinstance(named, str) or not named.strip():
        return None
    session = open_session(runtime, tool)
    if isinstance(session, str):
        return session
    return check_customer_arg(session, named)
