"""Tools every agent carries: identity lookup, human handoff and the knowledge base."""

from __future__ import annotations

from langchain_core.tools import BaseTool

from tools import handoff, identity, kb


def shared_tools(knowledge_base: bool = True) -> tuple[BaseTool, ...]:
    """Identity verification, knowledge-base search (topic agents only) and human handoff."""
    tools: list[BaseTool] = [*identity.READ_TOOLS, *handoff.TOOLS]
    if knowledge_base:
        tools.insert(len(identity.READ_TOOLS), kb.search_kb)
    return tuple(tools)


def shared_write_tools() -> frozenset[str]:
    """Names of the shared tools that change something."""
    return frozenset(t.name for t in handoff.WRITE_TOOLS)
