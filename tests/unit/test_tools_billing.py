"""Billing tools: list, explain and check bills; payment requests and payments."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from langchain_core.utils.function_calling import convert_to_openai_tool

from tests.unit.telco_harness import harness
from tools import billing
from tools.store import TelcoStore, close_store, open_store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[TelcoStore]:
    """A fresh SQLite store seeded in a temporary directory."""
    opened = open_store(f"sqlite:///{tmp_path / 'telco.sqlite3'}")
    yield opened
    close_store(opened.url)


def test_module_exports_read_and_write_tools() -> None:
    assert [t.name for t in billing.READ_TOOLS] == ["list_bills", "explain_bill", "check_overdue"]
    assert [t.name for t in billing.WRITE_TOOLS] == ["send_payment_request", "make_payment"]
    schema = convert_to_openai_tool(billing.make_payment)["function"]["parameters"]
    assert set(schema["properties"]) == {"bill_id", "payment_method_id"}


def test_list_bills_shows_amounts_statuses_and_dates(store: TelcoStore) -> None:
    text = harness(store.url).call("list_bills", {}).text or ""
    assert "B20003, October 2026: $115.80, issued, due 2026-11-25" in text
    assert "B20002, September 2026: $109.20, OVERDUE (was due 2026-10-25, 26 days ago)" in text
    assert "B20001, August 2026: $94.20, paid on 2026-09-19" in text
    assert "B20004" not in text


def test_explain_bill_lists_every_item_and_the_total(store: TelcoStore) -> None:
    text = harness(store.url).call("explain_bill", {"bill_id": "b20002"}).text or ""
    assert "Late fee (not paid by 2026-10-25): $15.00" in text
    assert "Everyday 15GB plan (+12025550100), September 2026: $40.00" in text
    amounts = [int(a.replace(".", "")) for a in re.findall(r": \$(\d+\.\d\d)$", text, re.M)]
    assert sum(amounts) == 10920
    assert text.endswith("Total: $109.20.")


def test_check_overdue_names_the_bill_and_the_suspended_line(store: TelcoStore) -> None:
    text = harness(store.url).call("check_overdue", {}).text or ""
    assert "Overdue: 1 bill(s), $109.20 in total." in text
    assert "L1001-2 (+12025550101)" in text
    clean = harness(store.url, "C1002").call("check_overdue", {}).text or ""
    assert clean.startswith("No overdue bills.")


def test_payment_request_sets_awaiting_payment(store: TelcoStore) -> None:
    h = harness(store.url)
    asked = h.call("send_payment_request", {"bill_id": "B20003"}, call_id="pr-1")
    assert asked.interrupt is not None
    assert "$115.80" in asked.interrupt["summary"]
    assert "maya.patel@example.com" in asked.interrupt["summary"]
    done = h.resume("yes")
    assert done.text is not None and "now awaiting payment" in done.text
    assert store.bill("B20003").status == "awaiting_payment"  # type: ignore[union-attr]
    assert len(store.rows("payment_requests")) == 1


def test_payment_request_for_a_paid_bill_is_refused_without_asking(store: TelcoStore) -> None:
    out = harness(store.url).call("send_payment_request", {"bill_id": "B20001"})
    assert out.interrupt is None
    assert out.text == "Bill B20001 is already paid (on 2026-09-19); no request is needed."


def test_payment_with_a_chosen_method_and_follow_up(store: TelcoStore) -> None:
    h = harness(store.url)
    asked = h.call("make_payment", {"bill_id": "B20002", "payment_method_id": "pm1001-2"})
    assert asked.interrupt is not None
    assert "bank debit Granite Credit Union ending 6013" in asked.interrupt["summary"]
    done = h.resume("yes")
    assert done.text is not None
    assert "can now be resumed (resume_line)" in done.text
    assert store.rows("payments")[0]["payment_method_id"] == "PM1001-2"


def test_expired_card_is_refused_and_alternatives_offered(store: TelcoStore) -> None:
    h = harness(store.url, "C1010")
    out = h.call("make_payment", {"bill_id": "B20029"})
    assert out.interrupt is None
    assert out.text is not None and "expired in 2025-06" in out.text
    assert "PM1010-2" in out.text
    asked = h.call("make_payment", {"bill_id": "B20029", "payment_method_id": "PM1010-2"})
    assert asked.interrupt is not None and "$87.60" in asked.interrupt["summary"]


def test_paying_a_paid_bill_is_refused(store: TelcoStore) -> None:
    out = harness(store.url).call("make_payment", {"bill_id": "B20001"})
    assert out.interrupt is None
    assert out.text == "Bill B20001 is already paid (on 2026-09-19); nothing to pay."
