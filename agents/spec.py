"""What defines a sub-agent: name, prompt, tools, the intents it takes, its digression policy."""

from __future__ import annotations

from dataclasses import dataclass, field

from langchain_core.tools import BaseTool

from conversation.stack import DigressionPolicy


@dataclass(frozen=True)
class AgentSpec:
    """A topic sub-agent of the support graph (declared once, in its own module)."""

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
    intents: frozenset[str] = frozenset()
    """Triage intents routed to this agent."""
    task: str = ""
    """How the bot names a task of this agent ("plan change"); empty: the agent opens no task
    (the roster's fallback agent, which takes small talk and whatever no other agent takes)."""
    topic_slots: tuple[str, ...] = ()
    """Fact-sheet slots that tell one task of this agent from another in a sentence, in order
    ("plan change to Unlimited": ``requested_plan``)."""
    digression: DigressionPolicy = "allow"
    """What a new, different request does while this agent's task waits for the customer
    (a confirmation, or an answer to its question): ``allow`` answers it now and comes back,
    ``ask_first`` asks before switching, ``defer`` queues it until the task is settled."""
    states_results: bool = True
    """Whether the engine replies with this agent's tool results itself (``report_results``):
    true for tools whose results are written for the customer; false for tools whose results
    the model must read and act on, possibly with more calls (τ²'s JSON tools)."""

    @property
    def tools_node(self) -> str:
        """Name of the graph node that runs this agent's tools."""
        return f"{self.name}_tools"
