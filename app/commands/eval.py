"""``switchboard eval``: run the scenario suites against a model and report pass^1 / pass^k."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from datetime import UTC, datetime
from pathlib import Path

from app.evaluation.evaluate import evaluate
from app.evaluation.langsmith_upload import upload_experiment
from app.evaluation.report import write_report
from app.evaluation.results import EvalResult
from app.evaluation.scenarios import ScenarioError, load_scenarios
from app.observability.langsmith import langsmith_enabled
from app.observability.metrics import format_stats
from app.observability.setup import Observability
from app.runtime import SetupError, model_spec
from conversation.paths import data_dir


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``eval``."""
    parser = subparsers.add_parser(
        "eval",
        help="run the scenario suites (data/scenarios) and report pass^k",
        description=(
            "Run every scenario of data/scenarios/*.yaml against the support graph, k times each "
            "with a fresh telco store, and write results.json, report.md and report.html."
        ),
    )
    parser.add_argument("--model", help="model spec (default: $SWITCHBOARD_MODEL or the default)")
    parser.add_argument("-k", type=int, default=1, help="trials per scenario (pass^k), default 1")
    parser.add_argument(
        "--scenario",
        action="append",
        default=[],
        metavar="NAME",
        help="run only this scenario or suite (repeatable)",
    )
    parser.add_argument("--report", metavar="DIR", help="report folder (default: data dir)")
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    parser.add_argument("--list", action="store_true", help="list the scenarios and exit")
    parser.add_argument("--stats", action="store_true", help="print turn metrics at the end")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    parser.add_argument(
        "--no-upload", action="store_true", help="do not upload to LangSmith even with a key"
    )
    parser.set_defaults(run=run)


def default_report_dir(model: str) -> Path:
    """``<data dir>/reports/eval-<model>-<timestamp>``."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in model)
    return data_dir() / "reports" / f"eval-{safe}-{stamp}"


def run(args: argparse.Namespace) -> int:
    """Run the evaluation; exit 0 when every scenario passed every trial, 1 otherwise."""
    try:
        scenarios = load_scenarios(names=args.scenario)
        if args.list:
            for scenario in scenarios:
                print(f"{scenario.suite:14} {scenario.name:48} {scenario.description[:60]}")
            return 0
        if args.k < 1:
            raise SetupError(f"-k must be at least 1, not {args.k}.")
        spec = model_spec(args.model)
    except (ScenarioError, SetupError) as error:
        print(f"switchboard eval: {error}", file=sys.stderr)
        return 2
    logging.getLogger("switchboard.turns").setLevel(logging.WARNING)
    observability = Observability.from_env()
    try:
        result = evaluate(
            scenarios, spec, args.k, observability=observability, progress=not args.no_progress
        )
    finally:
        observability.shutdown()
    report_dir = Path(args.report) if args.report else default_report_dir(spec)
    files = write_report(result, report_dir)
    experiment = None
    if langsmith_enabled(observability.env) and not args.no_upload:
        try:
            experiment = upload_experiment(result, scenarios)
        except Exception as error:  # the local report is the result; the upload is a copy
            print(f"switchboard eval: LangSmith upload failed: {error}", file=sys.stderr)
    if args.json:
        payload = result.as_dict()
        payload["report"] = {name: str(path) for name, path in files.items()}
        payload["langsmith_experiment"] = experiment
        print(json.dumps(payload, default=str))
    else:
        print(_summary(result, files["html"]))
    if args.stats:
        print(format_stats(observability.metrics.summary()), file=sys.stderr)
    return 0 if result.passed == len(result.scenarios) else 1


def _summary(result: object, html: Path) -> str:
    """A few human-readable lines."""
    assert isinstance(result, EvalResult)
    lines = [
        f"{result.passed}/{len(result.scenarios)} scenarios passed with model {result.model} "
        f"(k={result.k}): " + ", ".join(f"pass^{k}={v:.3f}" for k, v in result.pass_at_k.items())
    ]
    for summary in result.scenarios:
        if summary.successes < summary.trials:
            first = summary.failures[0] if summary.failures else ""
            lines.append(f"  FAIL {summary.name} ({summary.successes}/{summary.trials}): {first}")
    lines.append(f"report: {html}")
    return "\n".join(lines)
