"""InlineToolNode: a lone call runs in the caller's thread, with the same result as ToolNode."""

from __future__ import annotations

import threading
from typing import Any

from langchain_core.messages import AIMessage, ToolMessage
from langchain_core.tools import tool
from langgraph.graph import START, MessagesState, StateGraph
from langgraph.prebuilt import ToolNode

from agents.tool_node import InlineToolNode

THREADS: list[str] = []


@tool
def whoami(name: str) -> str:
    """Greet ``name`` and note the thread the tool ran on."""
    THREADS.append(threading.current_thread().name)
    return f"hello {name}"


@tool
def broken(name: str) -> str:
    """Always fails."""
    raise ValueError(f"no such line for {name}")


def run(node: Any, calls: list[dict[str, Any]]) -> list[ToolMessage]:
    builder = StateGraph(MessagesState)
    builder.add_node("tools", node)
    builder.add_edge(START, "tools")
    graph = builder.compile()
    result = graph.invoke({"messages": [AIMessage(content="", tool_calls=calls)]})
    return [m for m in result["messages"] if isinstance(m, ToolMessage)]


def call(name: str, call_id: str, who: str = "sam") -> dict[str, Any]:
    return {"name": name, "args": {"name": who}, "id": call_id, "type": "tool_call"}


def test_a_single_call_runs_inline_and_matches_toolnode() -> None:
    THREADS.clear()
    inline = run(InlineToolNode([whoami, broken], handle_tool_errors=True), [call("whoami", "c1")])
    stock = run(ToolNode([whoami, broken], handle_tool_errors=True), [call("whoami", "c1")])
    assert THREADS[0] == threading.current_thread().name  # no pool thread for one call
    assert THREADS[1] != threading.current_thread().name  # the stock node used one
    assert [(m.content, m.tool_call_id, m.name) for m in inline] == [
        (m.content, m.tool_call_id, m.name) for m in stock
    ]


def test_errors_and_several_calls_behave_as_in_toolnode() -> None:
    calls = [call("whoami", "c1", "ann"), call("whoami", "c2", "bo")]
    both = run(InlineToolNode([whoami, broken], handle_tool_errors=True), calls)
    assert [m.content for m in both] == ["hello ann", "hello bo"]
    failed = run(InlineToolNode([whoami, broken], handle_tool_errors=True), [call("broken", "c3")])
    stock = run(ToolNode([whoami, broken], handle_tool_errors=True), [call("broken", "c3")])
    assert failed[0].status == "error" and failed[0].content == stock[0].content
