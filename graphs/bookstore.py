"""The bookstore graph: begin turn → assistant ⇄ catalogue tools → remember (wiring only)."""

from __future__ import annotations

from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.prebuilt import ToolNode

from agents.bookstore.agent import (
    begin_turn,
    bookstore_tools,
    call_model,
    route_after_begin,
    route_after_model,
)
from agents.bookstore.memory import remember
from agents.bookstore.state import BookstoreState
from agents.context import Context

BookstoreBuilder = StateGraph[BookstoreState, Context, BookstoreState, BookstoreState]
BookstoreGraph = CompiledStateGraph[BookstoreState, Context, BookstoreState, BookstoreState]


def build() -> BookstoreBuilder:
    """The uncompiled bookstore graph."""
    builder = StateGraph(BookstoreState, context_schema=Context)
    builder.add_node("begin_turn", begin_turn)
    builder.add_node("bookstore", call_model)
    builder.add_node("tools", ToolNode(bookstore_tools(), handle_tool_errors=True))
    builder.add_node("remember", remember)
    builder.add_edge(START, "begin_turn")
    builder.add_conditional_edges("begin_turn", route_after_begin)
    builder.add_conditional_edges("bookstore", route_after_model)
    builder.add_edge("tools", "bookstore")
    builder.add_edge("remember", END)
    return builder


def compile_graph(checkpointer: object | None = None) -> BookstoreGraph:
    """The bookstore graph compiled with ``checkpointer`` (``None`` for LangGraph Server)."""
    return build().compile(checkpointer=checkpointer, name="bookstore")  # type: ignore[arg-type]


graph = compile_graph()
