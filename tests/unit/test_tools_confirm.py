"""Write safety: a quote before any write, run-once per answer, price re-check."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from langchain.tools import ToolRuntime
from langchain_core.messages import AIMessage, ToolMessage

from tests.unit.telco_harness import harness
from tools import billing
from tools.confirm import is_yes
from tools.store import TelcoStore, close_store, open_store
from tools.write_flow import MISSING_CALL_ID, NO_QUOTE


@pytest.fixture
def store(tmp_path: Path) -> Iterator[TelcoStore]:
    """A fresh SQLite store seeded in a temporary directory."""
    opened = open_store(f"sqlite:///{tmp_path / 'telco.sqlite3'}")
    yield opened
    close_store(opened.url)


@pytest.mark.parametrize(
    "answer",
    [
        True,
        "yes",
        "Y",
        "yeah",
        "Yep!",
        "confirm",
        "Yes please",
        "go ahead",
        "OK",
        {"confirmed": True},
    ],
)
def test_affirmative_answers_confirm(answer: object) -> None:
    assert is_yes(answer) is True


@pytest.mark.parametrize(
    "answer",
    [False, "no", "n", "nah", "", None, 1, "yes but not now", "don't", "cancel", "maybe",
     {"confirmed": False}, {"other": True}, ["yes"]],
)  # fmt: skip
def test_anything_else_declines(answer: object) -> None:
    assert is_yes(answer) is False


def test_payment_pauses_for_confirmation_and_yes_pays_once(store: TelcoStore) -> None:
    h = harness(store.url)
    asked = h.call("make_payment", {"bill_id": "B20002"}, call_id="pay-1")
    assert asked.interrupt is not None and asked.text is None
    assert asked.interrupt["kind"] == "confirm" and asked.interrupt["tool"] == "make_payment"
    assert "$109.20" in asked.interrupt["summary"]
    assert asked.interrupt["details"]["amount_cents"] == 10920
    assert store.bill("B20002").status == "overdue"  # type: ignore[union-attr]

    done = h.resume("yes")
    assert done.text is not None and "Payment received: $109.20" in done.text
    assert store.bill("B20002").status == "paid"  # type: ignore[union-attr]
    assert len(store.rows("payments")) == 1


def test_no_changes_nothing(store: TelcoStore) -> None:
    h = harness(store.url)
    h.call("make_payment", {"bill_id": "B20002"}, call_id="pay-2")
    declined = h.resume("no")
    assert declined.text is not None and declined.text.startswith("Declined")
    assert "Nothing was changed" in declined.text
    assert store.bill("B20002").status == "overdue"  # type: ignore[union-attr]
    assert store.rows("payments") == []


def test_same_answer_call_id_never_runs_twice_or_asks_again(store: TelcoStore) -> None:
    h = harness(store.url)
    h.call("change_plan", {"new_plan_id": "plus_40", "line": "L1001-1"}, call_id="cp-1")
    first = h.resume(True)
    replay = h.call("change_plan", {"new_plan_id": "plus_40", "line": "L1001-1"},
                    call_id="cp-1:yes", thread="another-thread")  # fmt: skip
    assert replay.interrupt is None
    assert replay.text == first.text
    assert len(store.rows("plan_changes")) == 1
    assert len(store.rows("tool_runs", "tool_call_id = ?", ("cp-1:yes",))) == 1


def test_a_declined_call_id_stays_declined(store: TelcoStore) -> None:
    h = harness(store.url)
    h.call("refuel_data", {"gb": 1, "line": "L1001-1"}, call_id="rf-1")
    declined = h.resume("nope")
    replay = h.call("refuel_data", {"gb": 1, "line": "L1001-1"}, call_id="rf-1:no", thread="t9")
    assert replay.interrupt is None and replay.text == declined.text
    assert store.line("L1001-1").data_limit_gb == 15.0  # type: ignore[union-attr]


def test_a_read_beside_a_write_answers_at_once_and_the_write_only_quotes(
    store: TelcoStore,
) -> None:
    h = harness(store.url)
    message = AIMessage(
        content="",
        tool_calls=[
            {"name": "list_bills", "args": {}, "id": "read-1"},
            {"name": "make_payment", "args": {"bill_id": "B20002"}, "id": "pay-3"},
        ],
    )
    quoted = h.graph.invoke(
        {"messages": [message]}, {"configurable": {"thread_id": "multi"}}, context=h.context
    )
    first = {m.tool_call_id: m for m in quoted["messages"] if isinstance(m, ToolMessage)}
    assert "B20002" in str(first["read-1"].content)
    assert str(first["pay-3"].content).startswith("Quoted, not done")
    assert store.rows("payments") == []
    resumed = h.resume("y", thread="multi")
    results = {
        m.tool_call_id: str(m.content)
        for m in resumed.state["messages"]
        if isinstance(m, ToolMessage)
    }
    assert "B20002" in results["read-1"]
    assert results["pay-3:yes"].startswith("Payment received: $109.20")
    assert len(store.rows("payments")) == 1


def _set_price(store: TelcoStore, plan_id: str, cents: int) -> None:
    with store.db.transaction() as tx:
        tx.execute("UPDATE plans SET monthly_price_cents = ? WHERE plan_id = ?", (cents, plan_id))


def test_price_change_between_confirm_and_execute_aborts(store: TelcoStore) -> None:
    h = harness(store.url)
    asked = h.call("change_plan", {"new_plan_id": "plus_40", "line": "L1001-1"}, call_id="cp-2")
    assert asked.interrupt is not None and "$55.00/month" in asked.interrupt["summary"]
    _set_price(store, "plus_40", 6500)
    aborted = h.resume("yes")
    assert aborted.text is not None and aborted.text.startswith("Aborted")
    assert "$55.00" in aborted.text and "$65.00" in aborted.text
    assert store.line("L1001-1").plan.plan_id == "everyday_15"  # type: ignore[union-attr]
    assert store.rows("plan_changes") == []


def test_bill_amount_change_between_confirm_and_execute_aborts(store: TelcoStore) -> None:
    h = harness(store.url)
    h.call("make_payment", {"bill_id": "B20002"}, call_id="pay-4")
    with store.db.transaction() as tx:
        tx.execute("UPDATE bills SET total_cents = 12000 WHERE bill_id = 'B20002'")
    aborted = h.resume("yes")
    assert aborted.text is not None and aborted.text.startswith("Aborted")
    assert store.bill("B20002").status == "overdue"  # type: ignore[union-attr]
    assert store.rows("payments") == []


def test_bill_paid_elsewhere_after_confirmation_aborts(store: TelcoStore) -> None:
    h = harness(store.url)
    h.call("make_payment", {"bill_id": "B20002"}, call_id="pay-5")
    store.run_write(
        "other", "make_payment", "C1001", lambda w: w.pay_bill("B20002", "C1001", "PM1001-2", 10920)
    )
    aborted = h.resume("yes")
    assert aborted.text is not None and aborted.text.startswith("Aborted")
    assert len(store.rows("payments")) == 1


def _direct_runtime(store: TelcoStore, call_id: str | None) -> ToolRuntime[Any, Any]:
    return ToolRuntime(
        state={},
        context={"customer_id": "C1001", "database_url": store.url},
        config={},
        stream_writer=lambda _chunk: None,
        tool_call_id=call_id,
        store=None,
    )


def test_a_write_without_tool_call_id_is_refused(store: TelcoStore) -> None:
    result = billing.make_payment.func(  # type: ignore[attr-defined]
        bill_id="B20002", runtime=_direct_runtime(store, None)
    )
    assert result == MISSING_CALL_ID
    assert store.bill("B20002").status == "overdue"  # type: ignore[union-attr]


def test_a_write_called_directly_only_quotes(store: TelcoStore) -> None:
    quoted = billing.make_payment.func(  # type: ignore[attr-defined]
        bill_id="B20002", runtime=_direct_runtime(store, "direct-1")
    )
    assert isinstance(quoted, ToolMessage) and quoted.artifact["kind"] == "confirm"
    assert "$109.20" in quoted.artifact["summary"]
    assert store.bill("B20002").status == "overdue"  # type: ignore[union-attr]
    assert store.rows("payments") == []


def test_an_answer_to_a_quote_never_shown_changes_nothing(store: TelcoStore) -> None:
    result = billing.make_payment.func(  # type: ignore[attr-defined]
        bill_id="B20002", runtime=_direct_runtime(store, "never-quoted:yes")
    )
    assert result == NO_QUOTE
    assert store.rows("payments") == []


def test_a_quote_answered_no_cannot_be_approved_later(store: TelcoStore) -> None:
    h = harness(store.url)
    h.call("make_payment", {"bill_id": "B20002"}, call_id="pay-6")
    declined = h.resume("no")
    late = h.call("make_payment", {"bill_id": "B20002"}, call_id="pay-6:yes")
    assert late.text == declined.text
    assert store.rows("payments") == []
