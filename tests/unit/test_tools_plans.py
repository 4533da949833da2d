"""Plan tools: list and price plans, change plan, refuel (at most 2 GB), roaming."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.unit.telco_harness import harness
from tools import plans
from tools.store import TelcoStore, close_store, open_store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[TelcoStore]:
    """A fresh SQLite store seeded in a temporary directory."""
    opened = open_store(f"sqlite:///{tmp_path / 'telco.sqlite3'}")
    yield opened
    close_store(opened.url)


def test_module_exports_read_and_write_tools() -> None:
    assert [t.name for t in plans.READ_TOOLS] == ["list_plans", "price_plan_change"]
    assert [t.name for t in plans.WRITE_TOOLS] == ["change_plan", "refuel_data", "toggle_roaming"]


def test_list_plans_has_exact_prices_and_refuel_terms(store: TelcoStore) -> None:
    text = harness(store.url).call("list_plans", {}).text or ""
    assert "basic_5 Basic 5GB: $25.00/month, 5 GB, roaming not included" in text
    assert "everyday_15 Everyday 15GB: $40.00/month, 15 GB" in text
    assert "plus_40 Plus 40GB: $55.00/month, 40 GB, roaming included in the EU" in text
    assert "unlimited Unlimited: $70.00/month, unlimited data" in text
    assert (
        "unlimited_max Unlimited Max: $90.00/month, unlimited data, roaming included worldwide"
        in text
    )
    assert "$10.00 per GB, at most 2 GB per refuel" in text


def test_plans_are_public_before_verification(store: TelcoStore) -> None:
    text = harness(store.url, None).call("list_plans", {}).text or ""
    assert "Plus 40GB" in text


def test_price_plan_change_quotes_without_changing(store: TelcoStore) -> None:
    text = harness(store.url).call("price_plan_change", {"new_plan_id": "Plus 40GB"}).text or ""
    assert text.startswith("Quote (nothing changed yet): Change line L1001-1 (+12025550100)")
    assert "Everyday 15GB ($40.00/month) to Plus 40GB ($55.00/month): +$15.00/month" in text
    cheaper = harness(store.url).call("price_plan_change", {"new_plan_id": "basic_5"}).text or ""
    assert "-$15.00/month" in cheaper
    assert store.line("L1001-1").plan.plan_id == "everyday_15"  # type: ignore[union-attr]


def test_unknown_plan_lists_valid_ids(store: TelcoStore) -> None:
    text = harness(store.url).call("price_plan_change", {"new_plan_id": "gold"}).text or ""
    assert text.startswith("There is no plan 'gold'.")
    assert "unlimited_max (Unlimited Max)" in text


def test_change_plan_after_yes(store: TelcoStore) -> None:
    h = harness(store.url)
    asked = h.call("change_plan", {"new_plan_id": "plus_40"})
    assert asked.interrupt is not None and "+$15.00/month" in asked.interrupt["summary"]
    done = h.resume("confirm")
    assert done.text is not None
    assert "now on Plus 40GB at $55.00/month (was Everyday 15GB at $40.00/month)" in done.text
    line = store.line("L1001-1")
    assert line is not None and line.plan.plan_id == "plus_40" and line.data_limit_gb == 40.0
    assert len(store.rows("plan_changes")) == 1


def test_change_to_the_same_plan_or_on_a_suspended_line_is_refused(store: TelcoStore) -> None:
    h = harness(store.url)
    same = h.call("change_plan", {"new_plan_id": "everyday_15", "line": "L1001-1"})
    assert (
        same.interrupt is None
        and same.text == "Line L1001-1 (+12025550100) is already on Everyday 15GB."
    )
    suspended = h.call("change_plan", {"new_plan_id": "plus_40", "line": "L1001-2"})
    assert suspended.interrupt is None and suspended.text is not None
    assert "is suspended" in suspended.text


def test_refuel_above_two_gb_is_refused_without_asking(store: TelcoStore) -> None:
    out = harness(store.url).call("refuel_data", {"gb": 3})
    assert out.interrupt is None
    assert out.text is not None and out.text.startswith("Refused: a refuel is at most 2 GB")
    assert store.line("L1001-1").data_limit_gb == 15.0  # type: ignore[union-attr]
    zero = harness(store.url).call("refuel_data", {"gb": 0})
    assert zero.text == "The refuel amount must be more than 0 GB."


def test_refuel_two_gb_costs_twenty_dollars(store: TelcoStore) -> None:
    h = harness(store.url)
    asked = h.call("refuel_data", {"gb": 2})
    assert asked.interrupt is not None
    assert (
        "Add 2 GB of data to line L1001-1 (+12025550100) for $20.00" in asked.interrupt["summary"]
    )
    done = h.resume(True)
    assert done.text is not None and "for $20.00" in done.text and "now 17 GB" in done.text
    assert store.line("L1001-1").data_limit_gb == 17.0  # type: ignore[union-attr]
    refuels = [e for e in store.usage("L1001-1") if e.kind == "refuel"]
    assert [(e.amount_gb, e.cost_cents) for e in refuels] == [(2.0, 2000)]


def test_refuel_on_an_unlimited_plan_is_refused(store: TelcoStore) -> None:
    out = harness(store.url, "C1005").call("refuel_data", {"gb": 1, "line": "L1005-1"})
    assert out.interrupt is None
    assert out.text == (
        "Line L1005-1 (+12025550108) is on an unlimited plan; data refuels are not available "
        "for it."
    )


def test_plan_change_keeps_this_cycles_refuels(store: TelcoStore) -> None:
    h = harness(store.url)
    h.call("refuel_data", {"gb": 1})
    h.resume("yes")
    h.call("change_plan", {"new_plan_id": "plus_40"})
    h.resume("yes")
    assert store.line("L1001-1").data_limit_gb == 41.0  # type: ignore[union-attr]


def test_toggle_roaming_on_and_already_on(store: TelcoStore) -> None:
    h = harness(store.url)
    asked = h.call("toggle_roaming", {"enabled": True})
    assert asked.interrupt is not None
    assert "roaming not included ($10.00 per day abroad)" in asked.interrupt["summary"]
    done = h.resume("yes")
    assert done.text is not None and "Turned roaming ON for line L1001-1" in done.text
    assert store.line("L1001-1").roaming_enabled is True  # type: ignore[union-attr]
    again = h.call("toggle_roaming", {"enabled": True})
    assert again.interrupt is None and again.text is not None
    assert again.text.startswith("Roaming is already ON")
