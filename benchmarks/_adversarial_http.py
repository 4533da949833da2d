"""HTTP part of the adversarial suite: hostile bodies, paths and headers on every API endpoint."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from fastapi.testclient import TestClient

from app.server.app import create_app
from app.server.settings import ServerSettings
from benchmarks._adversarial_run import CaseResult
from conversation.paths import repo_root
from llm.factory import SCRIPTED

CATEGORY = "http_malformed"
OWN_TOKEN, OTHER_TOKEN = "tok-adv-1001", "tok-adv-1002"
TOKENS = {OWN_TOKEN: "C1001", OTHER_TOKEN: "C1002"}
OWN = {"Authorization": f"Bearer {OWN_TOKEN}", "Accept": "application/json"}
OTHER = {"Authorization": f"Bearer {OTHER_TOKEN}", "Accept": "application/json"}
_PARAM = re.compile(r"\{thread_id\}")


@dataclass(frozen=True)
class HttpCase:
    """One hostile request."""

    id: str
    method: str
    path: str
    body: bytes | None = None
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=lambda: dict(OWN))
    ok_statuses: frozenset[int] = frozenset()
    """2xx codes that are correct for this request (valid input); any other 2xx is a leak."""


def default_path() -> Path:
    """The shipped HTTP hostile-input file."""
    return repo_root() / "data" / "adversarial" / "http.yaml"


def load_spec(path: Path | None = None) -> dict[str, Any]:
    """The bodies, thread ids and header sets of the HTTP suite."""
    data = yaml.safe_load((path or default_path()).read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not all(
        k in data for k in ("bodies", "thread_ids", "headers")
    ):
        raise ValueError(f"{path or default_path()}: expected 'bodies', 'thread_ids' and 'headers'")
    return data


def encode_body(spec: dict[str, Any]) -> bytes:
    """The bytes of a body entry (json, raw, hex, repeat+times or nest)."""
    if "json" in spec:
        return json.dumps(spec["json"]).encode()
    if "raw" in spec:
        return str(spec["raw"]).encode("utf-8")
    if "hex" in spec:
        return bytes.fromhex(str(spec["hex"]).replace(" ", ""))
    if "repeat" in spec:
        return json.dumps({"text": str(spec["repeat"]) * int(spec["times"])}).encode()
    if "nest" in spec:
        depth = int(spec["nest"])
        return ("[" * depth + "]" * depth).encode()
    raise ValueError(f"HTTP body {spec.get('name')!r} needs json, raw, hex, repeat or nest")


def endpoints(openapi: dict[str, Any]) -> list[tuple[str, str, bool]]:
    """(method, path template, takes a JSON body) for every operation of the API."""
    found = []
    for path, operations in openapi.get("paths", {}).items():
        for method, operation in operations.items():
            content = (operation.get("requestBody") or {}).get("content", {})
            found.append((method.upper(), path, "application/json" in content))
    return sorted(found)


def _body_cases(
    spec: dict[str, Any], ops: list[tuple[str, str, bool]], thread: str
) -> Iterator[HttpCase]:
    for body in spec["bodies"]:
        valid = tuple(body.get("valid_for") or ())
        for method, template, takes_json in ops:
            if not takes_json:
                continue
            path = _PARAM.sub(thread, template)
            ok = frozenset({200, 201}) if template in valid else frozenset()
            yield HttpCase(
                id=f"{method} {template} body:{body['name']}",
                method=method,
                path=path,
                body=encode_body(body),
                content_type=str(body.get("content_type", "application/json")),
                ok_statuses=ok,
            )


def _thread_value(item: dict[str, Any], other_thread: str) -> str:
    if item.get("other_customer"):
        return other_thread
    if "repeat" in item:
        return str(item["repeat"]) * int(item["times"])
    return str(item["value"])


def _path_cases(
    spec: dict[str, Any], ops: list[tuple[str, str, bool]], other_thread: str
) -> Iterator[HttpCase]:
    for item in spec["thread_ids"]:
        for method, template, takes_json in ops:
            if "{thread_id}" not in template:
                continue
            body = (
                b'{"text": "show my bills"}'
                if template.endswith("/messages")
                else b'{"approve": true}'
            )
            yield HttpCase(
                id=f"{method} {template} thread:{item['name']}",
                method=method,
                path=_PARAM.sub(_thread_value(item, other_thread), template),
                body=body if takes_json else None,
                content_type="application/json" if takes_json else None,
            )


def _header_cases(
    spec: dict[str, Any], ops: list[tuple[str, str, bool]], thread: str
) -> Iterator[HttpCase]:
    for item in spec["headers"]:
        for method, template, takes_json in ops:
            if template in {"/healthz", "/readyz", "/metrics", "/"}:
                continue
            body = b'{"text": "show my bills"}' if template.endswith("/messages") else b"{}"
            yield HttpCase(
                id=f"{method} {template} headers:{item['name']}",
                method=method,
                path=_PARAM.sub(thread, template) + str(item.get("query", "")),
                body=body if takes_json else None,
                content_type="application/json" if takes_json else None,
                headers={str(k): str(v) for k, v in (item.get("headers") or {}).items()},
            )


def build_cases(
    spec: dict[str, Any], openapi: dict[str, Any], thread: str, other: str
) -> list[HttpCase]:
    """Every hostile request: bodies × JSON endpoints, ids × thread endpoints, headers × API."""
    ops = endpoints(openapi)
    return [
        *_body_cases(spec, ops, thread),
        *_path_cases(spec, ops, other),
        *_header_cases(spec, ops, thread),
    ]


def _error_shape(response: Any) -> bool:
    """True when the body is ``{"error": {"code": ..., "message": ...}}``."""
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        return False
    return isinstance(error, dict) and bool(error.get("code")) and bool(error.get("message"))


def _state(client: Any, thread: str) -> str:
    """The thread's stored state as the owner sees it (to detect changes)."""
    return str(client.get(f"/v1/threads/{thread}/state", headers=OWN).text)


def run_http_case(client: Any, case: HttpCase, thread: str) -> CaseResult:
    """Send one hostile request and judge the response and the stored state."""
    result = CaseResult(case.id, CATEGORY, thread=thread)
    watch = case.method == "POST" and thread in case.path and not case.ok_statuses
    before = _state(client, thread) if watch else ""
    headers = dict(case.headers)
    if case.content_type:
        headers["Content-Type"] = case.content_type
    try:
        response = client.request(case.method, case.path, content=case.body, headers=headers)
    except Exception as error:  # an exception escaping the app is a crash
        result.crashed = f"{type(error).__name__}: {str(error)[:200]}"
        result.held = False
        return result
    status = response.status_code
    if status >= 500:
        result.crashed = f"HTTP {status}: {response.text[:200]}"
    elif 200 <= status < 300 and status not in case.ok_statuses:
        result.leaks.append(f"accepted hostile input with HTTP {status}")
    elif status >= 400 and not _error_shape(response):
        result.leaks.append(f"HTTP {status} without the documented error body")
    if "C1002" in response.text and case.headers.get("Authorization") != OTHER["Authorization"]:
        result.leaks.append("response names another customer")
    if watch and _state(client, thread) != before:
        result.leaks.append("stored state changed")
    result.held = not result.leaks and result.crashed is None
    result.layers = ["boundary"] if 400 <= status < 500 else []
    result.as_expected = result.held
    return result


@contextmanager
def api_client(database_url: str = "") -> Iterator[Any]:
    """The HTTP app in process (FastAPI TestClient, no network), scripted model, no rate limits."""
    settings = ServerSettings(
        model=SCRIPTED,
        database_url=database_url,
        api_tokens=TOKENS,
        rate_customer=None,
        rate_ip=None,
        max_body_bytes=64 * 1024,
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


def new_thread(client: Any, headers: dict[str, str]) -> str:
    """Create a thread for the token in ``headers``."""
    response = client.post("/v1/threads", headers=headers)
    if response.status_code != 201:
        raise RuntimeError(
            f"cannot create a thread: HTTP {response.status_code} {response.text[:200]}"
        )
    return str(response.json()["thread_id"])


def run_http_suite(database_url: str = "", spec_path: Path | None = None) -> list[CaseResult]:
    """Every HTTP case against a fresh app; one result per request."""
    spec = load_spec(spec_path)
    with api_client(database_url) as client:
        own, other = new_thread(client, OWN), new_thread(client, OTHER)
        cases = build_cases(spec, client.app.openapi(), own, other)
        return [run_http_case(client, case, own) for case in cases]
