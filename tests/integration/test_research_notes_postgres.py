"""The SQL notes store on a real PostgreSQL: the unit tests' store functions, per-test schema.

Skips with the reason when PostgreSQL is unreachable, unless SWITCHBOARD_REQUIRE_SERVICES=1.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.pg_schema import opened_in_schema
from tests.unit.test_research_notes_store import (
    test_concurrent_posts_get_distinct_versions,
    test_posting_to_a_key_appends_versions_and_keeps_every_one,
    test_the_table_refuses_updates_and_deletes,
)
from tools.notes_store import SqlNotesStore

pytestmark = pytest.mark.services

__all__ = [
    "test_concurrent_posts_get_distinct_versions",
    "test_posting_to_a_key_appends_versions_and_keeps_every_one",
    "test_the_table_refuses_updates_and_deletes",
]


@pytest.fixture
def store(postgres_url: str) -> Iterator[SqlNotesStore]:
    """A notes store in a fresh PostgreSQL schema, dropped after the test."""
    with opened_in_schema(postgres_url, "sb_notes", SqlNotesStore) as opened:
        yield opened
