"""Identity lookup for unauthenticated sessions, and the human handoff tool."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from tests.unit.telco_harness import harness
from tools import handoff, identity
from tools.auth import NOT_VERIFIED_MESSAGE, UNKNOWN_CUSTOMER_MESSAGE
from tools.identity import FAILED_MESSAGE, NEED_MORE_MESSAGE, parse_dob
from tools.store import TelcoStore, close_store, open_store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[TelcoStore]:
    """A fresh SQLite store seeded in a temporary directory."""
    opened = open_store(f"sqlite:///{tmp_path / 'telco.sqlite3'}")
    yield opened
    close_store(opened.url)


def test_module_exports() -> None:
    assert [t.name for t in identity.READ_TOOLS] == ["verify_customer"]
    assert [t.name for t in handoff.WRITE_TOOLS] == ["transfer_to_human"]
    assert handoff.TOOLS == handoff.WRITE_TOOLS


def test_account_tools_refuse_before_verification(store: TelcoStore) -> None:
    h = harness(store.url, None)
    for name, args in [
        ("list_bills", {}),
        ("line_status", {}),
        ("explain_bill", {"bill_id": "B20002"}),
    ]:
        out = h.call(name, args)
        assert out.text == NOT_VERIFIED_MESSAGE, name
    paused = h.call("make_payment", {"bill_id": "B20002"})
    assert paused.interrupt is None and paused.text == NOT_VERIFIED_MESSAGE


def test_unknown_authenticated_customer_gets_nothing(store: TelcoStore) -> None:
    out = harness(store.url, "C9999").call("list_bills", {})
    assert out.text == UNKNOWN_CUSTOMER_MESSAGE


def test_verify_by_phone_puts_the_id_in_state_and_unlocks_tools(store: TelcoStore) -> None:
    h = harness(store.url, None)
    out = h.call("verify_customer", {"phone_number": "(202) 555-0100"})
    assert out.text == "Verified: customer C1001 (Maya Patel). Account help can continue."
    assert out.state["verified_customer_id"] == "C1001"
    bills = h.call("list_bills", {}).text or ""
    assert "B20002" in bills and "B20004" not in bills
    again = h.call("verify_customer", {"phone_number": "+12025550102"})
    assert again.text == "Already verified as customer C1001; no lookup needed."


@pytest.mark.parametrize("dob", ["1979-07-02", "2 July 1979", "July 2, 1979", "1979/07/02"])
def test_verify_by_name_and_date_of_birth(store: TelcoStore, dob: str) -> None:
    out = harness(store.url, None).call(
        "verify_customer", {"full_name": "  jonas   BERG ", "date_of_birth": dob}
    )
    assert out.state.get("verified_customer_id") == "C1002"


@pytest.mark.parametrize(
    "args",
    [
        {"phone_number": "+19995550000"},
        {"full_name": "Jonas Berg", "date_of_birth": "1980-07-02"},
        {"full_name": "Jonas Berg", "date_of_birth": "02/08/1979"},  # neither reading
        {"phone_number": "+12025550100", "full_name": "Jonas Berg"},
    ],
)
def test_failed_verification_reveals_nothing_and_is_counted(
    store: TelcoStore, args: dict[str, str]
) -> None:
    out = harness(store.url, None).call("verify_customer", args)
    assert out.text == FAILED_MESSAGE
    assert "verified_customer_id" not in out.state
    assert store.security_event_count(kind="verification_failed") == 1


def test_name_alone_is_not_enough(store: TelcoStore) -> None:
    out = harness(store.url, None).call("verify_customer", {"full_name": "Maya Patel"})
    assert out.text == NEED_MORE_MESSAGE
    assert store.security_event_count() == 0


@pytest.mark.parametrize(
    "written", ["1988-03-14", "14 March 1988", "March 14, 1988", "14/03/1988", "03/14/1988"]
)
def test_birth_dates_in_every_common_form_are_read(written: str) -> None:
    assert date(1988, 3, 14) in parse_dob(written)


def test_a_date_whose_day_and_month_could_swap_gives_both_readings() -> None:
    assert parse_dob("03/04/1988") == (date(1988, 4, 3), date(1988, 3, 4))
    assert parse_dob("not a date") == ()


@pytest.mark.parametrize("written", ["14/03/1988", "03/14/1988", "March 14 1988"])
def test_verification_by_name_and_any_written_date(store: TelcoStore, written: str) -> None:
    out = harness(store.url, None).call(
        "verify_customer", {"full_name": "maya patel", "date_of_birth": written}
    )
    assert out.text is None or "Verified" in (out.text or "")
    verified = out.state.get("verified_customer_id")
    assert verified == "C1001"


def test_transfer_to_human_records_one_handoff_per_call(store: TelcoStore) -> None:
    h = harness(store.url)
    summary = "C1001 Maya Patel wants a refund of the $15.00 late fee on B20002; refused by policy."
    first = h.call("transfer_to_human", {"summary": summary}, call_id="ho-1")
    assert first.interrupt is None
    assert first.text is not None and first.text.startswith("Transferred to a human agent: case H-")
    assert summary in first.text
    replay = h.call("transfer_to_human", {"summary": summary}, call_id="ho-1", thread="t2")
    assert replay.text == first.text
    rows = store.rows("handoffs")
    assert len(rows) == 1 and rows[0]["customer_id"] == "C1001"


def test_transfer_to_human_works_before_verification(store: TelcoStore) -> None:
    out = harness(store.url, None).call("transfer_to_human", {"summary": "Caller cannot verify."})
    assert out.text is not None and out.text.startswith("Transferred")
    assert store.rows("handoffs")[0]["customer_id"] is None
