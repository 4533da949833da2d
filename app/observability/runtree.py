"""Capture the LangChain run tree of each turn (graph → nodes → tools, model calls) in memory."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import BaseMessage
from langchain_core.outputs import LLMResult

log = logging.getLogger(__name__)

RunKind = Literal["chain", "tool", "llm", "retriever"]

STRUCTURED_OUTPUT_RUNS = frozenset({"ScriptedStructuredOutput"})
"""Chain runs that stand for one model call although no chat-model run is emitted for them."""

INTERRUPT_ERRORS = frozenset({"GraphInterrupt", "NodeInterrupt"})
"""Errors that mean "paused for the user", not "failed"."""


@dataclass
class RunRecord:
    """One run of the tree: the graph, a node, a router, a tool, a model call or a retrieval."""

    run_id: str
    parent_id: str | None
    kind: RunKind
    name: str
    metadata: dict[str, Any]
    tags: list[str]
    start_ns: int
    end_ns: int | None = None
    inputs: Any = None
    """Tool arguments, or the number of prompt messages of a model call (chains keep none)."""
    outputs: Any = None
    """A node's state update, a tool's result, a retriever's documents (model calls: none)."""
    usage: dict[str, int] = field(default_factory=dict)
    """Model calls: ``input_tokens``, ``output_tokens``."""
    model: str = ""
    error: str | None = None
    interrupted: bool = False
    children: list[RunRecord] = field(default_factory=list)

    @property
    def node(self) -> str | None:
        """The LangGraph node this run belongs to (``None`` for the graph run itself)."""
        value = self.metadata.get("langgraph_node")
        return str(value) if value is not None else None

    @property
    def duration_s(self) -> float:
        """Wall-clock duration (0 while the run is still open)."""
        return max(0, (self.end_ns or self.start_ns) - self.start_ns) / 1e9

    @property
    def is_model_call(self) -> bool:
        """A call to a language model (chat model run or a structured-output stand-in)."""
        return self.kind == "llm" or (self.kind == "chain" and self.name in STRUCTURED_OUTPUT_RUNS)

    def walk(self) -> Iterator[RunRecord]:
        """This run and all its descendants, depth first, children in start order."""
        yield self
        for child in sorted(self.children, key=lambda r: r.start_ns):
            yield from child.walk()


@dataclass
class TurnTrace:
    """The finished run tree of one graph invocation (one turn, or one resume of it)."""

    root: RunRecord

    def runs(self) -> list[RunRecord]:
        """Every run, depth first."""
        return list(self.root.walk())

    def node_runs(self) -> list[RunRecord]:
        """The graph's node runs, in execution order."""
        return [
            child
            for child in sorted(self.root.children, key=lambda r: r.start_ns)
            if child.kind == "chain" and child.node == child.name
        ]

    def node_names(self) -> list[str]:
        """Names of the nodes that ran, in order."""
        return [run.name for run in self.node_runs()]

    def tool_runs(self) -> list[RunRecord]:
        """Tool runs, in order (a paused write tool shows ``interrupted``)."""
        return [run for run in self.runs() if run.kind == "tool"]

    def model_runs(self) -> list[RunRecord]:
        """Model calls, in order."""
        return [run for run in self.runs() if run.is_model_call]

    @property
    def resumed(self) -> bool:
        """Whether this invocation resumed a paused turn (an answer to a confirmation)."""
        return self.root.inputs == "resume"

    @property
    def interrupted(self) -> bool:
        """Whether the invocation ended paused on an interrupt (a confirmation)."""
        return any(run.interrupted for run in self.runs())


TurnSink = Callable[[TurnTrace], None]
"""Called with each finished turn trace (span export, metrics, logs)."""


def _uuid(value: UUID | None) -> str | None:
    return str(value) if value is not None else None


def _usage_of(response: LLMResult) -> tuple[dict[str, int], str]:
    """Token usage and model name of a model response."""
    usage: dict[str, int] = {}
    model = ""
    for batch in response.generations:
        for generation in batch:
            message = getattr(generation, "message", None)
            meta = getattr(message, "usage_metadata", None) or {}
            for key in ("input_tokens", "output_tokens"):
                usage[key] = usage.get(key, 0) + int(meta.get(key, 0) or 0)
            info = getattr(message, "response_metadata", None) or {}
            model = model or str(info.get("model_name") or info.get("model") or "")
    if not usage.get("input_tokens") and response.llm_output:
        token_usage = response.llm_output.get("token_usage") or {}
        usage["input_tokens"] = int(token_usage.get("prompt_tokens", 0) or 0)
        usage["output_tokens"] = int(token_usage.get("completion_tokens", 0) or 0)
    return usage, model


class RunTreeRecorder(BaseCallbackHandler):
    """A callback handler that rebuilds each root run's tree and hands it to the sinks.

    Every graph invocation (a turn, or the resume of a paused turn) is one root run. When
    it ends, its ``TurnTrace`` goes to each sink; a failing sink is logged and skipped.
    """

    run_inline = True

    def __init__(self, sinks: Sequence[TurnSink] = (), keep: bool = False) -> None:
        super().__init__()
        self.sinks = list(sinks)
        self.keep = keep
        self.traces: list[TurnTrace] = []
        """Finished traces, oldest first (only when ``keep``)."""
        self._runs: dict[str, RunRecord] = {}
        self._lock = threading.Lock()

    # -- bookkeeping ---------------------------------------------------------------------

    def _open(
        self,
        kind: RunKind,
        name: str,
        run_id: UUID,
        parent_run_id: UUID | None,
        tags: list[str] | None,
        metadata: dict[str, Any] | None,
        inputs: Any = None,
    ) -> None:
        record = RunRecord(
            run_id=str(run_id),
            parent_id=_uuid(parent_run_id),
            kind=kind,
            name=name,
            metadata=dict(metadata or {}),
            tags=list(tags or []),
            start_ns=time.time_ns(),
            inputs=inputs,
        )
        with self._lock:
            self._runs[record.run_id] = record
            parent = self._runs.get(record.parent_id or "")
            if parent is not None:
                parent.children.append(record)

    def _close(self, run_id: UUID, outputs: Any = None, error: BaseException | None = None) -> None:
        with self._lock:
            record = self._runs.get(str(run_id))
            if record is None:
                return
            record.end_ns = time.time_ns()
            record.outputs = outputs
            if error is not None:
                kind = type(error).__name__
                record.interrupted = kind in INTERRUPT_ERRORS
                record.error = None if record.interrupted else f"{kind}: {error}"
            finished = record.parent_id is None
            if finished:
                for run in record.walk():
                    self._runs.pop(run.run_id, None)
        if finished:
            self._finish(TurnTrace(record))

    def _finish(self, trace: TurnTrace) -> None:
        if self.keep:
            self.traces.append(trace)
        for sink in self.sinks:
            try:
                sink(trace)
            except Exception:  # observability must never break a turn
                log.exception("turn trace sink %r failed", sink)

    # -- chains (graph, nodes, routers) --------------------------------------------------

    def on_chain_start(
        self,
        serialized: dict[str, Any] | None,
        inputs: dict[str, Any] | Any,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        name = kwargs.get("name") or (serialized or {}).get("name") or "chain"
        # The root keeps what started it: a new message, or a resume (``Command``).
        started_by = None
        if parent_run_id is None:
            started_by = "resume" if type(inputs).__name__ == "Command" else "message"
        self._open("chain", str(name), run_id, parent_run_id, tags, metadata, inputs=started_by)

    def on_chain_end(self, outputs: Any, *, run_id: UUID, **kwargs: Any) -> None:
        self._close(run_id, outputs=outputs)

    def on_chain_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self._close(run_id, error=error)

    # -- tools ---------------------------------------------------------------------------

    def on_tool_start(
        self,
        serialized: dict[str, Any] | None,
        input_str: str,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        inputs: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        name = kwargs.get("name") or (serialized or {}).get("name") or "tool"
        meta = dict(metadata or {})
        if kwargs.get("tool_call_id"):
            meta["tool_call_id"] = kwargs["tool_call_id"]
        args = dict(inputs) if isinstance(inputs, dict) else input_str
        self._open("tool", str(name), run_id, parent_run_id, tags, meta, inputs=args)

    def on_tool_end(self, output: Any, *, run_id: UUID, **kwargs: Any) -> None:
        self._close(run_id, outputs=getattr(output, "content", output))

    def on_tool_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self._close(run_id, error=error)

    # -- model calls ---------------------------------------------------------------------

    def on_chat_model_start(
        self,
        serialized: dict[str, Any] | None,
        messages: list[list[BaseMessage]],
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        name = kwargs.get("name") or (serialized or {}).get("name") or "chat_model"
        count = sum(len(batch) for batch in messages)
        self._open("llm", str(name), run_id, parent_run_id, tags, metadata, inputs=count)

    def on_llm_start(
        self,
        serialized: dict[str, Any] | None,
        prompts: list[str],
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        name = kwargs.get("name") or (serialized or {}).get("name") or "llm"
        self._open("llm", str(name), run_id, parent_run_id, tags, metadata, inputs=len(prompts))

    def on_llm_end(self, response: LLMResult, *, run_id: UUID, **kwargs: Any) -> None:
        usage, model = _usage_of(response)
        with self._lock:
            record = self._runs.get(str(run_id))
            if record is not None:
                record.usage = usage
                record.model = model or str(record.metadata.get("ls_model_name", ""))
        self._close(run_id)

    def on_llm_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self._close(run_id, error=error)

    # -- retrievers ----------------------------------------------------------------------

    def on_retriever_start(
        self,
        serialized: dict[str, Any] | None,
        query: str,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        name = kwargs.get("name") or (serialized or {}).get("name") or "retriever"
        self._open("retriever", str(name), run_id, parent_run_id, tags, metadata, inputs=query)

    def on_retriever_end(self, documents: Sequence[Any], *, run_id: UUID, **kwargs: Any) -> None:
        self._close(run_id, outputs=list(documents))

    def on_retriever_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self._close(run_id, error=error)
