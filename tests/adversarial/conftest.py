"""Fixtures for the adversarial suite: the real support graph, its store, stored state."""

from __future__ import annotations

from typing import Any

import pytest
from langgraph.checkpoint.memory import InMemorySaver

from graphs.support import compile_graph
from tools.store import TelcoStore, open_store


@pytest.fixture(scope="module")
def store() -> TelcoStore:
    """The telco store of the test session's data dir (each case resets it to the seed)."""
    return open_store()


@pytest.fixture(scope="module")
def shipped_graph() -> Any:
    """The support graph exactly as ``graphs/support.py`` builds it (guards included)."""
    return compile_graph(InMemorySaver())
