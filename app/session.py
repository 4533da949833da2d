"""Run turns of one thread: send a message or answer a confirmation, and report what happened."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, cast

from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.runnables import RunnableConfig
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Command, Durability, StreamMode

from agents.context import Context
from agents.input_guard import check_message
from app.token_relay import TokenRelay

if TYPE_CHECKING:
    from app.observability.setup import Observability
from conversation.state import TURN_DURABILITY

DURABILITIES = ("exit", "async", "sync")


def turn_durability() -> Durability:
    """How often a turn checkpoints: ``$SWITCHBOARD_DURABILITY``, else once per turn (``exit``).

    ``exit`` persists when the turn ends, is interrupted (every write first asks for a
    confirmation, so a write's tool-call id is always checkpointed before it runs) or fails;
    ``async``/``sync`` persist after every step — several full copies of the state per turn.
    """
    value = os.environ.get("SWITCHBOARD_DURABILITY", "").strip() or TURN_DURABILITY
    if value not in DURABILITIES:
        raise ValueError(
            f"SWITCHBOARD_DURABILITY={value!r} is not valid; use one of {', '.join(DURABILITIES)}."
        )
    return value  # type: ignore[return-value]


TokenSink = Callable[[str, str], None]
"""Called with (agent, text chunk) as reply tokens stream."""
UpdateSink = Callable[[str, Any], None]
"""Called with (node, update) after each graph step; raising stops the turn at that step."""


class NothingToAnswer(RuntimeError):
    """An answer arrived for a thread that is not paused waiting for one."""


@dataclass
class TurnResult:
    """What one turn did, as the CLI's ``--json`` mode and the HTTP API report it."""

    thread: str
    turn: int
    intent: str | None
    act: str | None
    agent: str | None
    phase: str | None
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    tool_results: list[dict[str, Any]] = field(default_factory=list)
    reply: str = ""
    interrupt: dict[str, Any] | None = None
    ledger: dict[str, Any] | None = None
    stack: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)


class Session:
    """One thread of one graph, with its run context."""

    def __init__(
        self,
        graph: CompiledStateGraph[Any, Any, Any, Any],
        thread_id: str,
        context: Context,
        metadata: dict[str, Any] | None = None,
        observability: Observability | None = None,
    ) -> None:
        self.graph = graph
        self.thread_id = thread_id
        self.context = context
        self.metadata = dict(metadata or {})
        """Run metadata, also stored in every checkpoint the run writes."""
        self.observability = observability
        """Tracing, metrics and turn logs for the runs (none: plain runs)."""

    @property
    def config(self) -> RunnableConfig:
        """The LangGraph run config for this thread."""
        config: RunnableConfig = {"configurable": {"thread_id": self.thread_id}}
        if self.metadata:
            config["metadata"] = dict(self.metadata)
        return config

    def pending_interrupt(self, snapshot: Any = None) -> dict[str, Any] | None:
        """The confirmation the thread is waiting for, if any (from ``snapshot`` when given)."""
        snapshot = snapshot if snapshot is not None else self.graph.get_state(self.config)
        return _interrupt_value([item for task in snapshot.tasks for item in task.interrupts])

    def send(
        self,
        text: str,
        on_token: TokenSink | None = None,
        on_update: UpdateSink | None = None,
        message_id: str | None = None,
        snapshot: Any = None,
    ) -> TurnResult:
        """Run a turn for the user message ``text`` (validated first; nothing stored if bad).

        The message goes to the graph as a new input, whatever the thread waits for: the
        graph decides what it means (an answer to a pending confirmation, a correction, a
        digression...). ``snapshot`` is the thread's current state when the caller has just
        read it (saves a read).
        """
        cleaned = check_message(text, self.context.max_message_chars)
        values = snapshot.values if snapshot is not None else None
        message = HumanMessage(content=cleaned, id=message_id)
        return self._run({"messages": [message]}, on_token, on_update, values)

    def answer(
        self,
        value: Any,
        on_token: TokenSink | None = None,
        on_update: UpdateSink | None = None,
        snapshot: Any = None,
    ) -> TurnResult:
        """Resume the paused thread with ``value`` (``True``/``False``, or the customer's words);
        the graph takes it as the customer's next message. ``snapshot`` is the thread's current
        state when the caller has just read it. Raises ``NothingToAnswer`` when the thread is
        not paused."""
        snapshot = snapshot if snapshot is not None else self.graph.get_state(self.config)
        if self.pending_interrupt(snapshot) is None:
            raise NothingToAnswer(
                f"Thread {self.thread_id} is not waiting for an answer; send a message instead."
            )
        if isinstance(value, str):
            value = check_message(value, self.context.max_message_chars)
        return self._run(Command(resume=value), on_token, on_update, snapshot.values)

    def resume(
        self, on_token: TokenSink | None = None, on_update: UpdateSink | None = None
    ) -> TurnResult:
        """Finish a turn cut short (e.g. a crashed worker): run the last checkpoint's next nodes."""
        return self._run(None, on_token, on_update)

    def current(self) -> TurnResult:
        """The thread's latest state as a result, without running anything."""
        return self._result(_Collected())

    def _run(
        self,
        payload: Any,
        on_token: TokenSink | None,
        on_update: UpdateSink | None = None,
        values: dict[str, Any] | None = None,
    ) -> TurnResult:
        """Run the graph on ``payload``; ``values`` is the state before it, when known."""
        collected = _Collected()
        modes: list[StreamMode] = ["updates", "values"]
        config, scope = self._observed(payload, values)
        if on_token is not None:
            config = _with_callback(config, TokenRelay(on_token))
        with scope:
            stream = cast(
                Iterator[tuple[str, Any]],
                self.graph.stream(
                    payload,
                    config,
                    context=self.context,
                    stream_mode=modes,
                    durability=turn_durability(),
                ),
            )
            self._consume(stream, collected, on_update)
        return self._result(collected)

    def _observed(
        self, payload: Any, values: dict[str, Any] | None = None
    ) -> tuple[RunnableConfig, AbstractContextManager[Any]]:
        """The run config and scope for one graph run (traced when observability is on)."""
        if self.observability is None:
            return self.config, nullcontext()
        if values is None:
            values = self.graph.get_state(self.config).values
        turn = int(values.get("turn", 0)) + 1  # a resume is the customer's next message too
        extra = self.observability.run_config(
            self.thread_id, turn, metadata=self.config.get("metadata")
        )
        config = cast(RunnableConfig, {**self.config, **extra})
        return config, self.observability.scope(self.thread_id, turn)

    def _consume(
        self,
        stream: Iterator[tuple[str, Any]],
        collected: _Collected,
        on_update: UpdateSink | None,
    ) -> None:
        """Collect tool calls, tool results, replies and the final state from a run's stream."""
        for mode, chunk in stream:
            if mode == "values":
                collected.values = chunk
                continue
            for node, update in (chunk or {}).items():
                if node == "__interrupt__":
                    collected.interrupts.extend(update)
                collected.add(update_messages(update))
                if on_update is not None:
                    on_update(node, update)

    def _result(self, collected: _Collected) -> TurnResult:
        """The turn's report; the state comes from the run's stream, else from a fresh read."""
        values, interrupt = collected.values, _interrupt_value(collected.interrupts)
        if values is None:
            snapshot = self.graph.get_state(self.config)
            values, interrupt = snapshot.values, self.pending_interrupt(snapshot)
        ledger = values.get("ledger") or []
        return TurnResult(
            thread=self.thread_id,
            turn=values.get("turn", 0),
            intent=values.get("intent"),
            act=values.get("act"),
            agent=values.get("agent"),
            phase=values.get("phase"),
            tool_calls=collected.calls,
            tool_results=collected.results,
            reply="\n".join(collected.replies.values()),
            interrupt=interrupt,
            ledger=dict(ledger[-1]) if ledger else None,
            stack=[dict(frame) for frame in values.get("stack") or []],
        )


@dataclass
class _Collected:
    """What a run's stream showed: tool calls and results, replies, final state, interrupts."""

    calls: list[dict[str, Any]] = field(default_factory=list)
    results: list[dict[str, Any]] = field(default_factory=list)
    replies: dict[str, str] = field(default_factory=dict)
    values: dict[str, Any] | None = None
    interrupts: list[Any] = field(default_factory=list)

    def add(self, messages: list[Any]) -> None:
        """Record the tool calls, replies and tool results among one update's messages."""
        for message in messages:
            if isinstance(message, AIMessage):
                self.calls.extend(
                    {"name": c["name"], "args": c["args"], "id": c["id"]}
                    for c in message.tool_calls
                )
                if message.content and not message.tool_calls:
                    # keyed by id: a reply the output guard replaced shows once
                    self.replies[message.id or str(len(self.replies))] = str(message.content)
            elif isinstance(message, ToolMessage):
                self.results.append({"name": message.name, "content": str(message.content)})


def _with_callback(config: RunnableConfig, handler: Any) -> RunnableConfig:
    """``config`` with ``handler`` added to its callbacks (a list or a callback manager)."""
    callbacks = config.get("callbacks")
    if callbacks is None:
        merged: Any = [handler]
    elif isinstance(callbacks, list):
        merged = [*callbacks, handler]
    else:
        merged = callbacks.copy()
        merged.add_handler(handler, inherit=True)
    return cast(RunnableConfig, {**config, "callbacks": merged})


def _interrupt_value(interrupts: list[Any]) -> dict[str, Any] | None:
    """The first interrupt's payload as a dict (a bare prompt becomes ``kind='input'``)."""
    for item in interrupts:
        value = item.value
        return value if isinstance(value, dict) else {"kind": "input", "prompt": value}
    return None


def update_messages(update: Any) -> list[Any]:
    """Messages carried by one node update (a dict, or a list for interrupts)."""
    if isinstance(update, dict):
        messages = update.get("messages") or []
        return messages if isinstance(messages, list) else [messages]
    return []
