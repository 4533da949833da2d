"""Tech-support tools: line status, guided diagnostics, resume rules, tickets."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from langchain_core.utils.function_calling import convert_to_openai_tool

from tests.unit.telco_harness import harness
from tools import tech_support
from tools.store import TelcoStore, close_store, open_store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[TelcoStore]:
    """A fresh SQLite store seeded in a temporary directory."""
    opened = open_store(f"sqlite:///{tmp_path / 'telco.sqlite3'}")
    yield opened
    close_store(opened.url)


def test_module_exports_read_and_write_tools() -> None:
    assert [t.name for t in tech_support.READ_TOOLS] == ["run_diagnostic", "line_status"]
    assert [t.name for t in tech_support.WRITE_TOOLS] == ["resume_line", "open_ticket"]
    schema = convert_to_openai_tool(tech_support.run_diagnostic)["function"]["parameters"]
    assert schema["properties"]["problem"]["enum"] == ["no_service", "slow_data", "mms"]


def test_line_status_lists_every_line(store: TelcoStore) -> None:
    text = harness(store.url).call("line_status", {}).text or ""
    assert "L1001-1 (+12025550100): active. Plan Everyday 15GB, $40.00/month." in text
    assert "L1001-2 (+12025550101): suspended (non-payment)." in text
    assert "12.4 of 15 GB used" in text and "Contract ends 2027-03-31" in text


def test_line_status_by_phone_number(store: TelcoStore) -> None:
    text = harness(store.url).call("line_status", {"line": "202-555-0101"}).text or ""
    assert text.startswith("L1001-2 (+12025550101): suspended")
    assert "L1001-1" not in text


def test_mms_diagnostic_finds_the_broken_mms_settings(store: TelcoStore) -> None:
    text = harness(store.url).call("run_diagnostic", {"problem": "mms", "line": "L1001-1"}).text
    assert text is not None
    assert "The MMS settings on the Pixel 8 are wrong." in text
    assert "1. Reset the MMS settings" in text


def test_slow_data_with_the_allowance_used_up(store: TelcoStore) -> None:
    out = harness(store.url, "C1006").call(
        "run_diagnostic", {"problem": "slow_data", "line": "L1006-1"}
    )
    assert out.text is not None
    assert "All 15 GB of this cycle's data is used" in out.text and "2026-11-30" in out.text
    assert "refuel_data" in out.text


def test_slow_data_with_a_wrong_apn(store: TelcoStore) -> None:
    text = harness(store.url, "C1007").call("run_diagnostic", {"problem": "slow_data"}).text or ""
    assert "The APN settings on the iPhone 15 are wrong." in text
    assert "Reset the APN" in text


def test_slow_data_on_a_phone_forced_to_3g(store: TelcoStore) -> None:
    text = harness(store.url, "C1009").call("run_diagnostic", {"problem": "slow_data"}).text or ""
    assert "The phone is set to 3G only." in text


def test_no_service_on_a_healthy_line_gives_guided_steps(store: TelcoStore) -> None:
    text = (
        harness(store.url, "C1002")
        .call("run_diagnostic", {"problem": "no_service", "line": "L1002-1"})
        .text
        or ""
    )
    assert "Findings:\n- The line is active; no account block." in text
    assert "1. Make sure airplane mode is off" in text
    assert "eSIM profile" in text
    assert "turn roaming on (toggle_roaming)" in text


def test_no_service_on_a_suspended_line_points_to_the_overdue_bill(store: TelcoStore) -> None:
    text = (
        harness(store.url).call("run_diagnostic", {"problem": "no_service", "line": "L1001-2"}).text
    )
    assert text is not None
    assert "The line is suspended (non-payment)" in text
    assert "B20002 ($109.20, due 2026-10-25)" in text


def test_no_service_on_a_pending_line(store: TelcoStore) -> None:
    text = (
        harness(store.url, "C1005")
        .call("run_diagnostic", {"problem": "no_service", "line": "L1005-2"})
        .text
        or ""
    )
    assert "pending activation (requested 2026-11-18)" in text


def test_resume_refused_while_a_bill_is_overdue(store: TelcoStore) -> None:
    out = harness(store.url).call("resume_line", {})
    assert out.interrupt is None
    assert out.text == (
        "Line L1001-2 (+12025550101) cannot be resumed: overdue bill(s) B20002 ($109.20, due "
        "2026-10-25) must be paid first (make_payment)."
    )
    assert store.line("L1001-2").status == "suspended"  # type: ignore[union-attr]


def test_resume_refused_when_the_contract_ended(store: TelcoStore) -> None:
    out = harness(store.url, "C1003").call("resume_line", {"line": "L1003-2"})
    assert out.interrupt is None
    assert out.text is not None and "its contract ended on 2026-09-30" in out.text
    assert "overdue" not in out.text


def test_resume_refused_for_both_reasons(store: TelcoStore) -> None:
    text = harness(store.url, "C1011").call("resume_line", {}).text or ""
    assert "B20032" in text and "contract ended on 2026-10-31" in text


def test_resume_allowed_and_done_after_yes(store: TelcoStore) -> None:
    h = harness(store.url, "C1004")
    asked = h.call("resume_line", {})
    assert asked.interrupt is not None
    assert asked.interrupt["summary"] == (
        "Resume line L1004-2 (+12025550107) on Everyday 15GB at $40.00/month. No reconnection fee."
    )
    done = h.resume("yes")
    assert done.text is not None and done.text.startswith("Line L1004-2 resumed on 2026-11-20")
    line = store.line("L1004-2")
    assert line is not None and line.status == "active" and line.suspension_reason is None


def test_resume_becomes_possible_after_paying(store: TelcoStore) -> None:
    h = harness(store.url)
    h.call("make_payment", {"bill_id": "B20002"})
    h.resume("yes")
    asked = h.call("resume_line", {})
    assert asked.interrupt is not None
    h.resume("yes")
    assert store.line("L1001-2").status == "active"  # type: ignore[union-attr]


def test_contract_end_follows_the_business_date(
    store: TelcoStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SWITCHBOARD_TODAY", "2027-07-01")
    text = harness(store.url, "C1004").call("resume_line", {}).text or ""
    assert "contract ended on 2027-06-30" in text


def test_resume_of_active_and_pending_lines(store: TelcoStore) -> None:
    h = harness(store.url, "C1005")
    assert h.call("resume_line", {"line": "L1005-1"}).text == (
        "Line L1005-1 (+12025550108) is already active; nothing to resume."
    )
    pending = h.call("resume_line", {"line": "L1005-2"}).text or ""
    assert "pending activation, not suspended" in pending


def test_open_ticket_after_yes(store: TelcoStore) -> None:
    h = harness(store.url)
    asked = h.call(
        "open_ticket",
        {"category": "mms", "description": "  Picture messages fail  ", "line": "+1 202 555 0100"},
    )
    assert asked.interrupt is not None
    assert (
        asked.interrupt["summary"]
        == 'Open a support ticket (mms, line L1001-1): "Picture messages fail".'
    )
    done = h.resume("yes")
    tickets = store.rows("tickets")
    assert len(tickets) == 1 and tickets[0]["line_id"] == "L1001-1"
    assert done.text is not None and tickets[0]["ticket_id"] in done.text


def test_open_ticket_needs_a_description(store: TelcoStore) -> None:
    out = harness(store.url).call("open_ticket", {"category": "other", "description": "   "})
    assert out.interrupt is None and out.text is not None and out.text.startswith("Describe")
