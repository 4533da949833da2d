"""The support domain's argument rules: where each tool argument can come from, how to ask."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from typing import Any

from agents.arguments import ArgumentRules, Filled, Known, digits
from agents.slots import HOW_TO
from conversation.identity import identity_details
from tools.store import money

ISSUE_PROBLEMS = {
    "no service": "no_service",
    "slow data": "slow_data",
    "no data": "slow_data",
    "MMS": "mms",
}
"""Fact-sheet issues → the problem / ticket category the tools take."""
_GB = re.compile(r"\b(?P<n>\d+(?:\.\d+)?)\s*(?:gb|gigs?|gigabytes?)\b", re.IGNORECASE)
_ONE_GB = re.compile(r"\b(?:a|one)\s+(?:gb|gig|gigabyte)\b", re.IGNORECASE)
_ON = re.compile(r"\b(?:on|enable|activate|switch on|turn on|start)\b", re.IGNORECASE)
_OFF = re.compile(r"\b(?:off|disable|deactivate|switch off|turn off|stop)\b", re.IGNORECASE)


def _fact(slot: str, source: str = "fact sheet") -> Callable[[Known, str], Filled | None]:
    def resolve(known: Known, _tool: str) -> Filled | None:
        value = known.fact(slot)
        return (value, source) if value else None

    return resolve


PAYMENT_TOOLS = frozenset({"make_payment", "send_payment_request"})
"""Tools whose bill, when none is named, is the one that needs paying."""


def _bill(known: Known, tool: str) -> Filled | None:
    """A bill named in the conversation; else, to pay, the oldest overdue (or the newest
    unpaid) bill; else the latest bill."""
    named = known.fact("bill")
    if named:
        return named, "bill named earlier"
    bills = known.account.bills
    if tool in PAYMENT_TOOLS:
        overdue = [b for b in bills if b.status == "overdue"]
        unpaid = [b for b in bills if b.status in ("issued", "awaiting_payment")]
        if overdue:
            return overdue[-1].bill_id, "overdue bill"
        return (unpaid[0].bill_id, "unpaid bill") if unpaid else None
    return (bills[0].bill_id, "latest bill") if bills else None


def _bill_named_now(known: Known) -> Filled | None:
    """The one bill the newest message names: by id, or as the latest bill."""
    named = known.fact("bill", this_turn=True)
    if named:
        return named, "bill named in this message"
    if known.fact("bill_ref", this_turn=True) == "latest":
        bills = known.account.bills
        return (bills[0].bill_id, "latest bill") if bills else None
    return None


def _line(known: Known, _tool: str) -> Filled | None:
    """A line the customer named in this very message: by id or number, or by its place on
    the account ("my second line")."""
    named = known.fact("line", this_turn=True) or known.fact("phone_number", this_turn=True)
    if named:
        return named, "line named in this message"
    placed = _line_by_place(known)
    return (placed, "line by its place on the account") if placed else None


def _line_by_place(known: Known) -> str | None:
    """The account line the newest message names by its place ("the second number")."""
    place = known.fact("line_ref", this_turn=True)
    lines = known.account.lines
    if not place or not place.isdigit() or not 0 < int(place) <= len(lines):
        return None
    return lines[int(place) - 1].line_id


_LINE_SHAPE = re.compile(r"^(?:L\d{4}-\d|\+?[\d\s().-]{7,})$", re.IGNORECASE)
"""What a line reference looks like: a line id or a phone number (not "iphone", not "eSIM")."""


def _line_supported(known: Known, value: Any) -> bool:
    """A line argument names a line of the account, or is a line id or phone number the
    customer wrote (the tool then says whether it is theirs)."""
    wanted = str(value).strip().upper()
    placed = _line_by_place(known)
    if placed is not None:
        return wanted == placed.upper()
    for line in known.account.lines:
        if wanted == line.line_id.upper() or (
            len(digits(value)) >= 7 and digits(line.phone_number).endswith(digits(value))
        ):
            return True
    if not _LINE_SHAPE.match(wanted):
        return False
    said = [known.text, *(str(f.get("value", "")) for f in known.facts.values())]
    return any(wanted in text.upper() for text in said if text)


_BILL_SHAPE = re.compile(r"^B\d{5}$", re.IGNORECASE)
"""What a bill id looks like ("B20002"; not "1234567890", not "latest")."""
_METHOD_SHAPE = re.compile(r"^PM\d{4}-\d+$", re.IGNORECASE)
"""What a payment-method id looks like ("PM1001-2")."""


def _bill_supported(known: Known, value: Any) -> bool:
    """A bill id names a bill of the account (with nobody identified yet: one shaped like a
    bill id; the tool then says whether it is theirs)."""
    wanted = str(value).strip().upper()
    bills = known.account.bills
    if bills:
        return any(wanted == bill.bill_id.upper() for bill in bills)
    return bool(_BILL_SHAPE.match(wanted))


def _method_supported(known: Known, value: Any) -> bool:
    """A payment-method id is shaped like one (an invented number falls back to the default
    method; the tool checks the id is the customer's), and is the kind of method the customer
    asked to pay with, if they said ("from my bank account": not the card)."""
    wanted = str(value).strip().upper()
    named = _named_method(known)
    if named is not None:
        return wanted == named.upper()
    return bool(_METHOD_SHAPE.match(wanted))


def _named_method(known: Known) -> str | None:
    """The account's payment method of the kind (or card brand) the customer said to pay
    with, one that has not expired; ``None`` when they said none or the account has none."""
    said = known.fact("payment_method")
    if not said:
        return None
    usable = [m for m in known.account.payment_methods if not m.expired_on(known.account.today)]
    kind = [m for m in usable if m.kind == said or (m.brand or "").lower() == said]
    return kind[0].payment_method_id if kind else None


def _payment_method(known: Known, _tool: str) -> Filled | None:
    named = _named_method(known)
    return (named, "payment method the customer named") if named else None


def _gb(known: Known, _tool: str) -> Filled | None:
    match = _GB.search(known.text)
    if match:
        return float(match["n"]), "amount in this message"
    return (1.0, "amount in this message") if _ONE_GB.search(known.text) else None


def _enabled(known: Known, _tool: str) -> Filled | None:
    on, off = bool(_ON.search(known.text)), bool(_OFF.search(known.text))
    return (on, "on/off in this message") if on != off else None


def _problem(known: Known, _tool: str) -> Filled | None:
    issue = known.fact("issue")
    problem = ISSUE_PROBLEMS.get(issue or "")
    return (problem, "problem named earlier") if problem else None


def _problem_supported(known: Known, value: Any) -> bool:
    """A problem the model chose agrees with the one the customer named, if they named one
    (with none named, the model's reading of the message stands)."""
    named = ISSUE_PROBLEMS.get(known.fact("issue") or "")
    return named is None or named == str(value)


def _category(known: Known, tool: str) -> Filled | None:
    found = _problem(known, tool)
    return found or ("other", "no known category")


def _message_text(known: Known, _tool: str) -> Filled | None:
    return (known.text.strip(), "the customer's message") if known.text.strip() else None


def _phone(known: Known, _tool: str) -> Filled | None:
    said = identity_details(known.text).phone
    value = said or known.fact("phone_number")
    return (value, "phone number given") if value else None


def _full_name(known: Known, _tool: str) -> Filled | None:
    value = identity_details(known.text).full_name or known.fact("name")
    return (value, "name given") if value else None


def _birth_date(known: Known, _tool: str) -> Filled | None:
    dates = identity_details(known.text).birth_dates
    return (dates[0].isoformat(), "date given") if len(dates) == 1 else None


def _which_bill(known: Known) -> str:
    bills = known.account.bills[:3]
    if not bills:
        return "Which bill do you mean? Please give its number, for example B20003."
    listed = ", ".join(f"{b.bill_id} ({b.period_label}, {money(b.total_cents)})" for b in bills)
    return f"Which bill do you mean: {listed}?"


def _which_plan(known: Known) -> str:
    names = [plan.name for plan in known.account.plans]
    if not names:
        return "Which plan would you like?"
    return f"Which plan would you like: {', '.join(names[:-1])} or {names[-1]}?"


QUESTIONS = {
    "bill_id": _which_bill,
    "new_plan_id": _which_plan,
    "gb": lambda _k: "How much data would you like to add: 1 or 2 GB ($10.00 per GB)?",
    "enabled": lambda _k: "Should I turn roaming on or off?",
    "problem": lambda _k: "What is the problem: no service, slow data, or picture messages?",
    "phone_number": lambda _k: "What is the phone number on your account?",
}


@cache
def support_argument_rules() -> ArgumentRules:
    """The support bot's argument rules."""
    return ArgumentRules(
        sources={
            "bill_id": _bill,
            "new_plan_id": _fact("requested_plan", "plan named earlier"),
            "line": _line,
            "gb": _gb,
            "enabled": _enabled,
            "problem": _problem,
            "category": _category,
            "description": _message_text,
            "summary": _message_text,
            "phone_number": _phone,
            "payment_method_id": _payment_method,
            "full_name": _full_name,
            "date_of_birth": _birth_date,
        },
        questions=QUESTIONS,
        optional=frozenset(
            {"line", "phone_number", "full_name", "date_of_birth", "payment_method_id"}
        ),
        grounded={
            "line": _line_supported,
            "problem": _problem_supported,
            "bill_id": _bill_supported,
            "payment_method_id": _method_supported,
        },
        item_reads={"explain_bill": ("bill_id", _bill_named_now)},
        narrowed={"list_bills": "explain_bill", "check_overdue": "explain_bill"},
        every_when_empty={"line_status": "line"},
        questions_instead={"run_diagnostic": ("search_kb", "query", "issue")},
        named_instead={
            "search_kb": ("run_diagnostic", "issue"),
            "send_payment_request": ("make_payment", "payment_method"),
        },
        how_to=HOW_TO,
    )
