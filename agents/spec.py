"""What defines a sub-agent: its name, prompt, tools and digression policy."""

from __future__ import annotations

from dataclasses import dataclass, field

from langchain_core.tools import BaseTool


@dataclass(frozen=True)
class AgentSpec:
    """A topic sub-agent of the support graph."""

    name: str
    """Agent name, also its graph node name."""
    prompt: str
    """Prompt file in ``prompts/`` holding the agent's policy."""
    tools: tuple[BaseTool, ...] = field(default_factory=tuple)
    """Tools the agent may call."""
    write_tools: frozenset[str] = frozenset()
    """Names of the tools that change something (at most one runs per model reply)."""
    policy: str = ""
    """A policy text replacing the prompt file (e.g. an external benchmark's policy)."""

    @property
    def tools_node(self) -> str:
        """Name of the graph node that runs this agent's tools."""
        return f"{self.name}_tools"
