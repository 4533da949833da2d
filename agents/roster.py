"""The support bot's agent roster: the one list of sub-agents, and lookups over it."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from agents.billing import billing_agent
from agents.general import general_agent
from agents.plan_change import plan_change_agent
from agents.spec import AgentSpec
from agents.tech_support import tech_support_agent


@dataclass(frozen=True)
class Roster:
    """Sub-agents of one graph; routing, guards and memory read agents from here only."""

    agents: tuple[AgentSpec, ...]

    def __post_init__(self) -> None:
        names = [spec.name for spec in self.agents]
        if len(set(names)) != len(names):
            raise ValueError(f"agent names must be unique, got {names}")
        fallbacks = [spec.name for spec in self.agents if not spec.task]
        if len(fallbacks) != 1:
            raise ValueError(
                "exactly one agent must have no task (the fallback for small talk and requests "
                f"no other agent takes); found {fallbacks or 'none'}"
            )

    def __iter__(self) -> Iterator[AgentSpec]:
        return iter(self.agents)

    @property
    def names(self) -> tuple[str, ...]:
        """Every agent's name, in roster order."""
        return tuple(spec.name for spec in self.agents)

    @property
    def tools_nodes(self) -> tuple[str, ...]:
        """Every agent's tools-node name, in roster order."""
        return tuple(spec.tools_node for spec in self.agents)

    @property
    def fallback(self) -> AgentSpec:
        """The agent that opens no task: small talk, off-topic requests, hand-off notices."""
        return next(spec for spec in self.agents if not spec.task)

    @property
    def write_tools(self) -> frozenset[str]:
        """Names of every agent's write tools."""
        return frozenset(name for spec in self.agents for name in spec.write_tools)

    def spec(self, name: str | None) -> AgentSpec:
        """The agent called ``name`` (the fallback agent for an unknown or missing name)."""
        return next((s for s in self.agents if s.name == name), self.fallback)

    def for_intent(self, intent: str) -> AgentSpec | None:
        """The task agent that takes ``intent`` (``None``: no task agent takes it)."""
        return next((s for s in self.agents if s.task and intent in s.intents), None)

    def task_label(self, name: str) -> str:
        """How the bot names a task of agent ``name`` (its name when it has no label)."""
        spec = self.spec(name)
        return spec.task or name.replace("_", " ")


def support_agents() -> tuple[AgentSpec, ...]:
    """The telco support bot's sub-agents: add an agent here and in its own module only."""
    return (billing_agent(), plan_change_agent(), tech_support_agent(), general_agent())


def support_roster(agents: Sequence[AgentSpec] | None = None) -> Roster:
    """The support roster (``agents`` replaces it, e.g. with an external benchmark's tools)."""
    return Roster(tuple(agents) if agents is not None else support_agents())
