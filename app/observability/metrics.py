"""Turn metrics in an in-process Prometheus registry, plus a summary for ``--stats``."""

from __future__ import annotations

import statistics
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from app.observability.runtree import TurnTrace
from app.observability.turnfacts import TurnFacts

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 40, 80)
CALL_BUCKETS = (0, 1, 2, 3, 4, 5, 6, 8, 10, 15)
TOKEN_BUCKETS = (100, 250, 500, 1000, 1500, 2000, 3000, 4000, 6000, 8000, 16000)
KEEP_TURNS = 10_000
"""Invocations kept for the ``--stats`` percentiles (older ones only stay in the counters)."""


@dataclass
class _Sample:
    latency_s: float
    model_calls: int
    prompt_tokens: int
    nodes: dict[str, float] = field(default_factory=dict)
    sections: dict[str, int] = field(default_factory=dict)


def _pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


class SupportMetrics:
    """Counters and histograms of turns, nodes, model calls, tokens, retrieval and handoffs.

    One instance per process or per server app (the registry is its own, never the global
    one). Use it as a turn sink: ``metrics(trace, facts)``.
    """

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.invocations = Counter(
            "switchboard_turns",
            "Graph invocations (a new message, or the answer to a confirmation).",
            ["kind", "intent", "agent"],
            registry=r,
        )
        self.turn_latency = Histogram(
            "switchboard_turn_latency_seconds",
            "Wall-clock time per graph invocation.",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.node_latency = Histogram(
            "switchboard_node_latency_seconds",
            "Wall-clock time per graph node run.",
            ["node"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.model_calls = Histogram(
            "switchboard_model_calls_per_turn",
            "Model calls per graph invocation.",
            buckets=CALL_BUCKETS,
            registry=r,
        )
        self.prompt_tokens = Histogram(
            "switchboard_prompt_tokens_per_turn",
            "Prompt tokens sent to models per graph invocation.",
            buckets=TOKEN_BUCKETS,
            registry=r,
        )
        self.section_tokens = Counter(
            "switchboard_prompt_section_tokens",
            "Prompt tokens per section of the agent's last call of each turn.",
            ["section"],
            registry=r,
        )
        self.classifier = Counter(
            "switchboard_classifier_decisions",
            "Intent decisions by the path that made them (local, llm, rule, carry).",
            ["path"],
            registry=r,
        )
        self.tool_calls = Counter(
            "switchboard_tool_calls", "Tool runs by tool name.", ["tool"], registry=r
        )
        self.retrieval_calls = Counter(
            "switchboard_retrieval_calls", "Knowledge-base searches.", registry=r
        )
        self.retrieval_hits = Counter(
            "switchboard_retrieval_hits",
            "Passages returned by knowledge-base searches.",
            registry=r,
        )
        self.handoffs = Counter("switchboard_handoffs", "Hand-offs to a human agent.", registry=r)
        self.confirmations = Counter(
            "switchboard_confirmations_requested", "Turns paused for a confirmation.", registry=r
        )
        self.errors = Counter("switchboard_turn_errors", "Invocations that failed.", registry=r)
        self._samples: deque[_Sample] = deque(maxlen=KEEP_TURNS)
        self._lock = threading.Lock()

    def __call__(self, trace: TurnTrace, facts: TurnFacts) -> None:
        """Record one finished invocation."""
        self.observe(facts)

    def observe(self, facts: TurnFacts) -> None:
        """Record the facts of one finished invocation."""
        kind = "resume" if facts.resumed else "message"
        self.invocations.labels(kind, facts.intent or "none", facts.agent or "none").inc()
        self.turn_latency.observe(facts.latency_s)
        for node, seconds in facts.node_runs:
            self.node_latency.labels(node).observe(seconds)
        self.model_calls.observe(facts.model_calls)
        self.prompt_tokens.observe(facts.prompt_tokens)
        for section, tokens in facts.sections.items():
            self.section_tokens.labels(section).inc(tokens)
        if facts.classifier_path and not facts.resumed:
            self.classifier.labels(facts.classifier_path).inc()
        for tool in facts.tools:
            self.tool_calls.labels(tool).inc()
        self.retrieval_calls.inc(facts.retrieval_calls)
        self.retrieval_hits.inc(facts.retrieval_hits)
        if facts.handoff:
            self.handoffs.inc()
        if facts.interrupted:
            self.confirmations.inc()
        if facts.error:
            self.errors.inc()
        sample = _Sample(
            latency_s=facts.latency_s,
            model_calls=facts.model_calls,
            prompt_tokens=facts.prompt_tokens,
            nodes=dict(facts.node_latency_s),
            sections=dict(facts.sections),
        )
        with self._lock:
            self._samples.append(sample)

    def prometheus_text(self) -> bytes:
        """The registry in the Prometheus text exposition format."""
        return generate_latest(self.registry)

    def summary(self) -> dict[str, Any]:
        """Aggregates for ``--stats``: latency percentiles, calls and tokens per invocation."""
        with self._lock:
            samples = list(self._samples)
        latencies = [s.latency_s for s in samples]
        nodes: dict[str, list[float]] = {}
        sections: dict[str, list[int]] = {}
        for sample in samples:
            for node, seconds in sample.nodes.items():
                nodes.setdefault(node, []).append(seconds)
            for section, tokens in sample.sections.items():
                sections.setdefault(section, []).append(tokens)
        return {
            "invocations": len(samples),
            "latency_ms": {
                "p50": round(_pct(latencies, 0.5) * 1000, 2),
                "p95": round(_pct(latencies, 0.95) * 1000, 2),
                "max": round(max(latencies, default=0.0) * 1000, 2),
            },
            "node_latency_ms_p50": {
                node: round(_pct(values, 0.5) * 1000, 2) for node, values in sorted(nodes.items())
            },
            "model_calls_per_turn": round(
                statistics.fmean([s.model_calls for s in samples]) if samples else 0.0, 3
            ),
            "prompt_tokens_per_turn": round(
                statistics.fmean([s.prompt_tokens for s in samples]) if samples else 0.0, 1
            ),
            "section_tokens_mean": {
                section: round(statistics.fmean(values), 1)
                for section, values in sorted(sections.items())
            },
            "classifier_paths": _label_counts(self.classifier),
            "tool_calls": _label_counts(self.tool_calls),
            "retrieval_hits": _total(self.retrieval_hits),
            "handoffs": _total(self.handoffs),
        }


def _total(counter: Counter) -> int:
    """Value of an unlabelled counter."""
    return int(
        sum(
            sample.value
            for metric in counter.collect()
            for sample in metric.samples
            if sample.name.endswith("_total")
        )
    )


def _label_counts(counter: Counter) -> dict[str, int]:
    """Values of a one-label counter, by label value."""
    counts: dict[str, int] = {}
    for metric in counter.collect():
        for sample in metric.samples:
            if sample.name.endswith("_total") and sample.labels:
                counts[next(iter(sample.labels.values()))] = int(sample.value)
    return dict(sorted(counts.items()))


def format_stats(summary: dict[str, Any]) -> str:
    """``summary()`` as a short human-readable block for the CLI."""
    lines = [
        f"invocations: {summary['invocations']}",
        "latency per invocation: p50 {p50} ms, p95 {p95} ms, max {max} ms".format(
            **summary["latency_ms"]
        ),
        f"model calls per invocation: {summary['model_calls_per_turn']}",
        f"prompt tokens per invocation: {summary['prompt_tokens_per_turn']}",
    ]
    if summary["node_latency_ms_p50"]:
        parts = ", ".join(f"{k} {v}" for k, v in summary["node_latency_ms_p50"].items())
        lines.append(f"node latency p50 (ms): {parts}")
    if summary["section_tokens_mean"]:
        parts = ", ".join(f"{k} {v}" for k, v in summary["section_tokens_mean"].items())
        lines.append(f"prompt tokens per section (mean): {parts}")
    if summary["classifier_paths"]:
        parts = ", ".join(f"{k} {v}" for k, v in summary["classifier_paths"].items())
        lines.append(f"classifier path: {parts}")
    if summary["tool_calls"]:
        parts = ", ".join(f"{k} {v}" for k, v in summary["tool_calls"].items())
        lines.append(f"tool calls: {parts}")
    lines.append(f"retrieval hits: {summary['retrieval_hits']}, handoffs: {summary['handoffs']}")
    return "\n".join(lines)


PROMETHEUS_CONTENT_TYPE = CONTENT_TYPE_LATEST
"""Content type of ``prometheus_text()``."""
