"""The research graph: start → plan → researchers in parallel (Send) → analyst → synthesizer."""

from __future__ import annotations

from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph

from agents.context import Context
from agents.research.models import ModelFactory, default_models
from agents.research.planner import dispatch, make_planner, start_run
from agents.research.researcher import make_researcher
from agents.research.state import ResearcherInput, ResearchState
from agents.research.writers import make_analyst, make_synthesizer

ResearchBuilder = StateGraph[ResearchState, Context, ResearchState, ResearchState]
ResearchGraph = CompiledStateGraph[ResearchState, Context, ResearchState, ResearchState]


def build(models: ModelFactory | None = None, notes_url: str | None = None) -> ResearchBuilder:
    """The uncompiled research graph; ``models`` makes each role's model (default: by spec)."""
    factory = models or default_models
    builder = StateGraph(ResearchState, context_schema=Context)
    builder.add_node("start", start_run)
    builder.add_node("plan", make_planner(factory))
    builder.add_node("research", make_researcher(factory, notes_url), input_schema=ResearcherInput)
    builder.add_node("analyze", make_analyst(factory, notes_url))
    builder.add_node("synthesize", make_synthesizer(factory, notes_url))
    builder.add_edge(START, "start")
    builder.add_edge("start", "plan")
    builder.add_conditional_edges("plan", dispatch, ["research"])
    builder.add_edge("research", "analyze")
    builder.add_edge("analyze", "synthesize")
    builder.add_edge("synthesize", END)
    return builder


def compile_graph(
    checkpointer: object | None = None,
    models: ModelFactory | None = None,
    notes_url: str | None = None,
) -> ResearchGraph:
    """The research graph compiled with ``checkpointer`` (``None`` for LangGraph Server)."""
    return build(models, notes_url).compile(checkpointer=checkpointer, name="research")  # type: ignore[arg-type]


graph = compile_graph()
