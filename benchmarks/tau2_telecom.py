"""``switchboard bench tau2_telecom``: our graph vs τ²'s reference agent in the τ² telecom domain.

Both agents run on the same model and the same tasks, scored by τ²'s evaluator.
``--mode solo`` (the default): τ²'s no-user mode — the agent gets the ticket, its own and the
device's tools and τ²'s solo policy; the reference is τ²'s ``LLMSoloAgent``. ``--mode dual``:
τ²'s user simulator plays the customer (on the same model unless ``--user-model`` says
otherwise); the reference is τ²'s ``LLMAgent``. Reports pass^1 and pass^k (``-k``), seconds,
model calls and prompt tokens per task, crashes and how each run ended, side by side.
``--gold`` instead replays each task's reference actions through our tool layer (no model)
and checks τ²'s reward, in the chosen mode.

Tune on ``--split train``; report on ``--split test``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from collections.abc import Sequence
from typing import Any

from tqdm import tqdm

from app.evaluation.passk import pass_curve
from app.evaluation.tau2.domain import Tau2Unavailable, load_tasks, require_tau2
from app.evaluation.tau2.replay import replay_task
from app.evaluation.tau2.run import AGENT_KINDS, run_solo_task, run_task

MODES = ("solo", "dual")
"""``solo``: τ²'s no-user mode (ticket, agent and device tools); ``dual``: agent and simulated
customer."""


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(prog="switchboard bench tau2_telecom", description=__doc__)
    parser.add_argument(
        "--mode",
        choices=MODES,
        default="solo",
        help="solo: the agent alone with the ticket (default); dual: with τ²'s user simulator",
    )
    parser.add_argument("--model", default="local", help="model spec for both agents")
    parser.add_argument("--user-model", default="", help="dual mode: τ²'s user simulator model")
    parser.add_argument("--split", default="test", help="base, train, test, small or full")
    parser.add_argument("--limit", type=int, default=5, help="first N tasks (0 = the whole split)")
    parser.add_argument("-k", type=int, default=1, help="trials per task (pass^k)")
    parser.add_argument(
        "--agents", default="switchboard,reference", help="comma list: switchboard,reference"
    )
    parser.add_argument("--max-steps", type=int, default=100, help="τ² simulation step limit")
    parser.add_argument("--gold", action="store_true", help="gold replay through our tools")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--no-progress", action="store_true", help="no progress lines (one per run) on stderr"
    )
    return parser.parse_args(list(argv))


def gold(args: argparse.Namespace) -> dict[str, Any]:
    """Gold replay of the split: our tool layer must reproduce τ²'s reward on every task."""

    tasks = load_tasks(args.split)
    if args.limit:
        tasks = tasks[: args.limit]
    solo = args.mode == "solo"
    bar = tqdm(tasks, disable=args.no_progress, file=sys.stderr)
    results = [replay_task(t, solo=solo) for t in bar]
    agree = sum(1 for r in results if r.agrees)
    return {
        "mode": args.mode,
        "split": args.split,
        "tasks": len(results),
        "agree": agree,
        "reward_ours": sum(r.reward_ours for r in results),
        "reward_tau2": sum(r.reward_tau2 for r in results),
        "disagreements": [r.as_dict() for r in results if not r.agrees],
    }


def _progress(index: int, total: int, outcome: Any) -> None:
    """One line on stderr per finished run."""
    print(
        f"[{index}/{total}] {outcome.agent:11} reward {outcome.reward:.0f}  "
        f"{outcome.ending or outcome.termination:28} {outcome.duration_s:7.1f}s  "
        f"{outcome.model_calls:3} calls  {outcome.task_id}",
        file=sys.stderr,
        flush=True,
    )


def _per_task(runs: list[Any], attribute: str) -> float:
    return round(sum(getattr(o, attribute) for o in runs) / max(1, len(runs)), 2)


def summarize(runs: list[Any]) -> dict[str, Any]:
    """One agent's figures: pass^k, cost per task, crashes and how its runs ended."""

    per_task: dict[str, list[bool]] = {}
    for outcome in runs:
        per_task.setdefault(outcome.task_id, []).append(outcome.success)
    curve = pass_curve(per_task)
    return {
        "pass_at_1": round(curve.get(1, 0.0), 4),
        "pass_at_k": {str(k): round(v, 4) for k, v in curve.items()},
        "seconds_per_task": _per_task(runs, "duration_s"),
        "model_calls_per_task": _per_task(runs, "model_calls"),
        "prompt_tokens_per_task": _per_task(runs, "prompt_tokens"),
        "crashes": sum(1 for o in runs if o.termination == "crash"),
        "endings": dict(Counter(o.ending or o.termination for o in runs).most_common()),
        "runs": [o.as_dict() for o in runs],
    }


def compare(args: argparse.Namespace) -> dict[str, Any]:
    """Run the chosen agents on the same tasks and model; pass^k and cost per task."""

    agents = [a.strip() for a in args.agents.split(",") if a.strip()]
    unknown = set(agents) - set(AGENT_KINDS)
    if unknown:
        raise SystemExit(f"Unknown agent(s) {sorted(unknown)}; choose from {AGENT_KINDS}.")
    tasks = load_tasks(args.split)
    if args.limit:
        tasks = tasks[: args.limit]
    user_model = args.user_model or args.model
    outcomes: dict[str, list[Any]] = {agent: [] for agent in agents}
    total, done = len(tasks) * len(agents) * args.k, 0
    for trial in range(args.k):
        for task in tasks:
            for agent in agents:
                if args.mode == "solo":
                    outcome = run_solo_task(
                        task, agent, args.model, trial=trial, max_steps=args.max_steps
                    )
                else:
                    outcome = run_task(
                        task, agent, args.model, user_model, trial=trial, max_steps=args.max_steps
                    )
                outcomes[agent].append(outcome)
                done += 1
                if not args.no_progress:
                    _progress(done, total, outcome)
    result: dict[str, Any] = {
        "mode": args.mode,
        "split": args.split,
        "tasks": len(tasks),
        "model": args.model,
        "k": args.k,
        "agents": {agent: summarize(runs) for agent, runs in outcomes.items()},
    }
    if args.mode == "dual":
        result["user_model"] = user_model
    return result


def report(result: dict[str, Any]) -> str:
    """Side-by-side lines for people: the figures, how runs ended, and each task."""
    if "agree" in result:
        return (
            f"gold replay ({result['mode']} mode) on {result['split']}: "
            f"{result['agree']}/{result['tasks']} tasks give "
            f"τ²'s reward through our tools (ours {result['reward_ours']}, "
            f"τ² {result['reward_tau2']})"
        )
    users = f" (user simulator {result['user_model']})" if "user_model" in result else ""
    agents = result["agents"]
    lines = [
        f"τ² telecom {result['mode']} mode, {result['split']}: {result['tasks']} tasks × "
        f"k={result['k']}, model {result['model']}{users}",
        f"  {'agent':12} {'pass^1':>7} {'pass^k':>7} {'s/task':>8} {'calls/task':>10} "
        f"{'prompt tok/task':>15} {'crashes':>7}",
    ]
    for agent, row in agents.items():
        last = row["pass_at_k"].get(str(result["k"]), 0.0)
        lines.append(
            f"  {agent:12} {row['pass_at_1']:>7} {last:>7} {row['seconds_per_task']:>8} "
            f"{row['model_calls_per_task']:>10} {row['prompt_tokens_per_task']:>15} "
            f"{row['crashes']:>7}"
        )
    lines.append("  how runs ended:")
    for agent, row in agents.items():
        endings = ", ".join(f"{name} {count}" for name, count in row["endings"].items())
        lines.append(f"    {agent:12} {endings}")
    lines.append("  per task (reward, ending, reference actions no call matched):")
    names = list(agents)
    for index, first in enumerate(agents[names[0]]["runs"]):
        cells = []
        for agent in names:
            run = agents[agent]["runs"][index]
            cell = f"{agent} {run['reward']:.0f} {run['ending'] or run['termination']}"
            if run.get("missed"):
                cell += f" (missed {', '.join(run['missed'])})"
            cells.append(cell)
        lines.append(f"    {first['task_id'][:70]:70} " + " | ".join(cells))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``switchboard bench tau2_telecom``."""

    args = parse_args(argv if argv is not None else sys.argv[1:])
    try:
        require_tau2()
    except Tau2Unavailable as error:
        print(f"switchboard bench tau2_telecom: {error}", file=sys.stderr)
        return 2
    if args.model.startswith("local"):
        # τ²'s policy and tools need a longer context than chat turns do.
        os.environ.setdefault("SWITCHBOARD_LOCAL_CTX", "16384")
        # The reference's first call reads the whole policy and 44 tool schemas (~10k tokens):
        # on 2 shared cores that took longer than the factory's 600 s local default.
        os.environ.setdefault("SWITCHBOARD_MODEL_TIMEOUT", "3600")
    result = gold(args) if args.gold else compare(args)
    print(json.dumps(result) if args.json else report(result))
    if args.gold:
        return 0 if result["agree"] == result["tasks"] else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
