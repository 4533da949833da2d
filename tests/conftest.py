"""Shared fixtures: an isolated data directory, real service URLs (or a clear skip)."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

REQUIRE_SERVICES = os.environ.get("SWITCHBOARD_REQUIRE_SERVICES") == "1"
POSTGRES_URL = os.environ.get(
    "SWITCHBOARD_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("SWITCHBOARD_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


def require_service(name: str, host: str, port: int) -> None:
    """Skip (or fail, under SWITCHBOARD_REQUIRE_SERVICES=1) when a service is unreachable."""
    if _reachable(host, port):
        return
    message = f"{name} is not reachable on {host}:{port}"
    if REQUIRE_SERVICES:
        pytest.fail(f"{message}, and SWITCHBOARD_REQUIRE_SERVICES=1 requires it.")
    pytest.skip(f"{message}; start it or set SWITCHBOARD_REQUIRE_SERVICES=1 to make this fail.")


@pytest.fixture(scope="session", autouse=True)
def isolated_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Every test session gets its own data directory (models stay in the shared model cache)."""
    previous = os.environ.get("SWITCHBOARD_DATA_DIR")
    path = tmp_path_factory.mktemp("switchboard-data")
    os.environ["SWITCHBOARD_DATA_DIR"] = str(path)
    os.environ.setdefault("LANGSMITH_TRACING", "false")
    os.environ.pop("SWITCHBOARD_DATABASE_URL", None)
    yield path
    if previous is None:
        os.environ.pop("SWITCHBOARD_DATA_DIR", None)
    else:
        os.environ["SWITCHBOARD_DATA_DIR"] = previous


@pytest.fixture
def postgres_url() -> str:
    """URL of the real PostgreSQL test database."""
    require_service("PostgreSQL", "127.0.0.1", 5432)
    return POSTGRES_URL


@pytest.fixture
def redis_url() -> str:
    """URL of the real Redis server."""
    require_service("Redis", "127.0.0.1", 6379)
    return REDIS_URL


@pytest.fixture
def artifacts_dir() -> Path:
    """Where tests save artifacts (screenshots, reports) for CI to keep."""
    path = Path(os.environ.get("SWITCHBOARD_TEST_ARTIFACTS", "test-artifacts"))
    path.mkdir(parents=True, exist_ok=True)
    return path
