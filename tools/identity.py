"""Identity lookup for unauthenticated sessions: phone number, or full name plus date of birth."""

from __future__ import annotations

from datetime import date
from typing import Any

from langchain.tools import ToolRuntime, tool
from langchain_core.messages import ToolMessage
from langchain_core.tools import BaseTool
from langgraph.types import Command

from conversation.identity import birth_dates
from tools.auth import VERIFIED_KEY, NotVerified, resolve_customer, store_for
from tools.store import Customer, TelcoStore

FAILED_MESSAGE = (
    "Verification failed: no single account matches those details. Ask the customer for the "
    "phone number on the account, or their full name and date of birth, and try again. Do not "
    "share any account details."
)
NEED_MORE_MESSAGE = (
    "To verify, give the phone number on the account, or the full name together with the "
    "date of birth (YYYY-MM-DD)."
)


def parse_dob(text: str) -> tuple[date, ...]:
    """The possible dates of birth in ``text``: ISO or written forms give one; a slash date
    whose day and month could be swapped (03/04/1990) gives both readings."""
    return birth_dates(text)


def _norm_name(name: str) -> str:
    kept = "".join(ch for ch in name.casefold() if ch.isalnum() or ch.isspace())
    return " ".join(kept.split())


def _matches(customer: Customer, full_name: str | None, dob: date | None) -> bool:
    if full_name and _norm_name(customer.full_name) != _norm_name(full_name):
        return False
    return dob is None or customer.date_of_birth == dob.isoformat()


def find_customer(
    store: TelcoStore,
    phone_number: str | None,
    full_name: str | None,
    dobs: tuple[date, ...] = (),
) -> str | None:
    """Return the one customer id matching every given detail, else ``None`` (with several
    possible birth dates, exactly one customer may match any of them)."""
    if phone_number and phone_number.strip():
        candidates = [store.customer(cid) for cid in store.customer_ids_by_phone(phone_number)]
    else:
        candidates = list(store.customers())
    readings: tuple[date | None, ...] = dobs or (None,)
    found = {
        c.customer_id
        for c in candidates
        if c is not None
        for dob in readings
        if _matches(c, full_name, dob)
    }
    return found.pop() if len(found) == 1 else None


@tool(parse_docstring=True)
def verify_customer(
    phone_number: str | None = None,
    full_name: str | None = None,
    date_of_birth: str | None = None,
    *,
    runtime: ToolRuntime[Any, Any],
) -> Command | str:
    """Verify who the customer is before any account help: by phone number, or name + birth date.

    Args:
        phone_number: The phone number on the account, as the customer gave it.
        full_name: The account holder's full name (needed with date_of_birth when no phone).
        date_of_birth: Date of birth, e.g. 1988-03-14 (needed with full_name when no phone).
    """
    try:
        current = resolve_customer(runtime)
        return f"Already verified as customer {current}; no lookup needed."
    except NotVerified:
        pass
    has_phone = bool(phone_number and phone_number.strip())
    has_name = bool(full_name and full_name.strip())
    if not has_phone and not (has_name and date_of_birth and date_of_birth.strip()):
        return NEED_MORE_MESSAGE
    given_dob = bool(date_of_birth and date_of_birth.strip())
    dobs = parse_dob(date_of_birth or "") if given_dob else ()
    store = store_for(runtime)
    customer_id = None
    if dobs or not given_dob:
        customer_id = find_customer(store, phone_number, full_name if has_name else None, dobs)
    if customer_id is None:
        store.record_security_event(
            None, "verify_customer", "verification_failed", "phone" if has_phone else "name_dob"
        )
        return FAILED_MESSAGE
    customer = store.customer(customer_id)
    name = customer.full_name if customer else ""
    message = ToolMessage(
        f"Verified: customer {customer_id} ({name}). Account help can continue.",
        tool_call_id=runtime.tool_call_id or "",
    )
    return Command(update={VERIFIED_KEY: customer_id, "messages": [message]})


READ_TOOLS: list[BaseTool] = [verify_customer]
WRITE_TOOLS: list[BaseTool] = []
