"""Span and run export to local receivers: OTLP/HTTP protobuf, and a LangSmith-shaped endpoint."""

from __future__ import annotations

import email
import email.policy
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from langchain_core.messages import HumanMessage
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue

from app.observability.setup import Observability
from tests.unit.test_observability import toy_graph


@dataclass
class Received:
    """Requests a loopback receiver got: (method, path, headers, body)."""

    requests: list[tuple[str, str, dict[str, str], bytes]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def bodies(self, path_prefix: str) -> list[bytes]:
        with self.lock:
            return [body for m, p, _, body in self.requests if p.startswith(path_prefix)]


def make_handler(received: Received, get_body: bytes) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _record(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            with received.lock:
                received.requests.append((self.command, self.path, dict(self.headers), body))

        def do_POST(self) -> None:
            self._record()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b"{}")

        do_PATCH = do_POST

        def do_GET(self) -> None:
            self._record()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(get_body)

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler


@pytest.fixture
def receiver() -> Iterator[tuple[str, Received]]:
    """An HTTP server on a free loopback port that records every request."""
    received = Received()
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(received, b"{}"))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", received
    finally:
        server.shutdown()
        server.server_close()


def value_of(value: AnyValue) -> Any:
    kind = value.WhichOneof("value")
    if kind == "array_value":
        return [value_of(v) for v in value.array_value.values]
    return getattr(value, kind) if kind else None


def decode_spans(bodies: list[bytes]) -> dict[str, dict[str, Any]]:
    """Span name → {attributes, span_id, parent_span_id, service} from OTLP protobuf posts."""
    spans: dict[str, dict[str, Any]] = {}
    for body in bodies:
        request = ExportTraceServiceRequest()
        request.ParseFromString(body)
        for resource_spans in request.resource_spans:
            resource = {a.key: value_of(a.value) for a in resource_spans.resource.attributes}
            for scope in resource_spans.scope_spans:
                for span in scope.spans:
                    spans[span.name] = {
                        "attributes": {a.key: value_of(a.value) for a in span.attributes},
                        "span_id": span.span_id,
                        "parent_span_id": span.parent_span_id,
                        "service": resource.get("service.name"),
                        "events": [e.name for e in span.events],
                    }
    return spans


def test_otlp_http_export_reaches_a_local_receiver_with_conversation_attributes(
    receiver: tuple[str, Received],
) -> None:
    url, received = receiver
    obs = Observability.from_env({"OTEL_EXPORTER_OTLP_ENDPOINT": url})
    config = {"configurable": {"thread_id": "t-otlp"}, **obs.run_config("t-otlp")}
    with obs.scope("t-otlp", 1):
        toy_graph().invoke({"messages": [HumanMessage("show my bills")]}, config)
    obs.shutdown()  # flushes the batch processor

    posts = received.bodies("/v1/traces")
    assert posts, "the OTLP exporter posted nothing to /v1/traces"
    headers = [h for m, p, h, _ in received.requests if p == "/v1/traces"]
    content_types = {k.lower(): v for k, v in headers[0].items()}.get("content-type")
    assert content_types == "application/x-protobuf"
    spans = decode_spans(posts)
    turn = spans["turn 1"]
    assert turn["service"] == "switchboard"
    assert turn["attributes"]["switchboard.thread_id"] == "t-otlp"
    assert turn["attributes"]["switchboard.intent"] == "billing"
    assert turn["attributes"]["switchboard.tokens.section.window"] == 40
    assert turn["attributes"]["switchboard.guard.input"] == "ok"
    assert turn["events"] == ["stack.push"]
    assert spans["node billing_tools"]["parent_span_id"] == turn["span_id"]
    assert spans["tool list_bills"]["parent_span_id"] == spans["node billing_tools"]["span_id"]
    assert spans["tool list_bills"]["attributes"]["gen_ai.tool.name"] == "list_bills"
    assert spans["chat scripted"]["attributes"]["gen_ai.usage.input_tokens"] > 0


def test_langsmith_root_run_carries_turn_metadata_and_tags(
    receiver: tuple[str, Received],
) -> None:
    url, received = receiver
    env = {"LANGSMITH_API_KEY": "test-key", "LANGSMITH_ENDPOINT": url, "LANGSMITH_PROJECT": "sb"}
    obs = Observability.from_env(env)
    assert obs.langsmith
    extra = obs.run_config("t-ls", 1)
    tracer = extra["callbacks"][1]
    config = {"configurable": {"thread_id": "t-ls"}, **extra}
    with obs.scope("t-ls", 1):
        toy_graph().invoke({"messages": [HumanMessage("show my bills")]}, config)
    tracer.wait_for_futures()
    tracer.client.flush()

    parts = multipart_parts(received)
    assert parts, "the LangSmith client posted no runs"
    roots = [
        (name, body)
        for name, body in parts.items()
        if name.count(".") == 1 and body.get("name") == "turn" and not body.get("parent_run_id")
    ]
    assert len(roots) == 1
    name, root = roots[0]
    assert {"agent:billing", "intent:billing", "path:local", "switchboard"} <= set(root["tags"])
    metadata = parts[f"{name}.extra"]["metadata"]
    assert metadata["thread_id"] == "t-ls" and metadata["turn"] == 1
    assert metadata["intent"] == "billing" and metadata["agent"] == "billing"
    assert metadata["classifier_path"] == "local" and metadata["stack_depth"] == 1
    assert metadata["prompt_tokens_by_section"]["window"] == 40


def multipart_parts(received: Received) -> dict[str, Any]:
    """JSON parts of the LangSmith multipart posts, by part name (``post.<id>[.field]``)."""
    parts: dict[str, Any] = {}
    with received.lock:
        posts = [(h, b) for m, p, h, b in received.requests if p.startswith("/runs/multipart")]
    for headers, body in posts:
        content_type = {k.lower(): v for k, v in headers.items()}["content-type"]
        message = email.message_from_bytes(
            b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body,
            policy=email.policy.HTTP,
        )
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True)
            if isinstance(name, str) and isinstance(payload, bytes):
                parts[name] = json.loads(payload)
    return parts
