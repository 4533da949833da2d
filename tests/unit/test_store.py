"""Telco store: seed, fixtures, business date, lookups, run-once writes, security events, reset.

Every test takes the ``store`` fixture; tests/integration/test_store_postgres.py runs the same
functions against PostgreSQL by providing its own ``store``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from data_access import DatabaseUrlError, parse_database_url
from tools.store import TelcoStore, WriteConflict, close_store, money, open_store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[TelcoStore]:
    """A fresh SQLite store seeded in a temporary directory."""
    opened = open_store(f"sqlite:///{tmp_path / 'telco.sqlite3'}")
    yield opened
    close_store(opened.url)


def test_seed_has_the_documented_size_and_plans(store: TelcoStore) -> None:
    customers = store.customers()
    assert len(customers) >= 25
    assert customers[0].customer_id == "C1001" and customers[-1].customer_id == "C1030"
    prices = {p.plan_id: (p.name, p.monthly_price_cents, p.data_gb) for p in store.plans()}
    assert prices == {
        "basic_5": ("Basic 5GB", 2500, 5.0),
        "everyday_15": ("Everyday 15GB", 4000, 15.0),
        "plus_40": ("Plus 40GB", 5500, 40.0),
        "unlimited": ("Unlimited", 7000, None),
        "unlimited_max": ("Unlimited Max", 9000, None),
    }
    assert store.plan("unlimited_max") is not None
    assert store.plan("unlimited_max").roaming_zone == "worldwide"  # type: ignore[union-attr]
    assert store.plan("basic_5").roaming_zone == "none"  # type: ignore[union-attr]


def test_every_status_is_present_and_bill_items_sum_to_totals(store: TelcoStore) -> None:
    line_statuses: set[str] = set()
    bill_statuses: set[str] = set()
    item_kinds: set[str] = set()
    for customer in store.customers():
        lines = store.lines(customer.customer_id)
        assert lines, f"{customer.customer_id} has no line"
        line_statuses.update(x.status for x in lines)
        for bill in store.bills(customer.customer_id):
            bill_statuses.add(bill.status)
            item_kinds.update(i.kind for i in bill.items)
            assert sum(i.amount_cents for i in bill.items) == bill.total_cents, bill.bill_id
    assert line_statuses == {"active", "suspended", "pending"}
    assert bill_statuses == {"issued", "paid", "overdue", "awaiting_payment"}
    assert {"plan", "refuel", "roaming", "late_fee", "device_instalment", "tax"} <= item_kinds


def test_fixture_maya_patel_matches_the_readme(store: TelcoStore) -> None:
    maya = store.customer("C1001")
    assert maya is not None and maya.full_name == "Maya Patel"
    lines = {x.line_id: x for x in store.lines("C1001")}
    assert lines["L1001-1"].status == "active"
    assert lines["L1001-1"].plan.plan_id == "everyday_15"
    assert lines["L1001-2"].status == "suspended"
    overdue = store.overdue_bills("C1001")
    assert [(b.bill_id, b.total_cents) for b in overdue] == [("B20002", 10920)]
    assert money(overdue[0].total_cents) == "$109.20"
    assert any(i.kind == "late_fee" and i.amount_cents == 1500 for i in overdue[0].items)
    jonas = store.customer("C1002")
    assert jonas is not None and jonas.full_name == "Jonas Berg"
    assert {b.bill_id for b in store.bills("C1002")} == {"B20004", "B20005", "B20006"}


def test_other_documented_fixtures(store: TelcoStore) -> None:
    today = store.today().isoformat()
    ended = store.line("L1003-2")
    assert ended is not None and ended.status == "suspended" and ended.contract_end_date < today
    assert not store.overdue_bills("C1003")
    resumable = store.line("L1004-2")
    assert resumable is not None and resumable.status == "suspended"
    assert resumable.contract_end_date >= today and not store.overdue_bills("C1004")
    pending = store.line("L1005-2")
    assert pending is not None and pending.status == "pending"
    expired = store.payment_method("PM1010-1")
    assert expired is not None and expired.expired_on(store.today())


def test_payment_methods_hold_only_last_four_digits(store: TelcoStore) -> None:
    for customer in store.customers():
        for method in store.payment_methods(customer.customer_id):
            assert len(method.last4) == 4 and method.last4.isdigit()
            assert method.kind in ("card", "bank_debit")
            assert method.last4 in method.label


def test_business_date_is_fixed_unless_overridden(
    store: TelcoStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SWITCHBOARD_TODAY", raising=False)
    assert store.today().isoformat() == "2026-11-20"
    monkeypatch.setenv("SWITCHBOARD_TODAY", "2027-01-05")
    assert store.today().isoformat() == "2027-01-05"
    monkeypatch.setenv("SWITCHBOARD_TODAY", "next tuesday")
    with pytest.raises(ValueError, match="SWITCHBOARD_TODAY"):
        store.today()


@pytest.mark.parametrize(
    "phone", ["+12025550100", "(202) 555-0100", "202.555.0100", "1 202 555 0100"]
)
def test_phone_lookup_accepts_common_formats(store: TelcoStore, phone: str) -> None:
    assert store.customer_ids_by_phone(phone) == ["C1001"]
    line = store.line_by_phone(phone)
    assert line is not None and line.line_id == "L1001-1"


def test_unknown_references_return_nothing(store: TelcoStore) -> None:
    assert store.customer("C9999") is None
    assert store.bill("B99999") is None
    assert store.line("L9999-1") is None
    assert store.line_by_phone("+19995550000") is None
    assert store.customer_ids_by_phone("no digits") == []


def test_run_write_executes_once_per_tool_call_id(store: TelcoStore) -> None:
    calls: list[str] = []

    def pay(w: object) -> str:
        calls.append("ran")
        from tools.store import StoreWriter

        assert isinstance(w, StoreWriter)
        w.pay_bill("B20002", "C1001", "PM1001-1", 10920)
        return "paid $109.20"

    first = store.run_write("call-1", "make_payment", "C1001", pay)
    second = store.run_write("call-1", "make_payment", "C1001", pay)
    assert first == second == "paid $109.20"
    assert calls == ["ran"]
    assert store.bill("B20002").status == "paid"  # type: ignore[union-attr]
    assert len(store.rows("payments")) == 1
    run = store.tool_run("call-1")
    assert run is not None and run.tool == "make_payment" and run.customer_id == "C1001"


def test_a_write_conflict_rolls_back_everything(store: TelcoStore) -> None:
    def conflicting(w: object) -> str:
        from tools.store import StoreWriter

        assert isinstance(w, StoreWriter)
        w.pay_bill("B20002", "C1001", "PM1001-1", 10920)
        w.pay_bill("B20002", "C1001", "PM1001-1", 10920)  # already paid in this tx
        return "unreachable"

    with pytest.raises(WriteConflict):
        store.run_write("call-2", "make_payment", "C1001", conflicting)
    assert store.bill("B20002").status == "overdue"  # type: ignore[union-attr]
    assert store.tool_run("call-2") is None
    assert store.rows("payments") == []


def test_guarded_write_refuses_a_changed_amount(store: TelcoStore) -> None:
    def wrong_amount(w: object) -> str:
        from tools.store import StoreWriter

        assert isinstance(w, StoreWriter)
        w.pay_bill("B20002", "C1001", "PM1001-1", 999)
        return "unreachable"

    with pytest.raises(WriteConflict):
        store.run_write("call-3", "make_payment", "C1001", wrong_amount)
    assert store.bill("B20002").status == "overdue"  # type: ignore[union-attr]


def test_record_outcome_keeps_the_first_answer(store: TelcoStore) -> None:
    assert store.record_outcome("call-4", "change_plan", "C1001", "Declined") == "Declined"
    assert store.record_outcome("call-4", "change_plan", "C1001", "Other") == "Declined"


def test_confirmation_keeps_the_first_quote(store: TelcoStore) -> None:
    first = store.save_confirmation("call-5", "change_plan", "C1001", "Pay $1", {"cents": 100})
    again = store.save_confirmation("call-5", "change_plan", "C1001", "Pay $2", {"cents": 200})
    assert first.details == again.details == {"cents": 100}
    assert again.summary == "Pay $1"


def test_security_events_are_counted_and_logged(
    store: TelcoStore, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="switchboard.security"):
        store.record_security_event("C1001", "explain_bill", "cross_account", "bill")
        store.record_security_event("C1001", "line_status", "cross_account", "line")
        store.record_security_event(None, "verify_customer", "verification_failed", "phone")
    assert store.security_event_count() == 3
    assert store.security_event_count(kind="cross_account") == 2
    assert store.security_event_count(kind="cross_account", customer_id="C1001") == 2
    assert "explain_bill" in caplog.text and "cross_account" in caplog.text


def test_reset_to_seed_restores_data_and_clears_journals(store: TelcoStore) -> None:
    store.run_write(
        "call-6",
        "make_payment",
        "C1001",
        lambda w: w.pay_bill("B20002", "C1001", "PM1001-1", 10920),
    )
    store.record_security_event("C1001", "t", "cross_account", "bill")
    store.reset_to_seed()
    assert store.bill("B20002").status == "overdue"  # type: ignore[union-attr]
    assert store.tool_run("call-6") is None
    assert store.rows("payments") == []
    assert store.security_event_count() == 0


def test_open_store_is_memoized_and_does_not_reseed(store: TelcoStore) -> None:
    store.run_write("call-7", "x", "C1001", lambda w: "kept")
    again = open_store(store.url)
    assert again is store
    assert again.tool_run("call-7") is not None


def test_journal_reads_are_restricted_to_journal_tables(store: TelcoStore) -> None:
    with pytest.raises(ValueError, match="journal tables"):
        store.rows("customers")


def test_store_urls_are_validated(tmp_path: Path) -> None:
    assert parse_database_url("postgresql://u@h/db").kind == "postgresql"
    assert parse_database_url("sqlite:///x.sqlite3").kind == "sqlite"
    assert parse_database_url(f"sqlite:///{tmp_path}/a.db").path == tmp_path / "a.db"
    assert parse_database_url("sqlite:///:memory:").in_memory
    with pytest.raises(DatabaseUrlError, match="Unsupported store URL"):
        parse_database_url("mysql://u:secret@h/db", "store")
    with pytest.raises(DatabaseUrlError) as info:
        open_store("mysql://u:secret@h/db")
    assert "secret" not in str(info.value)


def test_concurrent_writes_with_one_tool_call_id_run_once(store: TelcoStore) -> None:
    ran: list[int] = []
    results: list[str] = []

    def pay() -> None:
        def action(w: object) -> str:
            from tools.store import StoreWriter

            assert isinstance(w, StoreWriter)
            ran.append(1)
            w.pay_bill("B20002", "C1001", "PM1001-1", 10920)
            return "paid"

        results.append(store.run_write("same-call", "make_payment", "C1001", action))

    threads = [threading.Thread(target=pay) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == ["paid"] * 4
    assert len(store.rows("payments")) == 1
    assert len(store.rows("tool_runs")) == 1
