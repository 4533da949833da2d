"""The thread registry on a real PostgreSQL: the unit tests' functions, per-test schema.

Skips with the reason when PostgreSQL is unreachable, unless SWITCHBOARD_REQUIRE_SERVICES=1.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.threads import ThreadRegistry
from tests.integration.pg_schema import opened_in_schema
from tests.unit.test_thread_registry import (
    test_a_created_thread_belongs_to_its_customer,
    test_an_unauthenticated_thread_is_only_for_unauthenticated_callers,
    test_lists_are_newest_first_and_filtered,
)

pytestmark = pytest.mark.services

__all__ = [
    "test_a_created_thread_belongs_to_its_customer",
    "test_an_unauthenticated_thread_is_only_for_unauthenticated_callers",
    "test_lists_are_newest_first_and_filtered",
]


@pytest.fixture
def registry(postgres_url: str) -> Iterator[ThreadRegistry]:
    """A registry in a fresh PostgreSQL schema, dropped after the test."""
    with opened_in_schema(postgres_url, "sb_threads", ThreadRegistry) as opened:
        yield opened
