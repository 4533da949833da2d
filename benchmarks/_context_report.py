"""Figures, ratios and acceptance checks of the context benchmark, as JSON or a table."""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from benchmarks._context_probe import PrefixReuse, PromptRecorder
from benchmarks._context_script import Script, fact_retention
from conversation.tokens import get_counter
from conversation.transcript import open_transcript
from llm.factory import SCRIPTED

THREAD = "bench-context"
MODEL = SCRIPTED


@dataclass(frozen=True)
class TurnStats:
    """What one turn cost."""

    prompt_tokens: int
    """Largest prompt of the turn's model calls (what the budget caps)."""
    calls: int
    checkpoint_bytes: int
    overhead_ms: float
    """CPU time of the turn (all threads) minus CPU time inside model calls."""
    overhead_wall_ms: float
    """Wall time of the turn minus time inside model calls (noisy on a busy machine)."""

    interrupts: int = 0


@dataclass
class RunResult:
    """One graph's run over the whole script."""

    name: str
    durability: str = "async"
    turns: list[TurnStats] = field(default_factory=list)
    recorder: PromptRecorder = field(default_factory=PromptRecorder)
    reuse: PrefixReuse = field(default_factory=lambda: PrefixReuse(get_counter(MODEL)))
    checkpoint_total: int = 0
    state_bytes: int = 0
    """Size of the thread's latest checkpoint (the state a new turn loads)."""
    checkpoints: dict[int, str] = field(default_factory=dict)
    """Checkpoint id after turn N, for the turns overhead replays start from."""
    overhead: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    """(CPU ms, wall ms) of the replayed ``early`` and ``late`` turns."""
    last_prompt: str = ""


def _window(total: int, start_share: float, end_share: float) -> tuple[int, int]:
    """Turn range (1-based, inclusive) scaled to the run: 40–50 and 450–500 of 500."""
    start = max(1, round(total * start_share))
    return start, max(start, round(total * end_share))


def _pick(
    turns: list[TurnStats], span: tuple[int, int], key: Callable[[TurnStats], float]
) -> list[float]:
    """Values of ``key`` for the turns in ``span``."""
    return [key(t) for t in turns[span[0] - 1 : span[1]]]


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile by nearest rank (0 for no values)."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def _median(samples: list[tuple[float, float]] | None, index: int) -> float:
    """Median of one column of overhead samples (0 without samples)."""
    return statistics.median(s[index] for s in samples) if samples else 0.0


def summarize_run(run: RunResult, total: int) -> dict[str, Any]:
    """Prompt, checkpoint and overhead figures of one run."""
    early, late = _window(total, 0.08, 0.10), _window(total, 0.90, 1.0)
    tokens = [float(t.prompt_tokens) for t in run.turns]
    return {
        "early_turns": list(early),
        "late_turns": list(late),
        "prompt_tokens_p50_early": percentile(tokens[early[0] - 1 : early[1]], 0.5),
        "prompt_tokens_p95_early": percentile(tokens[early[0] - 1 : early[1]], 0.95),
        "prompt_tokens_p50_late": percentile(tokens[late[0] - 1 : late[1]], 0.5),
        "prompt_tokens_p95_late": percentile(tokens[late[0] - 1 : late[1]], 0.95),
        "prompt_tokens_turn500": run.turns[-1].prompt_tokens,
        "prompt_tokens_max": max(t.prompt_tokens for t in run.turns),
        "checkpoint_bytes_total": run.checkpoint_total,
        "checkpoint_bytes_per_turn_early": statistics.mean(
            _pick(run.turns, early, lambda t: t.checkpoint_bytes)
        ),
        "checkpoint_bytes_per_turn_late": statistics.mean(
            _pick(run.turns, late, lambda t: t.checkpoint_bytes)
        ),
        "state_bytes_turn500": run.state_bytes,
        "overhead_ms_turn10": _median(run.overhead.get("early"), 0),
        "overhead_ms_turn500": _median(run.overhead.get("late"), 0),
        "overhead_wall_ms_turn10": _median(run.overhead.get("early"), 1),
        "overhead_wall_ms_turn500": _median(run.overhead.get("late"), 1),
        "model_calls": sum(t.calls for t in run.turns),
        "turns_without_model_call": sum(1 for t in run.turns if t.calls == 0),
        "interrupts_declined": sum(t.interrupts for t in run.turns),
        "prefix_reuse_share": round(run.reuse.share, 3),
        "durability": run.durability,
    }


def transcript_check(total: int) -> dict[str, Any]:
    """Whether the transcript store holds every user turn and a reply to each, in order."""
    try:
        records = list(open_transcript().export(THREAD))
    except LookupError:
        return {"transcript_user_turns": 0, "transcript_replies": 0, "transcript_in_order": False}
    roles = [r["role"] for r in records if r["role"] in ("user", "assistant") and r["content"]]
    users = roles.count("user")
    pairs = sum(1 for a, b in itertools.pairwise(roles) if a == "user" and b == "assistant")
    seqs = [r["seq"] for r in records]
    return {
        "transcript_user_turns": users,
        "transcript_replies": pairs,
        "transcript_in_order": seqs == sorted(seqs) and users == total and pairs == total,
    }


def _ratio(a: float, b: float) -> float:
    """a / b, rounded (0 when b is 0)."""
    return round(a / b, 2) if b else 0.0


def build_report(
    ours: RunResult, baseline: RunResult, script: Script, budget: int, graph: str
) -> dict[str, Any]:
    """The JSON report: our figures, the baseline's, ratios and acceptance checks."""
    total = len(script.turns)
    mine = summarize_run(ours, total)
    base = summarize_run(baseline, total)
    retention, detail = fact_retention(ours.last_prompt, script.facts)
    base_retention, _ = fact_retention(baseline.last_prompt, script.facts)
    report: dict[str, Any] = {
        "graph": graph,
        "turns": total,
        "budget_tokens": budget,
        "token_counter": get_counter(MODEL).name,
        **mine,
        **{f"baseline_{k}": v for k, v in base.items() if not k.endswith("_turns")},
        "fact_retention": retention,
        "fact_retention_detail": detail,
        "baseline_fact_retention": base_retention,
        **transcript_check(total),
    }
    for key in (
        "prompt_tokens_turn500",
        "prompt_tokens_p95_late",
        "checkpoint_bytes_per_turn_late",
        "checkpoint_bytes_total",
        "state_bytes_turn500",
    ):
        report[f"ratio_{key}"] = _ratio(base[key], mine[key])
    report["acceptance"] = {
        "late_p95_within_1_1x_early": mine["prompt_tokens_p95_late"]
        <= 1.1 * mine["prompt_tokens_p95_early"],
        "never_above_budget": mine["prompt_tokens_max"] <= budget,
        "checkpoint_total_20x_smaller": report["ratio_checkpoint_bytes_total"] >= 20,
        "overhead_late_within_1_3x": mine["overhead_ms_turn500"]
        <= 1.3 * mine["overhead_ms_turn10"],
        "fact_retention_100": retention == 1.0,
        "transcript_complete": report["transcript_in_order"],
    }
    return report


ROWS = (
    ("prompt tokens p50 early", "prompt_tokens_p50_early"),
    ("prompt tokens p95 early", "prompt_tokens_p95_early"),
    ("prompt tokens p50 late", "prompt_tokens_p50_late"),
    ("prompt tokens p95 late", "prompt_tokens_p95_late"),
    ("prompt tokens last turn", "prompt_tokens_turn500"),
    ("prompt tokens max", "prompt_tokens_max"),
    ("checkpoint B/turn early", "checkpoint_bytes_per_turn_early"),
    ("checkpoint B/turn late", "checkpoint_bytes_per_turn_late"),
    ("checkpoint B total", "checkpoint_bytes_total"),
    ("state B at last turn", "state_bytes_turn500"),
    ("overhead CPU ms ~turn 10", "overhead_ms_turn10"),
    ("overhead CPU ms last 10", "overhead_ms_turn500"),
    ("overhead wall ms ~turn 10", "overhead_wall_ms_turn10"),
    ("overhead wall ms last 10", "overhead_wall_ms_turn500"),
    ("prefix reuse share", "prefix_reuse_share"),
    ("fact retention", "fact_retention"),
)


def _fmt(value: Any) -> str:
    """A number for the table."""
    if isinstance(value, float):
        return f"{value:,.2f}" if value < 100 else f"{value:,.0f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def print_table(report: dict[str, Any]) -> None:
    """The report as a side-by-side table, then the acceptance checks."""
    early, late = report["early_turns"], report["late_turns"]
    print(
        f"context benchmark: {report['turns']} turns, graph {report['graph']!r}, budget "
        f"{report['budget_tokens']} tokens, counter {report['token_counter']}, durability "
        f"ours {report['durability']} / baseline {report['baseline_durability']}"
    )
    print(f"early = turns {early[0]}-{early[1]}, late = turns {late[0]}-{late[1]}")
    print(f"{'':28}{'ours':>14}{'baseline':>14}{'base/ours':>11}")
    for label, key in ROWS:
        mine, base = report[key], report.get(f"baseline_{key}", 0)
        ratio = _ratio(float(base), float(mine))
        print(f"{label:28}{_fmt(mine):>14}{_fmt(base):>14}{ratio!s:>11}")
    print(
        f"transcript: {report['transcript_user_turns']} user turns, "
        f"{report['transcript_replies']} replies, in order: {report['transcript_in_order']}"
    )
    print(f"facts in the last prompt: {report['fact_retention_detail']}")
    for check, ok in report["acceptance"].items():
        print(f"  [{'ok' if ok else 'FAIL'}] {check}")
