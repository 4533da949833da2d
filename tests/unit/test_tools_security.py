"""Authorization in code: references to another account are refused neutrally and counted."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.unit.telco_harness import harness
from tools.auth import OTHER_CUSTOMER_MESSAGE
from tools.store import TelcoStore, close_store, open_store

# Data of Jonas Berg's account (C1002) that no reply to Maya Patel (C1001) may contain; the ids
# the request itself names may be echoed back.
FOREIGN = ("Jonas", "Berg", "166.80", "188.40", "Plus 40GB", "iPhone 15", "Galaxy S23", "3334")

CROSS_ACCOUNT_CALLS: list[tuple[str, dict[str, Any]]] = [
    ("explain_bill", {"bill_id": "B20004"}),
    ("make_payment", {"bill_id": "B20005"}),
    ("send_payment_request", {"bill_id": "B20006"}),
    ("make_payment", {"bill_id": "B20002", "payment_method_id": "PM1002-1"}),
    ("line_status", {"line": "L1002-1"}),
    ("line_status", {"line": "+1 (202) 555-0102"}),
    ("run_diagnostic", {"problem": "slow_data", "line": "L1002-2"}),
    ("resume_line", {"line": "L1002-1"}),
    ("change_plan", {"new_plan_id": "basic_5", "line": "2025550103"}),
    ("price_plan_change", {"new_plan_id": "basic_5", "line": "L1002-1"}),
    ("refuel_data", {"gb": 1, "line": "L1002-1"}),
    ("toggle_roaming", {"enabled": False, "line": "L1002-2"}),
    ("open_ticket", {"category": "other", "description": "x", "line": "L1002-1"}),
    ("list_bills", {"customer_id": "C1002"}),
    ("check_overdue", {"customer_id": "C1002"}),
    ("line_status", {"customer_id": "c1002"}),
]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[TelcoStore]:
    """A fresh SQLite store seeded in a temporary directory."""
    opened = open_store(f"sqlite:///{tmp_path / 'telco.sqlite3'}")
    yield opened
    close_store(opened.url)


def _snapshot(store: TelcoStore) -> list[Any]:
    return [store.bills("C1002"), store.lines("C1002"), store.payment_methods("C1002")]


def test_every_cross_account_reference_is_refused_counted_and_changes_nothing(
    store: TelcoStore,
) -> None:
    before = _snapshot(store)
    h = harness(store.url, "C1001")
    for name, args in CROSS_ACCOUNT_CALLS:
        out = h.call(name, args)
        assert out.interrupt is None, f"{name}{args} asked for confirmation"
        text = out.text or ""
        assert "not found on this account" in text or text == OTHER_CUSTOMER_MESSAGE, text
        leaked = [f for f in FOREIGN if f in text]
        assert not leaked, f"{name}{args} leaked {leaked}: {text}"
    assert _snapshot(store) == before
    assert store.security_event_count(kind="cross_account", customer_id="C1001") == len(
        CROSS_ACCOUNT_CALLS
    )
    assert store.rows("tool_runs") == [] and store.rows("confirmations") == []


def test_refusal_reads_the_same_for_another_account_and_for_nothing(store: TelcoStore) -> None:
    h = harness(store.url, "C1001")
    foreign = h.call("explain_bill", {"bill_id": "B20004"}).text or ""
    missing = h.call("explain_bill", {"bill_id": "B99999"}).text or ""
    assert foreign == missing.replace("B99999", "B20004")
    foreign_line = h.call("line_status", {"line": "L1002-1"}).text or ""
    missing_line = h.call("line_status", {"line": "L9999-1"}).text or ""
    assert foreign_line == missing_line.replace("L9999-1", "L1002-1")
    assert store.security_event_count(kind="cross_account") == 2  # typos are not attacks


def test_own_customer_id_argument_is_accepted(store: TelcoStore) -> None:
    text = harness(store.url, "C1001").call("list_bills", {"customer_id": "C1001"}).text or ""
    assert "B20002" in text
    assert store.security_event_count() == 0


def test_verified_customer_cannot_reach_another_account_either(store: TelcoStore) -> None:
    h = harness(store.url, None)
    h.call("verify_customer", {"phone_number": "+12025550100"})
    text = h.call("explain_bill", {"bill_id": "B20006"}).text or ""
    assert "not found on this account" in text and "166.80" not in text


def test_refusals_pass_the_tool_output_screen(store: TelcoStore) -> None:
    """The tools' own guidance ("list_bills shows ...") must never read as an injection."""
    from agents.guards.tool_results import screen_tool_output
    from tools.auth import NOT_VERIFIED_MESSAGE

    h = harness(store.url, "C1001")
    texts = [NOT_VERIFIED_MESSAGE, OTHER_CUSTOMER_MESSAGE]
    texts += [h.call(name, args).text or "" for name, args in CROSS_ACCOUNT_CALLS]
    for text in texts:
        assert screen_tool_output(text) == (text, []), text


def test_a_tool_that_declares_a_customer_argument_receives_it(store: TelcoStore) -> None:
    """The guard refuses only customer arguments a tool does not take (τ²'s tools take one)."""
    from langchain_core.tools import tool

    from tests.unit.telco_harness import ToolHarness

    @tool
    def lookup(customer_id: str) -> str:
        """Look a customer up by id."""
        return f"looked up {customer_id}"

    h = ToolHarness([lookup], store.url, "C1001")
    assert h.call("lookup", {"customer_id": "C1002"}).text == "looked up C1002"
    assert store.security_event_count(kind="cross_account") == 0
