"""The agent roster: declared once, read everywhere; a fifth agent touches one list."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from agents.dialog import plan_turn
from agents.roster import Roster, support_agents, support_roster
from agents.spec import AgentSpec
from agents.triage import Triage
from graphs.support import compile_graph

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("agents", "app", "conversation", "graphs", "llm", "prompts", "tools")
ALLOWED = {
    "agents/roster.py": "the roster itself",
    "agents/intent_classifier.py": "the classifier's labels share three of the words",
    "tools/tech_support.py": "'billing' is also a ticket category",
}
"""Files that may spell an agent's name, besides the agents' own modules (why, for each)."""
INTENT_KEYED = ("app/evaluation/tau2/",)
"""The τ² adapter divides τ²'s tools and policy by the intents each agent takes."""


def test_support_roster_has_one_fallback_and_unique_names() -> None:
    roster = support_roster()
    assert roster.fallback.name == "general" and not roster.fallback.task
    assert len(set(roster.names)) == len(roster.names) == 4
    assert {s.digression for s in roster if s.task} == {"allow", "ask_first", "defer"}
    with pytest.raises(ValueError, match="unique"):
        Roster((*roster.agents, roster.agents[0]))
    with pytest.raises(ValueError, match="exactly one agent must have no task"):
        Roster(tuple(s for s in roster if s.task))


def _string_constants(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
    }


def test_agent_names_are_spelled_only_in_the_roster_and_their_own_modules() -> None:
    names = set(support_roster().names)
    own = {f"agents/{name}.py" for name in names}
    offenders = []
    for package in PRODUCT:
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if rel in own or rel in ALLOWED:
                continue
            found = names & _string_constants(path)
            if rel.startswith(INTENT_KEYED):
                found -= {i for spec in support_roster() for i in spec.intents}
            if found:
                offenders.append(f"{rel}: {sorted(found)}")
    assert not offenders, "agent names outside the roster:\n" + "\n".join(offenders)


def test_a_fifth_agent_needs_only_its_spec_in_the_list() -> None:
    loyalty = AgentSpec(
        name="loyalty",
        prompt="general",
        intents=frozenset({"loyalty"}),
        task="loyalty offer",
        topic_slots=("line",),
        digression="defer",
    )
    agents = (*support_agents(), loyalty)
    graph = compile_graph(agents=agents)
    assert {"loyalty", "loyalty_tools"} <= set(graph.get_graph().nodes)
    edges = {(e.source, e.target) for e in graph.get_graph().edges}
    assert ("classify_intent", "loyalty") in edges and ("remember", "loyalty") in edges
    verdict = Triage("loyalty", "request", 0.9, 0.9, "local", "any retention offers for me?")
    plan = plan_turn({"turn": 1}, [verdict], Roster(agents))
    assert plan.agent == "loyalty" and plan.stack[-1]["task"] == "loyalty offer"
