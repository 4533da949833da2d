"""Aggregate scenario runs into one result: per-scenario pass rates, pass^k, calls and tokens."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from app.evaluation.passk import pass_curve
from app.evaluation.runner import ScenarioRun


@dataclass
class ScenarioSummary:
    """All trials of one scenario."""

    name: str
    suite: str
    trials: int
    successes: int
    covers: list[str]
    model_calls_per_turn: float
    prompt_tokens_per_turn: float
    mean_duration_s: float
    failures: list[str] = field(default_factory=list)
    """Failures of the first failing trial (empty when every trial passed)."""

    @property
    def pass_rate(self) -> float:
        """Share of trials that passed."""
        return self.successes / self.trials if self.trials else 0.0

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "name": self.name,
            "suite": self.suite,
            "trials": self.trials,
            "successes": self.successes,
            "pass_rate": round(self.pass_rate, 4),
            "covers": self.covers,
            "model_calls_per_turn": round(self.model_calls_per_turn, 3),
            "prompt_tokens_per_turn": round(self.prompt_tokens_per_turn, 1),
            "mean_duration_s": round(self.mean_duration_s, 3),
            "failures": self.failures,
        }


@dataclass
class EvalResult:
    """One evaluation run over a scenario suite."""

    model: str
    k: int
    runs: list[ScenarioRun]
    scenarios: list[ScenarioSummary]
    pass_at_k: dict[int, float]
    started_at: str = ""
    duration_s: float = 0.0

    @property
    def passed(self) -> int:
        """Scenarios whose every trial passed."""
        return sum(1 for s in self.scenarios if s.successes == s.trials)

    @property
    def pass_at_1(self) -> float:
        """Mean single-trial success rate."""
        return self.pass_at_k.get(1, 0.0)

    def totals(self) -> dict[str, float]:
        """Model calls, prompt tokens and user turns over all runs, and their per-turn ratios."""
        turns = sum(run.user_turns for run in self.runs)
        calls = sum(run.model_calls for run in self.runs)
        tokens = sum(run.prompt_tokens for run in self.runs)
        return {
            "user_turns": turns,
            "model_calls": calls,
            "prompt_tokens": tokens,
            "calls_per_turn": round(calls / turns, 4) if turns else 0.0,
            "prompt_tokens_per_turn": round(tokens / turns, 1) if turns else 0.0,
        }

    def as_dict(self, with_runs: bool = False) -> dict[str, Any]:
        """A JSON-ready dict (``scenarios`` is the number; details are in ``results``)."""
        data: dict[str, Any] = {
            "model": self.model,
            "k": self.k,
            "scenarios": len(self.scenarios),
            "passed": self.passed,
            "pass_at_1": round(self.pass_at_1, 4),
            f"pass_at_{self.k}": round(self.pass_at_k.get(self.k, 0.0), 4),
            "pass_at_k": {str(k): round(v, 4) for k, v in self.pass_at_k.items()},
            "started_at": self.started_at,
            "duration_s": round(self.duration_s, 2),
            **self.totals(),
            "suites": self.suite_table(),
            "results": [s.as_dict() for s in self.scenarios],
        }
        if with_runs:
            data["runs"] = [run.as_dict() for run in self.runs]
        return data

    def suite_table(self) -> dict[str, dict[str, float]]:
        """Per suite: scenarios and mean pass rate."""
        table: dict[str, list[float]] = defaultdict(list)
        for summary in self.scenarios:
            table[summary.suite].append(summary.pass_rate)
        return {
            suite: {"scenarios": len(rates), "pass_rate": round(sum(rates) / len(rates), 4)}
            for suite, rates in sorted(table.items())
        }


def summarize(name: str, runs: Sequence[ScenarioRun]) -> ScenarioSummary:
    """The summary of all trials of the scenario ``name``."""
    turns = sum(run.user_turns for run in runs) or 1
    failing = next((run for run in runs if not run.passed), None)
    return ScenarioSummary(
        name=name,
        suite=runs[0].suite,
        trials=len(runs),
        successes=sum(1 for run in runs if run.passed),
        covers=list(runs[0].covers),
        model_calls_per_turn=sum(run.model_calls for run in runs) / turns,
        prompt_tokens_per_turn=sum(run.prompt_tokens for run in runs) / turns,
        mean_duration_s=sum(run.duration_s for run in runs) / len(runs),
        failures=list(failing.failures) if failing else [],
    )


def aggregate(
    model: str, k: int, runs: Sequence[ScenarioRun], started_at: str = "", duration_s: float = 0.0
) -> EvalResult:
    """Group runs by scenario (in first-seen order) and compute pass^1..k."""
    grouped: dict[str, list[ScenarioRun]] = {}
    for run in runs:
        grouped.setdefault(run.scenario, []).append(run)
    outcomes = {name: [run.passed for run in group] for name, group in grouped.items()}
    return EvalResult(
        model=model,
        k=k,
        runs=list(runs),
        scenarios=[summarize(name, group) for name, group in grouped.items()],
        pass_at_k=pass_curve(outcomes),
        started_at=started_at,
        duration_s=duration_s,
    )
