"""Malformed JSON, wrong types, hostile paths and bad credentials on every HTTP endpoint."""

from __future__ import annotations

from benchmarks._adversarial_http import api_client, endpoints, load_spec, run_http_suite


def test_every_endpoint_refuses_hostile_requests_cleanly() -> None:
    results = run_http_suite()
    assert len(results) >= 200
    crashed = [(r.id, r.crashed) for r in results if r.crashed]
    leaked = [(r.id, r.leaks) for r in results if r.leaks]
    assert crashed == []
    assert leaked == []


def test_every_api_operation_gets_hostile_input() -> None:
    spec = load_spec()
    with api_client() as client:
        operations = endpoints(client.app.openapi())
    bodies = {b["name"] for b in spec["bodies"]}
    assert {"not-json", "text-number", "approve-string", "deep-nesting"} <= bodies
    with_body = [op for op in operations if op[2]]
    assert {path for _, path, _ in with_body} >= {
        "/v1/threads",
        "/v1/threads/{thread_id}/messages",
        "/v1/threads/{thread_id}/confirm",
    }
