"""OpenTelemetry export: each turn's run tree as spans (turn → node → tool / model call)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from opentelemetry import trace as trace_api
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from opentelemetry.trace import Span, Status, StatusCode, Tracer

from app.observability.runtree import RunRecord, TurnTrace
from app.observability.turnfacts import TurnFacts, turn_facts
from conversation.pii import mask_structure

SERVICE_NAME = "switchboard"
INSTRUMENTATION = "switchboard.observability"
MAX_ATTRIBUTE_CHARS = 500


class OtelConfigError(ValueError):
    """The OpenTelemetry settings are unusable; the message names the setting and the fix."""


def traces_endpoint(env: Mapping[str, str]) -> str | None:
    """The OTLP traces URL configured in ``env`` (``None`` when export is off)."""
    explicit = env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "").strip()
    if explicit:
        return explicit
    base = env.get("OTEL_EXPORTER_OTLP_ENDPOINT", "").strip()
    if not base:
        return None
    protocol = env.get("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf").strip()
    return base if protocol == "grpc" else base.rstrip("/") + "/v1/traces"


def otlp_exporter(env: Mapping[str, str]) -> SpanExporter | None:
    """An OTLP span exporter for the endpoint in ``env`` (HTTP/protobuf, or gRPC when asked)."""
    endpoint = traces_endpoint(env)
    if endpoint is None:
        return None
    protocol = env.get("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf").strip()
    if protocol == "grpc":
        # Lazy: the gRPC exporter is optional (not a dependency).
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import (
            OTLPSpanExporter as GrpcExporter,
        )

        return GrpcExporter(endpoint=endpoint)
    if protocol not in ("http/protobuf", ""):
        raise OtelConfigError(
            f"OTEL_EXPORTER_OTLP_PROTOCOL={protocol!r} is not supported. "
            "Use 'http/protobuf' (default) or 'grpc'."
        )

    return OTLPSpanExporter(endpoint=endpoint)


def make_tracer_provider(
    exporter: SpanExporter, service_name: str = SERVICE_NAME
) -> TracerProvider:
    """A tracer provider (not installed globally) that batches spans to ``exporter``."""
    resource = Resource.create({"service.name": service_name})
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider


def _clip(value: Any) -> str:
    masked = mask_structure(value)
    text = masked if isinstance(masked, str) else json.dumps(masked, default=str, sort_keys=True)
    return text if len(text) <= MAX_ATTRIBUTE_CHARS else text[: MAX_ATTRIBUTE_CHARS - 1] + "…"


def turn_attributes(facts: TurnFacts) -> dict[str, Any]:
    """Span attributes of the turn span (``None`` values are left out)."""
    attrs: dict[str, Any] = {
        "session.id": facts.thread,
        "switchboard.thread_id": facts.thread,
        "switchboard.turn": facts.turn,
        "switchboard.intent": facts.intent,
        "switchboard.act": facts.act,
        "switchboard.agent": facts.agent,
        "switchboard.phase": facts.phase,
        "switchboard.classifier_path": facts.classifier_path,
        "switchboard.stack.depth": facts.stack_depth,
        "switchboard.model_calls": facts.model_calls,
        "switchboard.tokens.prompt": facts.prompt_tokens,
        "switchboard.tokens.completion": facts.completion_tokens,
        "switchboard.folded_messages": facts.folded,
        "switchboard.retrieval.hits": facts.retrieval_hits,
        "switchboard.handoff": facts.handoff,
        "switchboard.awaiting_confirmation": facts.interrupted,
    }
    for section, tokens in facts.sections.items():
        attrs[f"switchboard.tokens.section.{section}"] = tokens
    for name, verdict in facts.guard.items():
        attrs[f"switchboard.guard.{name}"] = verdict
    if facts.tools:
        attrs["switchboard.tools"] = list(facts.tools)
    if facts.stack_events:
        attrs["switchboard.stack.events"] = list(facts.stack_events)
    return {key: value for key, value in attrs.items() if value is not None}


def _span_name(run: RunRecord) -> str:
    if run.kind == "tool":
        return f"tool {run.name}"
    if run.is_model_call:
        return f"chat {run.model or run.name}"
    if run.kind == "retriever":
        return f"retrieve {run.name}"
    return f"node {run.name}"


def _run_attributes(run: RunRecord, facts: TurnFacts) -> dict[str, Any]:
    attrs: dict[str, Any] = {
        "switchboard.thread_id": facts.thread,
        "switchboard.turn": facts.turn,
        "switchboard.run_kind": "model" if run.is_model_call else run.kind,
        "langgraph.node": run.node,
        "langgraph.step": run.metadata.get("langgraph_step"),
    }
    if run.kind == "tool":
        attrs["gen_ai.operation.name"] = "execute_tool"
        attrs["gen_ai.tool.name"] = run.name
        attrs["gen_ai.tool.call.id"] = run.metadata.get("tool_call_id")
        attrs["switchboard.tool.args"] = _clip(run.inputs) if run.inputs is not None else None
        attrs["switchboard.tool.awaiting_confirmation"] = run.interrupted
    elif run.is_model_call:
        attrs["gen_ai.operation.name"] = "chat"
        attrs["gen_ai.request.model"] = run.model or run.name
        attrs["gen_ai.usage.input_tokens"] = run.usage.get("input_tokens")
        attrs["gen_ai.usage.output_tokens"] = run.usage.get("output_tokens")
    elif run.kind == "retriever":
        attrs["switchboard.retrieval.documents"] = (
            len(run.outputs) if isinstance(run.outputs, list) else None
        )
    return {key: value for key, value in attrs.items() if value is not None}


def _emitted(run: RunRecord) -> bool:
    """Runs that become spans: nodes, tools, model calls, retrievals (routers are folded)."""
    if run.kind in ("tool", "retriever") or run.is_model_call:
        return True
    return run.node is not None and run.node == run.name


def _end(span: Span, run: RunRecord) -> None:
    if run.error:
        span.set_status(Status(StatusCode.ERROR, run.error[:MAX_ATTRIBUTE_CHARS]))
    span.end(end_time=run.end_ns or run.start_ns)


def _emit_children(tracer: Tracer, parent: Span, run: RunRecord, facts: TurnFacts) -> None:
    context = trace_api.set_span_in_context(parent)
    for child in sorted(run.children, key=lambda r: r.start_ns):
        if not _emitted(child):
            _emit_children(tracer, parent, child, facts)
            continue
        span = tracer.start_span(
            _span_name(child),
            context=context,
            kind=trace_api.SpanKind.CLIENT if child.is_model_call else trace_api.SpanKind.INTERNAL,
            attributes=_run_attributes(child, facts),
            start_time=child.start_ns,
        )
        _emit_children(tracer, span, child, facts)
        _end(span, child)


def export_turn(tracer: Tracer, trace: TurnTrace, facts: TurnFacts | None = None) -> None:
    """Emit the spans of one turn, with their recorded start and end times."""
    facts = facts or turn_facts(trace)
    root = trace.root
    span = tracer.start_span(
        "turn" if facts.turn is None else f"turn {facts.turn}",
        kind=trace_api.SpanKind.SERVER,
        attributes=turn_attributes(facts),
        start_time=root.start_ns,
    )
    for event in facts.stack_events:
        verb = event.replace(":", " ").split()[0].lower() if event.strip() else "change"
        name = f"stack.{verb}"
        span.add_event(name, {"switchboard.stack.event": event}, timestamp=root.end_ns)
    _emit_children(tracer, span, root, facts)
    _end(span, root)


class SpanSink:
    """A turn sink that exports each finished turn as spans through ``tracer``."""

    def __init__(self, tracer: Tracer) -> None:
        self.tracer = tracer

    def __call__(self, trace: TurnTrace, facts: TurnFacts) -> None:
        export_turn(self.tracer, trace, facts)
