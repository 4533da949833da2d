"""Conversation-level facts of one turn, read from its run tree: intent, agent, tokens, verdicts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from app.observability.runtree import RunRecord, TurnTrace

RETRIEVAL_TOOLS = frozenset({"search_kb"})
"""Tools whose results are knowledge-base passages."""
HANDOFF_TOOLS = frozenset({"transfer_to_human", "transfer_to_human_agents"})
"""Tools that hand the conversation to a person."""
STACK_EVENT_PREFIXES = ("push", "pop", "resume", "defer", "ask_first")
"""Ledger events that describe a dialog-stack change."""


@dataclass
class TurnFacts:
    """What a turn did, for span attributes, run metadata, metrics and logs."""

    thread: str | None = None
    turn: int | None = None
    intent: str | None = None
    act: str | None = None
    agent: str | None = None
    phase: str | None = None
    classifier_path: str | None = None
    stack_depth: int | None = None
    sections: dict[str, int] = field(default_factory=dict)
    """Prompt tokens per section of the turn's last agent call (from the ledger)."""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    model_calls: int = 0
    tools: list[str] = field(default_factory=list)
    guard: dict[str, str] = field(default_factory=dict)
    events: list[str] = field(default_factory=list)
    stack_events: list[str] = field(default_factory=list)
    folded: int = 0
    retrieval_calls: int = 0
    retrieval_hits: int = 0
    handoff: bool = False
    interrupted: bool = False
    resumed: bool = False
    """This invocation answered a confirmation of an earlier invocation of the same turn."""
    error: str | None = None
    latency_s: float = 0.0
    node_latency_s: dict[str, float] = field(default_factory=dict)
    """Total time per node over the invocation."""
    node_runs: list[tuple[str, float]] = field(default_factory=list)
    """Each node run in order, with its duration in seconds."""

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)

    def metadata(self) -> dict[str, Any]:
        """Run metadata for LangSmith: the scalar facts that are known."""
        keys = ("thread", "turn", "intent", "act", "agent", "phase", "classifier_path")
        meta: dict[str, Any] = {k: getattr(self, k) for k in keys if getattr(self, k) is not None}
        if self.stack_depth is not None:
            meta["stack_depth"] = self.stack_depth
        meta["model_calls"] = self.model_calls
        if self.sections:
            meta["prompt_tokens_by_section"] = dict(self.sections)
        if self.guard:
            meta["guard"] = dict(self.guard)
        if self.stack_events:
            meta["stack_events"] = list(self.stack_events)
        return meta

    def tags(self) -> list[str]:
        """Run tags: ``intent:…``, ``agent:…``, ``path:…`` and markers for handoff/interrupt."""
        tags = [
            f"{key}:{value}"
            for key, value in (
                ("intent", self.intent),
                ("agent", self.agent),
                ("phase", self.phase),
                ("path", self.classifier_path),
            )
            if value
        ]
        if self.handoff:
            tags.append("handoff")
        if self.interrupted:
            tags.append("awaiting-confirmation")
        return tags


def _merge_ledger(facts: TurnFacts, entry: Mapping[str, Any]) -> None:
    """Fold one ledger entry (a node's partial entry, or the turn's final one) into ``facts``."""
    for key in ("intent", "act", "agent", "classifier_path"):
        if entry.get(key):
            setattr(facts, key, str(entry[key]))
    if isinstance(entry.get("stack_depth"), int):
        facts.stack_depth = int(entry["stack_depth"])
    if isinstance(entry.get("sections"), Mapping) and entry["sections"]:
        facts.sections = {str(k): int(v) for k, v in entry["sections"].items()}
    if isinstance(entry.get("guard"), Mapping):
        facts.guard.update({str(k): str(v) for k, v in entry["guard"].items()})
    if isinstance(entry.get("folded"), int):
        facts.folded = max(facts.folded, int(entry["folded"]))
    for event in entry.get("events") or []:
        if str(event) not in facts.events:
            facts.events.append(str(event))


def _apply_update(facts: TurnFacts, update: Mapping[str, Any]) -> None:
    """Fold one node's state update into ``facts``."""
    if isinstance(update.get("turn"), int):
        facts.turn = int(update["turn"])
    for key in ("intent", "act", "agent", "phase"):
        if isinstance(update.get(key), str):
            setattr(facts, key, update[key])
    if isinstance(update.get("stack"), list):
        facts.stack_depth = len(update["stack"])
    ledger = update.get("ledger")
    entries: list[Any] = [ledger] if isinstance(ledger, Mapping) else []
    if isinstance(ledger, list):
        entries = ledger
    for entry in entries:
        if isinstance(entry, Mapping) and entry.get("turn") in (None, facts.turn):
            _merge_ledger(facts, entry)


def _apply_final_state(facts: TurnFacts, state: Mapping[str, Any]) -> None:
    """Fold the graph's final state (the root run's output) into ``facts``."""
    if isinstance(state.get("turn"), int):
        facts.turn = int(state["turn"])
    for key in ("intent", "act", "agent", "phase"):
        if isinstance(state.get(key), str):
            setattr(facts, key, state[key])
    if isinstance(state.get("stack"), list):
        facts.stack_depth = len(state["stack"])
    ledger = state.get("ledger")
    if isinstance(ledger, list) and ledger and isinstance(ledger[-1], Mapping):
        last = ledger[-1]
        if last.get("turn") == facts.turn:
            _merge_ledger(facts, last)


def _is_hit(run: RunRecord) -> int:
    """Passages a retrieval run returned (a tool result counts one per ``[source]`` line)."""
    if run.error or run.outputs is None:
        return 0
    if isinstance(run.outputs, list):
        return len(run.outputs)
    text = str(run.outputs).strip()
    if not text or text.lower().startswith(("no ", "nothing", "error")):
        return 0
    lines = [line for line in text.splitlines() if line.strip().startswith("[")]
    return max(1, len(lines))


def turn_facts(trace: TurnTrace) -> TurnFacts:
    """Everything the observability sinks report about the turn in ``trace``."""
    root = trace.root
    facts = TurnFacts(
        thread=root.metadata.get("thread_id"),
        turn=root.metadata.get("turn") if isinstance(root.metadata.get("turn"), int) else None,
        latency_s=root.duration_s,
        interrupted=trace.interrupted,
        resumed=trace.resumed,
        error=root.error,
    )
    for node in trace.node_runs():
        facts.node_latency_s[node.name] = facts.node_latency_s.get(node.name, 0.0) + node.duration_s
        facts.node_runs.append((node.name, node.duration_s))
        if isinstance(node.outputs, Mapping):
            _apply_update(facts, node.outputs)
    if isinstance(root.outputs, Mapping):
        _apply_final_state(facts, root.outputs)
    for run in trace.runs():
        if run.is_model_call:
            facts.model_calls += 1
            facts.prompt_tokens += run.usage.get("input_tokens", 0)
            facts.completion_tokens += run.usage.get("output_tokens", 0)
        elif run.kind == "tool":
            facts.tools.append(run.name)
            if run.name in RETRIEVAL_TOOLS:
                facts.retrieval_calls += 1
                facts.retrieval_hits += _is_hit(run)
            if run.name in HANDOFF_TOOLS and not run.error and not run.interrupted:
                facts.handoff = True
        elif run.kind == "retriever":
            facts.retrieval_calls += 1
            facts.retrieval_hits += _is_hit(run)
    facts.handoff = facts.handoff or facts.phase == "handed_off"
    facts.stack_events = [e for e in facts.events if e.lower().startswith(STACK_EVENT_PREFIXES)]
    return facts
