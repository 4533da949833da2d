"""The telco store and tool write-safety tests, run against a real PostgreSQL server.

Each test gets its own schema (dropped afterwards); the test bodies are the unit tests'.
Skips with the reason when PostgreSQL is unreachable, unless SWITCHBOARD_REQUIRE_SERVICES=1.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest

from tests.unit.test_store import (
    test_a_write_conflict_rolls_back_everything,
    test_business_date_is_fixed_unless_overridden,
    test_concurrent_writes_with_one_tool_call_id_run_once,
    test_confirmation_keeps_the_first_quote,
    test_every_status_is_present_and_bill_items_sum_to_totals,
    test_fixture_maya_patel_matches_the_readme,
    test_guarded_write_refuses_a_changed_amount,
    test_open_store_is_memoized_and_does_not_reseed,
    test_other_documented_fixtures,
    test_payment_methods_hold_only_last_four_digits,
    test_phone_lookup_accepts_common_formats,
    test_record_outcome_keeps_the_first_answer,
    test_reset_to_seed_restores_data_and_clears_journals,
    test_run_write_executes_once_per_tool_call_id,
    test_security_events_are_counted_and_logged,
    test_seed_has_the_documented_size_and_plans,
    test_unknown_references_return_nothing,
)
from tests.unit.test_tools_confirm import (
    test_a_declined_call_id_stays_declined,
    test_bill_amount_change_between_confirm_and_execute_aborts,
    test_no_changes_nothing,
    test_payment_pauses_for_confirmation_and_yes_pays_once,
    test_price_change_between_confirm_and_execute_aborts,
    test_same_answer_call_id_never_runs_twice_or_asks_again,
)
from tests.unit.test_tools_security import (
    test_every_cross_account_reference_is_refused_counted_and_changes_nothing,
)
from tests.unit.test_tools_tech_support import test_resume_becomes_possible_after_paying
from tools.store import TelcoStore, close_store, open_store

pytestmark = pytest.mark.services

__all__ = [
    "test_a_declined_call_id_stays_declined",
    "test_a_write_conflict_rolls_back_everything",
    "test_bill_amount_change_between_confirm_and_execute_aborts",
    "test_business_date_is_fixed_unless_overridden",
    "test_concurrent_writes_with_one_tool_call_id_run_once",
    "test_confirmation_keeps_the_first_quote",
    "test_every_cross_account_reference_is_refused_counted_and_changes_nothing",
    "test_every_status_is_present_and_bill_items_sum_to_totals",
    "test_fixture_maya_patel_matches_the_readme",
    "test_guarded_write_refuses_a_changed_amount",
    "test_no_changes_nothing",
    "test_open_store_is_memoized_and_does_not_reseed",
    "test_other_documented_fixtures",
    "test_payment_methods_hold_only_last_four_digits",
    "test_payment_pauses_for_confirmation_and_yes_pays_once",
    "test_phone_lookup_accepts_common_formats",
    "test_price_change_between_confirm_and_execute_aborts",
    "test_record_outcome_keeps_the_first_answer",
    "test_reset_to_seed_restores_data_and_clears_journals",
    "test_resume_becomes_possible_after_paying",
    "test_run_write_executes_once_per_tool_call_id",
    "test_same_answer_call_id_never_runs_twice_or_asks_again",
    "test_security_events_are_counted_and_logged",
    "test_seed_has_the_documented_size_and_plans",
    "test_unknown_references_return_nothing",
]


def _with_schema(url: str, schema: str) -> str:
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}options=-csearch_path%3D{schema}"


@pytest.fixture
def store(postgres_url: str) -> Iterator[TelcoStore]:
    """A store seeded in a fresh PostgreSQL schema, dropped after the test."""
    schema = f"sb_telco_{uuid.uuid4().hex[:12]}"
    url = _with_schema(postgres_url, schema)
    opened = open_store(url)
    assert opened.dialect == "postgres"
    try:
        yield opened
    finally:
        close_store(url)
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
