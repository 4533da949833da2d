"""Property-based fuzzing of the HTTP API: no request body or path makes the server fail."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks._adversarial_http import OWN, api_client, new_thread

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
FIELDS = st.fixed_dictionaries(
    {},
    optional={
        "text": JSON_VALUES,
        "approve": JSON_VALUES,
        "client_message_id": JSON_VALUES,
        "title": JSON_VALUES,
    },
)
BODIES = (
    JSON_VALUES.map(json.dumps).map(str.encode)
    | FIELDS.map(json.dumps).map(str.encode)
    | st.binary(max_size=64)
)


@pytest.fixture(scope="module")
def api() -> Iterator[tuple[Any, str]]:
    """The app in process and one thread of customer C1001."""
    with api_client() as client:
        yield client, new_thread(client, OWN)


def _is_error_body(response: Any) -> bool:
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        return False
    return isinstance(error, dict) and bool(error.get("code")) and bool(error.get("message"))


@FUZZ
@given(body=BODIES, endpoint=st.sampled_from(["/messages", "/confirm", ""]))
def test_any_body_gets_a_clean_answer(api: tuple[Any, str], body: bytes, endpoint: str) -> None:
    client, thread = api
    path = f"/v1/threads/{thread}{endpoint}" if endpoint else "/v1/threads"
    headers = {**OWN, "Content-Type": "application/json"}
    response = client.post(path, content=body, headers=headers)
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert _is_error_body(response), response.text


@FUZZ
@given(thread=st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=80))
def test_any_thread_id_gets_a_clean_answer(api: tuple[Any, str], thread: str) -> None:
    client, own = api
    response = client.get(f"/v1/threads/{quote(thread, safe='')}/state", headers=OWN)
    assert response.status_code < 500, response.text
    assert response.status_code != 200 or thread == own  # no other thread is ever readable
    if response.status_code >= 400:
        assert _is_error_body(response), response.text
