"""Scenario suites: multi-turn conversations with expectations (data/scenarios/*.yaml)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from conversation.paths import repo_root

TRAJECTORY_MODES = ("strict", "unordered", "subset", "superset")
TURN_KEYS = {"user", "confirm", "expect", "note"}
EXPECT_KEYS = {
    "intent",
    "act",
    "agent",
    "classifier_path",
    "tools",
    "tool_args",
    "trajectory",
    "reply_contains",
    "reply_excludes",
    "reply_any",
    "results_contain",
    "interrupt",
    "interrupt_tool",
    "interrupt_contains",
    "error",
    "phase",
    "stack_depth",
}
END_KEYS = {
    "store",
    "facts",
    "summary_contains",
    "folded_at_least",
    "phase",
    "stack_depth",
    "tools_in_order",
}
FORBID_KEYS = {"tools", "reply_contains", "args_contain"}
SCENARIO_KEYS = {"name", "description", "customer", "covers", "turns", "end", "forbid", "context"}


class ScenarioError(ValueError):
    """A scenario file is malformed; the message names the file, the scenario and the fix."""


@dataclass(frozen=True)
class TurnExpect:
    """What one turn must show (every field optional)."""

    intent: str | None = None
    act: str | None = None
    agent: str | None = None
    classifier_path: str | None = None
    tools: tuple[str, ...] | None = None
    """Tool calls of the turn, in order (trajectory match via agentevals)."""
    tool_args: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """Arguments each named tool call must include (the call may carry more)."""
    trajectory: str = "strict"
    reply_contains: tuple[str, ...] = ()
    reply_excludes: tuple[str, ...] = ()
    reply_any: tuple[str, ...] = ()
    """At least one of these must occur in the reply."""
    results_contain: tuple[str, ...] = ()
    interrupt: bool | None = None
    interrupt_tool: str | None = None
    interrupt_contains: tuple[str, ...] = ()
    error: str | None = None
    """The message is refused before the graph runs, with an error containing this text."""
    phase: str | None = None
    stack_depth: int | None = None


@dataclass(frozen=True)
class Turn:
    """One step of the conversation: a user message, or the answer to a confirmation."""

    user: str | None = None
    confirm: str | None = None
    expect: TurnExpect = field(default_factory=TurnExpect)

    @property
    def text(self) -> str:
        """What the user typed (a message or a confirmation answer)."""
        return self.user if self.user is not None else str(self.confirm)


@dataclass(frozen=True)
class EndExpect:
    """The conversation's end state."""

    store: Mapping[str, Any] = field(default_factory=dict)
    """``lines``/``bills``: id → column → value; ``counts``: journal table → rows for us."""
    facts: Mapping[str, str] = field(default_factory=dict)
    """Fact slot → text its value must contain."""
    summary_contains: tuple[str, ...] = ()
    folded_at_least: int = 0
    phase: str | None = None
    stack_depth: int | None = None
    tools_in_order: tuple[str, ...] = ()
    """Tools the whole conversation must call, in this order (others may come in between)."""


@dataclass(frozen=True)
class Forbid:
    """What must never happen anywhere in the conversation."""

    tools: tuple[str, ...] = ()
    reply_contains: tuple[str, ...] = ()
    args_contain: tuple[str, ...] = ()
    """Text that no tool-call argument may contain (e.g. another customer's id)."""


@dataclass(frozen=True)
class Scenario:
    """A multi-turn conversation with expectations."""

    name: str
    suite: str
    description: str
    customer: str | None
    turns: tuple[Turn, ...]
    covers: tuple[str, ...] = ()
    """Labels of what the scenario exercises (intents, tools, behaviours)."""
    end: EndExpect = field(default_factory=EndExpect)
    forbid: Forbid = field(default_factory=Forbid)
    context: Mapping[str, Any] = field(default_factory=dict)
    """Overrides of ``agents.context.Context`` fields (e.g. a small window budget)."""


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, Sequence) and all(isinstance(v, str | int | float) for v in value):
        return tuple(str(v) for v in value)
    raise ScenarioError(f"{where}: expected a string or a list of strings, got {value!r}.")


def _check_keys(data: Mapping[str, Any], allowed: set[str], where: str) -> None:
    unknown = set(data) - allowed
    if unknown:
        raise ScenarioError(
            f"{where}: unknown key(s) {', '.join(sorted(unknown))}; "
            f"allowed: {', '.join(sorted(allowed))}."
        )


def _expect(data: Any, where: str) -> TurnExpect:
    if data is None:
        return TurnExpect()
    if not isinstance(data, Mapping):
        raise ScenarioError(f"{where}: 'expect' must be a mapping.")
    _check_keys(data, EXPECT_KEYS, where)
    tools = data.get("tools")
    trajectory = str(data.get("trajectory", "strict"))
    if trajectory not in TRAJECTORY_MODES:
        raise ScenarioError(f"{where}: trajectory must be one of {', '.join(TRAJECTORY_MODES)}.")
    interrupt = data.get("interrupt")
    if interrupt is not None and not isinstance(interrupt, bool):
        raise ScenarioError(f"{where}: 'interrupt' must be true or false.")
    return TurnExpect(
        intent=data.get("intent"),
        act=data.get("act"),
        agent=data.get("agent"),
        classifier_path=data.get("classifier_path"),
        tools=_strings(tools, f"{where}.tools") if tools is not None else None,
        tool_args=dict(data.get("tool_args") or {}),
        trajectory=trajectory,
        reply_contains=_strings(data.get("reply_contains"), f"{where}.reply_contains"),
        reply_excludes=_strings(data.get("reply_excludes"), f"{where}.reply_excludes"),
        reply_any=_strings(data.get("reply_any"), f"{where}.reply_any"),
        results_contain=_strings(data.get("results_contain"), f"{where}.results_contain"),
        interrupt=interrupt,
        interrupt_tool=data.get("interrupt_tool"),
        interrupt_contains=_strings(data.get("interrupt_contains"), f"{where}.interrupt_contains"),
        error=data.get("error"),
        phase=data.get("phase"),
        stack_depth=data.get("stack_depth"),
    )


def _turn(data: Any, where: str) -> Turn:
    if isinstance(data, str):
        return Turn(user=data)
    if not isinstance(data, Mapping):
        raise ScenarioError(f"{where}: a turn is a string or a mapping with 'user' or 'confirm'.")
    _check_keys(data, TURN_KEYS, where)
    if ("user" in data) == ("confirm" in data):
        raise ScenarioError(f"{where}: give exactly one of 'user' (a message) or 'confirm'.")
    confirm = data.get("confirm")
    if isinstance(confirm, bool):
        confirm = "yes" if confirm else "no"
    user = data.get("user")
    return Turn(
        user=None if user is None else str(user),
        confirm=None if confirm is None else str(confirm),
        expect=_expect(data.get("expect"), where),
    )


def _end(data: Any, where: str) -> EndExpect:
    if data is None:
        return EndExpect()
    if not isinstance(data, Mapping):
        raise ScenarioError(f"{where}: 'end' must be a mapping.")
    _check_keys(data, END_KEYS, where)
    store = dict(data.get("store") or {})
    unknown = set(store) - {"lines", "bills", "counts"}
    if unknown:
        raise ScenarioError(f"{where}.store: use 'lines', 'bills' or 'counts', not {unknown}.")
    return EndExpect(
        store=store,
        facts={str(k): str(v) for k, v in (data.get("facts") or {}).items()},
        summary_contains=_strings(data.get("summary_contains"), f"{where}.summary_contains"),
        folded_at_least=int(data.get("folded_at_least", 0)),
        phase=data.get("phase"),
        stack_depth=data.get("stack_depth"),
        tools_in_order=_strings(data.get("tools_in_order"), f"{where}.tools_in_order"),
    )


def _forbid(data: Any, where: str) -> Forbid:
    if data is None:
        return Forbid()
    if not isinstance(data, Mapping):
        raise ScenarioError(f"{where}: 'forbid' must be a mapping.")
    _check_keys(data, FORBID_KEYS, where)
    return Forbid(
        tools=_strings(data.get("tools"), f"{where}.tools"),
        reply_contains=_strings(data.get("reply_contains"), f"{where}.reply_contains"),
        args_contain=_strings(data.get("args_contain"), f"{where}.args_contain"),
    )


def parse_scenario(data: Any, suite: str, where: str) -> Scenario:
    """One scenario from its YAML mapping (``where`` names it in error messages)."""
    if not isinstance(data, Mapping) or "name" not in data:
        raise ScenarioError(f"{where}: each scenario is a mapping with a 'name'.")
    where = f"{where} ({data['name']})"
    _check_keys(data, SCENARIO_KEYS, where)
    turns = data.get("turns")
    if not isinstance(turns, list) or not turns:
        raise ScenarioError(f"{where}: 'turns' must be a non-empty list.")
    return Scenario(
        name=str(data["name"]),
        suite=suite,
        description=str(data.get("description", "")).strip(),
        customer=data.get("customer"),
        turns=tuple(_turn(t, f"{where} turn {i + 1}") for i, t in enumerate(turns)),
        covers=_strings(data.get("covers"), f"{where}.covers"),
        end=_end(data.get("end"), f"{where}.end"),
        forbid=_forbid(data.get("forbid"), f"{where}.forbid"),
        context=dict(data.get("context") or {}),
    )


def load_file(path: Path) -> list[Scenario]:
    """The scenarios of one suite file (``suite:`` name, then a ``scenarios:`` list)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise ScenarioError(f"{path}: not valid YAML ({error}).") from error
    if not isinstance(data, Mapping) or not isinstance(data.get("scenarios"), list):
        raise ScenarioError(f"{path}: expected a mapping with a 'scenarios' list.")
    suite = str(data.get("suite") or path.stem)
    return [
        parse_scenario(item, suite, f"{path.name}[{index}]")
        for index, item in enumerate(data["scenarios"])
    ]


def scenarios_dir() -> Path:
    """The repository's scenario folder (``data/scenarios``)."""
    return repo_root() / "data" / "scenarios"


HELD_OUT_SUITES = frozenset({"paraphrases", "fresh", "unseen"})
"""Suites that measure the product on words it was not tuned on: the scripted test double (a
keyword matcher) is not expected to pass them; the embedded model is (docs/evaluation.md)."""


def tuned_scenarios(scenarios: Sequence[Scenario]) -> list[Scenario]:
    """``scenarios`` without the held-out suites (what the scripted double must pass)."""
    return [s for s in scenarios if s.suite not in HELD_OUT_SUITES]


def load_scenarios(directory: Path | None = None, names: Sequence[str] = ()) -> list[Scenario]:
    """Every scenario in ``directory`` (default ``data/scenarios``), optionally only ``names``.

    A name selects a scenario by its name or a whole suite by its suite name.
    """
    folder = directory or scenarios_dir()
    files = sorted(folder.glob("*.yaml"))
    if not files:
        raise ScenarioError(f"No scenario files (*.yaml) in {folder}.")
    scenarios = [scenario for path in files for scenario in load_file(path)]
    seen: set[str] = set()
    for scenario in scenarios:
        if scenario.name in seen:
            raise ScenarioError(f"Scenario name {scenario.name!r} is used twice; names are ids.")
        seen.add(scenario.name)
    if not names:
        return scenarios
    wanted = set(names)
    chosen = [s for s in scenarios if s.name in wanted or s.suite in wanted]
    missing = wanted - {s.name for s in chosen} - {s.suite for s in chosen}
    if missing:
        raise ScenarioError(
            f"No scenario or suite named {', '.join(sorted(missing))}. "
            "Run `switchboard eval --list` to see them."
        )
    return chosen


ENGINE_FIELDS = ("act", "classifier_path", "phase", "stack_depth")
"""Turn expectations about our engine's internal state (other graphs do not keep them)."""


def behavioural(scenario: Scenario) -> Scenario:
    """``scenario`` with only observable behaviour checked (tools, replies, confirmations,
    store, forbidden actions, intent and agent), so that graphs without our engine's state
    (dialogue act, classifier path, phase, stack, fact sheet, folds) are judged fairly."""
    turns = tuple(
        replace(
            turn,
            expect=replace(
                turn.expect, act=None, classifier_path=None, phase=None, stack_depth=None
            ),
        )
        for turn in scenario.turns
    )
    end = replace(
        scenario.end,
        facts={},
        summary_contains=(),
        folded_at_least=0,
        phase=None,
        stack_depth=None,
    )
    return replace(scenario, turns=turns, end=end)
