"""``switchboard bench calls``: model calls and prompt tokens per turn, ours vs a supervisor graph.

Both graphs run the scenario suite (data/scenarios) with the same model (the scripted one by
default), the same sub-agents, prompts and tools, and a fresh telco store per scenario. The
baseline is a supervisor graph in which a model call decides every handoff (before and after
each specialist). Both are judged on observable behaviour only (tools, replies,
confirmations, end state, forbidden actions), since the baseline keeps none of our engine's
internal state.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from typing import Any

from app.evaluation.evaluate import evaluate
from app.evaluation.runner import default_graph_factory
from app.evaluation.scenarios import behavioural, load_scenarios, tuned_scenarios
from app.evaluation.supervisor import build_supervisor_graph
from app.observability.setup import Observability
from llm.factory import SCRIPTED

TARGET_RATIO = 0.6
"""Ours must use at most this share of the baseline's model calls per turn."""


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(prog="switchboard bench calls", description=__doc__)
    parser.add_argument("--model", default=SCRIPTED, help="model spec for both graphs")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--scenario", action="append", default=[], metavar="NAME", help="only this scenario/suite"
    )
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bars")
    return parser.parse_args(list(argv))


def measure(args: argparse.Namespace) -> dict[str, Any]:
    """Run the suite on both graphs and compare calls, tokens and pass rates."""
    chosen = load_scenarios(names=args.scenario)
    scenarios = [behavioural(s) for s in (chosen if args.scenario else tuned_scenarios(chosen))]
    results = {}
    for name, factory in (("ours", default_graph_factory), ("baseline", build_supervisor_graph)):
        results[name] = evaluate(
            scenarios,
            args.model,
            1,
            graph_factory=factory,
            observability=Observability(env={}),
            progress=not args.no_progress,
        )
    ours, base = results["ours"].totals(), results["baseline"].totals()
    calls, base_calls = ours["calls_per_turn"], base["calls_per_turn"]
    ratio = calls / base_calls if base_calls else 0.0
    pass_rate = results["ours"].pass_at_1
    base_rate = results["baseline"].pass_at_1
    per_scenario = {
        s.name: {
            "calls_per_turn": round(s.model_calls_per_turn, 3),
            "baseline_calls_per_turn": round(b.model_calls_per_turn, 3),
            "passed": s.successes == s.trials,
            "baseline_passed": b.successes == b.trials,
        }
        for s, b in zip(results["ours"].scenarios, results["baseline"].scenarios, strict=True)
    }
    return {
        "model": args.model,
        "scenarios": len(scenarios),
        "user_turns": ours["user_turns"],
        "calls_per_turn": calls,
        "baseline_calls_per_turn": base_calls,
        "calls_ratio": round(ratio, 4),
        "prompt_tokens_per_turn": ours["prompt_tokens_per_turn"],
        "baseline_prompt_tokens_per_turn": base["prompt_tokens_per_turn"],
        "pass_rate": round(pass_rate, 4),
        "baseline_pass_rate": round(base_rate, 4),
        "target_ratio": TARGET_RATIO,
        "meets_target": ratio <= TARGET_RATIO and pass_rate >= base_rate,
        "per_scenario": per_scenario,
    }


def report(result: dict[str, Any]) -> str:
    """Side-by-side lines for people."""
    return "\n".join(
        [
            f"model calls per user turn over {result['scenarios']} scenarios "
            f"({result['user_turns']} user turns, model {result['model']}):",
            f"  {'':10} {'ours':>10} {'supervisor':>12}",
            f"  {'calls':10} {result['calls_per_turn']:>10} "
            f"{result['baseline_calls_per_turn']:>12}",
            f"  {'tokens':10} {result['prompt_tokens_per_turn']:>10} "
            f"{result['baseline_prompt_tokens_per_turn']:>12}",
            f"  {'pass rate':10} {result['pass_rate']:>10} {result['baseline_pass_rate']:>12}",
            f"  calls ratio ours/baseline = {result['calls_ratio']} "
            f"(target <= {result['target_ratio']} at equal or better pass rate: "
            f"{'met' if result['meets_target'] else 'NOT met'})",
        ]
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``switchboard bench calls``."""
    args = parse_args(argv if argv is not None else sys.argv[1:])
    logging.getLogger("switchboard.turns").setLevel(logging.WARNING)
    result = measure(args)
    if args.json:
        print(json.dumps(result))
    else:
        print(report(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
