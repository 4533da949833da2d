"""One object that wires tracing, metrics and logs into a graph run: ``Observability``."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from typing import Any

from langchain_core.callbacks import BaseCallbackHandler
from langsmith.run_helpers import tracing_context

from app.observability.langsmith import LangSmithEnricher, langsmith_enabled, make_langsmith_tracer
from app.observability.metrics import SupportMetrics
from app.observability.otel import INSTRUMENTATION, SpanSink, make_tracer_provider, otlp_exporter
from app.observability.runtree import RunTreeRecorder, TurnTrace
from app.observability.scope import turn_scope
from app.observability.turnfacts import TurnFacts, turn_facts

log = logging.getLogger("switchboard.turns")

FactSink = Callable[[TurnTrace, TurnFacts], None]
"""Called with each finished invocation and its facts."""


def log_turn(trace: TurnTrace, facts: TurnFacts) -> None:
    """One structured log line per finished invocation."""
    log.info(
        "turn finished",
        extra={
            "thread_id": facts.thread,
            "turn": facts.turn,
            "intent": facts.intent,
            "agent": facts.agent,
            "phase": facts.phase,
            "classifier_path": facts.classifier_path,
            "nodes": trace.node_names(),
            "tools": facts.tools,
            "model_calls": facts.model_calls,
            "prompt_tokens": facts.prompt_tokens,
            "latency_ms": round(facts.latency_s * 1000, 2),
            "awaiting_confirmation": facts.interrupted,
        },
    )


class Observability:
    """Tracing (LangSmith, OpenTelemetry), metrics and turn logs for graph runs.

    Build it once per process or app (``Observability.from_env()``), then per run use
    ``run_config(thread_id, turn)`` as extra run config and wrap the run in
    ``scope(thread_id, turn)``. Nothing here touches the network unless LangSmith or OTLP
    is configured.
    """

    def __init__(
        self,
        metrics: SupportMetrics | None = None,
        tracer_provider: Any = None,
        langsmith: bool = False,
        env: Mapping[str, str] | None = None,
        extra_sinks: Sequence[FactSink] = (),
    ) -> None:
        self.metrics = metrics or SupportMetrics()
        self.tracer_provider = tracer_provider
        self.langsmith = langsmith
        self.env = dict(env if env is not None else os.environ)
        self.extra_sinks = list(extra_sinks)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Observability:
        """Settings from the environment: LangSmith when a key is set, OTLP when an endpoint is."""
        settings = dict(env if env is not None else os.environ)
        exporter = otlp_exporter(settings)
        provider = make_tracer_provider(exporter) if exporter is not None else None
        return cls(tracer_provider=provider, langsmith=langsmith_enabled(settings), env=settings)

    def sinks(self, tracer: BaseCallbackHandler | None) -> list[FactSink]:
        """The sinks each finished invocation goes to."""
        sinks: list[FactSink] = [self.metrics, log_turn]
        if self.tracer_provider is not None:
            sinks.append(SpanSink(self.tracer_provider.get_tracer(INSTRUMENTATION)))
        if tracer is not None:
            sinks.append(LangSmithEnricher(tracer))
        return [*sinks, *self.extra_sinks]

    def callbacks(self, keep: bool = False) -> list[BaseCallbackHandler]:
        """Callback handlers for one run: the run-tree recorder, then the LangSmith tracer."""
        tracer = make_langsmith_tracer(self.env) if self.langsmith else None
        sinks = self.sinks(tracer)

        def deliver(trace: TurnTrace) -> None:
            facts = turn_facts(trace)
            for sink in sinks:
                try:
                    sink(trace, facts)
                except Exception:  # observability must never break a turn
                    log.exception("observability sink %r failed", sink)

        handlers: list[BaseCallbackHandler] = [RunTreeRecorder([deliver], keep=keep)]
        if tracer is not None:
            handlers.append(tracer)
        return handlers

    def run_config(
        self,
        thread_id: str,
        turn: int | None = None,
        metadata: Mapping[str, Any] | None = None,
        tags: Sequence[str] = (),
    ) -> dict[str, Any]:
        """Extra LangGraph run config: callbacks, run name, metadata and tags for the run.

        Merge it into the thread's config: ``{**session_config, **obs.run_config(...)}``.
        """
        meta: dict[str, Any] = {"thread_id": thread_id, "app": "switchboard"}
        if turn is not None:
            meta["turn"] = turn
        meta.update(metadata or {})
        return {
            "callbacks": self.callbacks(),
            "run_name": "turn",
            "metadata": meta,
            "tags": ["switchboard", *tags],
        }

    @contextmanager
    def scope(self, thread_id: str, turn: int | None) -> Iterator[None]:
        """Run a turn inside: logs carry thread and turn; LangSmith stays off without a key."""
        with ExitStack() as stack:
            stack.enter_context(turn_scope(thread_id, turn))
            if not self.langsmith:
                stack.enter_context(tracing_context(enabled=False))
            yield

    def shutdown(self) -> None:
        """Flush and stop span export (call once at process exit)."""
        if self.tracer_provider is not None:
            self.tracer_provider.shutdown()
