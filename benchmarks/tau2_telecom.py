"""``switchboard bench tau2_telecom``: our graph vs τ²'s reference agent in the τ² telecom domain.

Both agents run on the same model and the same tasks, with τ²'s user simulator (on the same
model unless ``--user-model`` says otherwise) and τ²'s environment evaluator. Reports pass^1
(and pass^k with ``-k``) side by side with the time per task. ``--gold`` instead replays each
task's reference actions through our tool layer (no model) and checks τ²'s reward.

Tune on ``--split train``; report on ``--split test``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from typing import Any

from tqdm import tqdm

from app.evaluation.passk import pass_curve
from app.evaluation.tau2.domain import Tau2Unavailable, load_tasks, require_tau2
from app.evaluation.tau2.replay import replay_task
from app.evaluation.tau2.run import AGENT_KINDS, run_task


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(prog="switchboard bench tau2_telecom", description=__doc__)
    parser.add_argument("--model", default="local", help="model spec for both agents")
    parser.add_argument("--user-model", default="", help="model of τ²'s user simulator")
    parser.add_argument("--split", default="test", help="base, train, test, small or full")
    parser.add_argument("--limit", type=int, default=5, help="first N tasks (0 = the whole split)")
    parser.add_argument("-k", type=int, default=1, help="trials per task (pass^k)")
    parser.add_argument(
        "--agents", default="switchboard,reference", help="comma list: switchboard,reference"
    )
    parser.add_argument("--max-steps", type=int, default=100, help="τ² simulation step limit")
    parser.add_argument("--gold", action="store_true", help="gold replay through our tools")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    return parser.parse_args(list(argv))


def gold(args: argparse.Namespace) -> dict[str, Any]:
    """Gold replay of the split: our tool layer must reproduce τ²'s reward on every task."""
    tasks = load_tasks(args.split)
    if args.limit:
        tasks = tasks[: args.limit]
    results = [replay_task(t) for t in tqdm(tasks, disable=args.no_progress, file=sys.stderr)]
    agree = sum(1 for r in results if r.agrees)
    return {
        "split": args.split,
        "tasks": len(results),
        "agree": agree,
        "reward_ours": sum(r.reward_ours for r in results),
        "reward_tau2": sum(r.reward_tau2 for r in results),
        "disagreements": [r.as_dict() for r in results if not r.agrees],
    }


def compare(args: argparse.Namespace) -> dict[str, Any]:
    """Run the chosen agents on the same tasks and model; pass^k and time per task."""
    agents = [a.strip() for a in args.agents.split(",") if a.strip()]
    unknown = set(agents) - set(AGENT_KINDS)
    if unknown:
        raise SystemExit(f"Unknown agent(s) {sorted(unknown)}; choose from {AGENT_KINDS}.")
    tasks = load_tasks(args.split)
    if args.limit:
        tasks = tasks[: args.limit]
    user_model = args.user_model or args.model
    outcomes: dict[str, list[Any]] = {agent: [] for agent in agents}
    bar = tqdm(total=len(tasks) * len(agents) * args.k, disable=args.no_progress, file=sys.stderr)
    with bar:
        for trial in range(args.k):
            for task in tasks:
                for agent in agents:
                    bar.set_postfix_str(f"{agent} {str(task.id)[:40]}", refresh=False)
                    outcomes[agent].append(
                        run_task(
                            task,
                            agent,
                            args.model,
                            user_model,
                            trial=trial,
                            max_steps=args.max_steps,
                        )
                    )
                    bar.update(1)
    summary: dict[str, Any] = {}
    for agent, runs in outcomes.items():
        per_task: dict[str, list[bool]] = {}
        for outcome in runs:
            per_task.setdefault(outcome.task_id, []).append(outcome.success)
        curve = pass_curve(per_task)
        summary[agent] = {
            "pass_at_1": round(curve.get(1, 0.0), 4),
            "pass_at_k": {str(k): round(v, 4) for k, v in curve.items()},
            "seconds_per_task": round(sum(o.duration_s for o in runs) / max(1, len(runs)), 2),
            "crashes": sum(1 for o in runs if o.termination == "crash"),
            "runs": [o.as_dict() for o in runs],
        }
    return {
        "split": args.split,
        "model": args.model,
        "user_model": user_model,
        "tasks": len(tasks),
        "k": args.k,
        "agents": summary,
    }


def report(result: dict[str, Any]) -> str:
    """Side-by-side lines for people."""
    if "agree" in result:
        return (
            f"gold replay on {result['split']}: {result['agree']}/{result['tasks']} tasks give "
            f"τ²'s reward through our tools (ours {result['reward_ours']}, "
            f"τ² {result['reward_tau2']})"
        )
    lines = [
        f"τ² telecom {result['split']}: {result['tasks']} tasks × k={result['k']}, "
        f"model {result['model']} (user simulator {result['user_model']})",
        f"  {'agent':12} {'pass^1':>8} {'pass^k':>8} {'s/task':>8} {'crashes':>8}",
    ]
    for agent, row in result["agents"].items():
        last = row["pass_at_k"].get(str(result["k"]), 0.0)
        lines.append(
            f"  {agent:12} {row['pass_at_1']:>8} {last:>8} {row['seconds_per_task']:>8} "
            f"{row['crashes']:>8}"
        )
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
    result = gold(args) if args.gold else compare(args)
    print(json.dumps(result) if args.json else report(result))
    if args.gold:
        return 0 if result["agree"] == result["tasks"] else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
