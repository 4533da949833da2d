"""A tiny graph (one ToolNode, in-memory checkpoints) that runs telco tools as the agents do."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, NotRequired, TypedDict

from langchain_core.messages import AIMessage, AnyMessage, ToolMessage
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import BaseTool
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages
from langgraph.prebuilt import ToolNode

from agents.confirm_step import answer_call_message, awaiting_quote
from agents.guards.tool_results import guard_tool_call
from tools.confirm import is_yes


@dataclass(frozen=True)
class HarnessContext:
    """Satisfies ``tools.auth.CustomerContext``."""

    customer_id: str | None = None
    database_url: str = ""


class HarnessState(TypedDict):
    """Messages plus the one identity key tools read from state."""

    messages: Annotated[list[AnyMessage], add_messages]
    verified_customer_id: NotRequired[str | None]


@dataclass(frozen=True)
class Outcome:
    """What one invoke or resume produced."""

    text: str | None
    interrupt: dict[str, Any] | None
    """The quote a write waits on (its tool message's artifact), as the engine asks it."""
    state: dict[str, Any]


class ToolHarness:
    """Runs tool calls through a real ``ToolNode`` (guarded as in the support graph) with
    checkpoints; a write's quote is answered the way the support graph's engine does it."""

    def __init__(
        self, tools: Sequence[BaseTool], database_url: str, customer_id: str | None = "C1001"
    ) -> None:
        builder = StateGraph(HarnessState, context_schema=HarnessContext)
        builder.add_node("tools", ToolNode(list(tools), wrap_tool_call=guard_tool_call))
        builder.add_edge(START, "tools")
        builder.add_edge("tools", END)
        self.graph = builder.compile(checkpointer=InMemorySaver())
        self.context = HarnessContext(customer_id=customer_id, database_url=database_url)
        self._ids = itertools.count(1)

    def call(
        self,
        name: str,
        args: dict[str, Any],
        *,
        call_id: str | None = None,
        thread: str = "t1",
    ) -> Outcome:
        """Send one AI message with a single tool call; return its result or interrupt."""
        tool_call = {"name": name, "args": args, "id": call_id or f"call-{next(self._ids)}"}
        message = AIMessage(content="", tool_calls=[tool_call])
        return self._run({"messages": [message]}, thread)

    def resume(self, answer: object, *, thread: str = "t1") -> Outcome:
        """Answer the newest quote of ``thread``: the write's answer call (``X:yes``/``X:no``)."""
        messages = self.graph.get_state(self._config(thread)).values.get("messages") or []
        quote = next(q for m in reversed(messages) if (q := awaiting_quote(m)) is not None)
        args = next(
            c["args"]
            for m in messages
            if isinstance(m, AIMessage)
            for c in m.tool_calls
            if c["id"] == quote["call_id"]
        )
        pending = {**quote, "args": args}
        message = answer_call_message(pending, is_yes(answer), "harness")
        return self._run({"messages": [message]}, thread)

    @staticmethod
    def _config(thread: str) -> RunnableConfig:
        return {"configurable": {"thread_id": thread}}

    def _run(self, payload: Any, thread: str) -> Outcome:
        result = self.graph.invoke(payload, self._config(thread), context=self.context)
        last = result["messages"][-1]
        quote = awaiting_quote(last)
        if quote is not None:
            return Outcome(None, quote, dict(result))
        text = last.content if isinstance(last, ToolMessage) else None
        return Outcome(str(text) if text is not None else None, None, dict(result))


def all_tools() -> list[BaseTool]:
    """Every telco tool (read and write) the agents can bind."""
    from tools import billing, handoff, identity, plans, tech_support

    modules = (billing, plans, tech_support, handoff, identity)
    return [t for m in modules for t in (*m.READ_TOOLS, *m.WRITE_TOOLS)]


def harness(database_url: str, customer_id: str | None = "C1001") -> ToolHarness:
    """A harness with every telco tool, signed in as ``customer_id`` (``None`` = unverified)."""
    return ToolHarness(all_tools(), database_url, customer_id)
