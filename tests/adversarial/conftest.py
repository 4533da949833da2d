"""Fixtures for the adversarial suite: the real support graph, its store, stored state."""

from __future__ import annotations

from typing import Any

import pytest
from langgraph.checkpoint.memory import InMemorySaver

from benchmarks._adversarial_wiring import compile_support
from tools.store import TelcoStore, open_store


@pytest.fixture(scope="module")
def store() -> TelcoStore:
    """The telco store of the test session's data dir (each case resets it to the seed)."""
    return open_store()


@pytest.fixture(scope="module")
def shipped_graph() -> Any:
    """The support graph exactly as ``graphs/support.py`` builds it."""
    return compile_support("current", InMemorySaver())


@pytest.fixture(scope="module")
def guarded_graph() -> Any:
    """The support graph with the guard nodes wired (a no-op once graphs/support.py has them)."""
    return compile_support("proposed", InMemorySaver())
