"""Our support graph as τ²'s solo (no-user) agent: the ticket is the customer's only message.

τ²'s solo orchestrator talks to an ``LLMSoloAgent`` (it checks the class), so the adapter
subclasses it and replaces only how the next message is made: by our graph. Tool calls leave
the graph as interrupts, as in dual mode (``agent.py``). Two things have no customer to go
to, and this module — the benchmark, never the engine — settles them:

- a confirmation the graph asks for (a write quoted and paused, see docs/turns.md) is taken
  as given by the ticket: the graph is resumed with ``True``, as ``Session.answer`` does;
- a reply in plain text ends the run (the graph answered its customer): it becomes τ²'s stop
  message, with the reply kept in front of the stop token.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command
from tau2.agent.llm_agent import LLMSoloAgent
from tau2.data_model.message import AssistantMessage, MultiToolMessage, ToolCall

from agents.confirm_step import CONFIRM_KIND
from agents.context import Context
from agents.input_guard import check_message
from app.evaluation.tau2.agent import (
    DEFAULT_CONTEXT,
    FALLBACK_REPLY,
    INTERRUPT_KIND,
    tau2_agent_specs,
)
from graphs.support import compile_graph

MAX_CONFIRMATIONS = 30
"""Confirmations answered per task before the run is stopped (a graph that keeps quoting)."""


@dataclass
class SoloState:
    """What the τ² orchestrator keeps for our solo agent between steps."""

    thread_id: str = field(default_factory=lambda: f"tau2-solo-{uuid.uuid4().hex[:12]}")
    confirmations: int = 0
    """Confirmations the bench answered yes for the ticket."""
    ending: str = ""
    """How the run ended, once it has: ``reply`` (the graph answered), ``question`` (it asked
    for a tool argument) or ``confirmation_limit``."""


class SwitchboardSoloAgent(LLMSoloAgent):
    """τ²'s solo agent whose messages come from our support graph (τ² tools, τ² policy)."""

    def __init__(
        self,
        tools: list[Any],
        domain_policy: str,
        task: Any,
        model: str,
        write_tools: frozenset[str] = frozenset(),
        callbacks: Sequence[BaseCallbackHandler] = (),
        **context: Any,
    ) -> None:
        super().__init__(tools=tools, domain_policy=domain_policy, task=task, llm=model)
        # LLMSoloAgent adds its stop tool; our graph ends by answering instead.
        tau2_tools = [t for t in self.tools if t.name != self.STOP_FUNCTION_NAME]
        specs = tau2_agent_specs(tau2_tools, domain_policy, write_tools=write_tools)
        self.graph = compile_graph(InMemorySaver(), agents=specs)
        self.context = Context(customer_id=None, model=model, **{**DEFAULT_CONTEXT, **context})
        self.callbacks = list(callbacks)
        self.last_state: SoloState | None = None

    def get_init_state(self, message_history: list[Any] | None = None) -> SoloState:
        self.last_state = SoloState()
        return self.last_state

    def _config(self, state: SoloState) -> RunnableConfig:
        config: RunnableConfig = {
            "configurable": {"thread_id": state.thread_id},
            "recursion_limit": 60,
        }
        if self.callbacks:
            config["callbacks"] = list(self.callbacks)
        return config

    def _interrupts(self, state: SoloState) -> list[Any]:
        snapshot = self.graph.get_state(self._config(state))
        return [
            item
            for task in snapshot.tasks
            for item in task.interrupts
            if isinstance(item.value, dict)
        ]

    def _run(self, payload: Any, state: SoloState) -> None:
        self.graph.invoke(payload, self._config(state), context=self.context)

    def generate_next_message(
        self, message: Any, state: SoloState
    ) -> tuple[AssistantMessage, SoloState]:
        if message is None:
            ticket = check_message(str(self.task.ticket), self.context.max_message_chars)
            self._run({"messages": [HumanMessage(content=ticket)]}, state)
        else:
            results = message.tool_messages if isinstance(message, MultiToolMessage) else [message]
            self._run(Command(resume={result.id: result.content for result in results}), state)
        while True:
            pending = self._interrupts(state)
            calls = [item for item in pending if item.value.get("kind") == INTERRUPT_KIND]
            if calls:
                first = calls[0]
                call = ToolCall(
                    id=first.id,
                    name=first.value["name"],
                    arguments=dict(first.value["arguments"]),
                    requestor="assistant",
                )
                reply = AssistantMessage(
                    role="assistant", content=None, tool_calls=[call], cost=0.0
                )
                return reply, state
            if not any(item.value.get("kind") == CONFIRM_KIND for item in pending):
                break
            if state.confirmations >= MAX_CONFIRMATIONS:
                return self._stop(state, "confirmation_limit"), state
            state.confirmations += 1
            self._run(Command(resume=True), state)  # the ticket stands for the customer's yes
        return self._stop(state, self._ending(state), self._reply(state)), state

    def _ending(self, state: SoloState) -> str:
        """``question`` when the last turn asked for a tool argument nothing determined
        (the engine's argument filling, see agents/arguments.py), else ``reply``."""
        ledger = self.graph.get_state(self._config(state)).values.get("ledger") or []
        events = [str(e) for e in (ledger[-1].get("events") or [])] if ledger else []
        return "question" if any(e.startswith("asked for") for e in events) else "reply"

    def _reply(self, state: SoloState) -> str:
        """The graph's replies since the newest human message (a queued task may add one)."""
        texts: list[str] = []
        for message in reversed(self.graph.get_state(self._config(state)).values["messages"]):
            if isinstance(message, HumanMessage):
                break
            if isinstance(message, AIMessage) and not message.tool_calls:
                texts.insert(0, str(message.content).strip())
        return "\n".join(t for t in texts if t) or FALLBACK_REPLY

    def _stop(self, state: SoloState, ending: str, text: str = "") -> AssistantMessage:
        state.ending = ending
        content = f"{text}\n{self.STOP_TOKEN}" if text else self.STOP_TOKEN
        return AssistantMessage(role="assistant", content=content, cost=0.0)

    def set_seed(self, seed: int) -> None:
        """The graph's models take no seed; kept for τ²'s orchestrator."""
