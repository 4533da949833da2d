"""Run scenarios through the real support graph: fresh store per scenario, checks, timings."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, cast

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.memory import InMemorySaver

from agents.context import Context
from agents.input_guard import InvalidMessage
from app.evaluation.checks import TurnRecord, check_end, check_forbidden, check_turn
from app.evaluation.scenarios import Scenario, Turn
from app.observability.runtree import TurnTrace
from app.observability.setup import Observability
from app.observability.turnfacts import TurnFacts
from app.session import Session
from graphs.support import compile_graph
from tools.store import open_store
from tools.write_flow import parse_answer_id

GraphFactory = Callable[[Any], Any]
"""Compiles a graph with the given checkpointer (default: ``graphs.support.compile_graph``)."""


@dataclass
class ScenarioRun:
    """One trial of one scenario."""

    scenario: str
    suite: str
    trial: int
    passed: bool
    failures: list[str]
    turns: list[TurnRecord]
    duration_s: float
    covers: list[str] = field(default_factory=list)

    @property
    def model_calls(self) -> int:
        """Model calls over the whole conversation."""
        return sum(t.model_calls for t in self.turns)

    @property
    def prompt_tokens(self) -> int:
        """Prompt tokens over the whole conversation."""
        return sum(t.prompt_tokens for t in self.turns)

    @property
    def user_turns(self) -> int:
        """User messages (confirmation answers belong to the turn they confirm)."""
        return sum(1 for t in self.turns if t.kind == "user")

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        data = asdict(self)
        data.update(
            model_calls=self.model_calls,
            prompt_tokens=self.prompt_tokens,
            user_turns=self.user_turns,
        )
        return data


class ObservedSession(Session):
    """A session whose graph runs carry extra run config (callbacks, metadata, tags)."""

    extra_config: dict[str, Any] | None = None

    @property
    def config(self) -> RunnableConfig:
        base = super().config
        if not self.extra_config:
            return base
        metadata = {**self.extra_config.get("metadata", {}), **base.get("metadata", {})}
        return cast(RunnableConfig, {**base, **self.extra_config, "metadata": metadata})

    @contextmanager
    def observed(self, extra: dict[str, Any]) -> Iterator[None]:
        """Use ``extra`` for the graph runs inside the block."""
        self.extra_config = extra
        try:
            yield
        finally:
            self.extra_config = None


class FactCollector:
    """A turn sink that keeps the facts of each graph invocation until they are taken."""

    def __init__(self) -> None:
        self._facts: list[TurnFacts] = []

    def __call__(self, trace: TurnTrace, facts: TurnFacts) -> None:
        self._facts.append(facts)

    def take(self) -> list[TurnFacts]:
        """The facts collected since the last call."""
        taken, self._facts = self._facts, []
        return taken


@contextmanager
def isolated_stores(workdir: Path | None = None) -> Iterator[str]:
    """A private telco store and transcript store for an evaluation run; yields the store URL.

    Model files and the knowledge-base index stay in the normal data directory (they are
    read-only here and expensive to rebuild).
    """
    with tempfile.TemporaryDirectory(prefix="switchboard-eval-", dir=workdir) as folder:
        previous = os.environ.get("SWITCHBOARD_TRANSCRIPT_URL")
        os.environ["SWITCHBOARD_TRANSCRIPT_URL"] = f"sqlite:///{folder}/transcripts.sqlite"
        try:
            yield f"sqlite:///{folder}/telco.sqlite3"
        finally:
            if previous is None:
                os.environ.pop("SWITCHBOARD_TRANSCRIPT_URL", None)
            else:
                os.environ["SWITCHBOARD_TRANSCRIPT_URL"] = previous


def default_graph_factory(checkpointer: Any) -> Any:
    """The support graph."""
    return compile_graph(checkpointer)


class ScenarioRunner:
    """Runs scenarios against one model with a fresh telco store per scenario."""

    def __init__(
        self,
        model: str,
        database_url: str,
        graph_factory: GraphFactory = default_graph_factory,
        observability: Observability | None = None,
    ) -> None:
        self.model = model
        self.database_url = database_url
        self.graph_factory = graph_factory
        self.collector = FactCollector()
        base = observability or Observability.from_env()
        self.observability = Observability(
            metrics=base.metrics,
            tracer_provider=base.tracer_provider,
            langsmith=base.langsmith,
            env=base.env,
            extra_sinks=[*base.extra_sinks, self.collector],
        )

    def _session(self, scenario: Scenario, thread_id: str) -> ObservedSession:
        settings: dict[str, Any] = {"customer_id": scenario.customer, "model": self.model}
        settings.update(scenario.context)
        context = Context(database_url=self.database_url, **settings)
        graph = self.graph_factory(InMemorySaver())
        return ObservedSession(graph, thread_id, context, metadata={"scenario": scenario.name})

    def _step(self, session: ObservedSession, turn: Turn, index: int) -> TurnRecord:
        kind = "user" if turn.user is not None else "confirm"
        record = TurnRecord(index=index, kind=kind, text=turn.text)
        if turn.confirm is not None and session.pending_interrupt() is None:
            record.error = "no confirmation was pending to answer"
            return record
        number = (session.current().turn or 0) + (1 if turn.user is not None else 0)
        obs = self.observability
        extra = obs.run_config(session.thread_id, number, metadata=session.metadata)
        started = time.perf_counter()
        try:
            with obs.scope(session.thread_id, number), session.observed(extra):
                if turn.user is not None:
                    result = session.send(turn.user)
                else:
                    result = session.answer(turn.confirm)
        except InvalidMessage as error:
            record.error = str(error)
            self.collector.take()
            return record
        record.latency_s = time.perf_counter() - started
        invocations = self.collector.take()
        record.model_calls = sum(f.model_calls for f in invocations)
        record.prompt_tokens = sum(f.prompt_tokens for f in invocations)
        ledger = result.ledger or {}
        record.intent, record.act, record.agent = result.intent, result.act, result.agent
        record.phase = result.phase
        record.classifier_path = ledger.get("classifier_path")
        record.folded = int(ledger.get("folded") or 0)
        record.tool_calls = [  # the engine's answer calls carry a yes/no, not a model's choice
            {"name": c["name"], "args": c["args"]}
            for c in result.tool_calls
            if parse_answer_id(str(c["id"])) is None
        ]
        record.tool_results = list(result.tool_results)
        record.reply = result.reply
        record.interrupt = result.interrupt
        record.stack_depth = len(result.stack)
        return record

    def run(self, scenario: Scenario, trial: int = 0) -> ScenarioRun:
        """Run ``scenario`` once from a freshly seeded store and check every expectation."""
        store = open_store(self.database_url)
        store.reset_to_seed()
        started = time.perf_counter()
        session = self._session(scenario, f"eval-{scenario.name}-{trial}")
        records: list[TurnRecord] = []
        failures: list[str] = []
        for index, turn in enumerate(scenario.turns):
            try:
                record = self._step(session, turn, index)
            except Exception as error:  # a crash fails the scenario, never the whole run
                record = TurnRecord(index=index, kind="user", text=turn.text)
                record.error = f"crash: {type(error).__name__}: {error}"
                record.failures.append(record.error)
                records.append(record)
                failures.append(f"turn {index + 1} ({turn.text[:40]!r}): {record.error}")
                break
            record.failures = check_turn(record, turn.expect)
            failures += [f"turn {index + 1} ({turn.text[:40]!r}): {f}" for f in record.failures]
            records.append(record)
        else:
            state = session.graph.get_state(session.config).values
            failures += [f"end: {f}" for f in check_end(records, state, store, scenario.end)]
        failures += [f"forbidden: {f}" for f in check_forbidden(records, scenario.forbid)]
        return ScenarioRun(
            scenario=scenario.name,
            suite=scenario.suite,
            trial=trial,
            passed=not failures,
            failures=failures,
            turns=records,
            duration_s=time.perf_counter() - started,
            covers=list(scenario.covers),
        )
