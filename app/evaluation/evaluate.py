"""Run a scenario suite k times against a model, with a progress bar, and aggregate pass^k."""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from tqdm import tqdm

from app.evaluation.results import EvalResult, aggregate
from app.evaluation.runner import (
    GraphFactory,
    ScenarioRun,
    ScenarioRunner,
    default_graph_factory,
    isolated_stores,
)
from app.evaluation.scenarios import Scenario
from app.observability.setup import Observability


def evaluate(
    scenarios: Sequence[Scenario],
    model: str,
    k: int = 1,
    *,
    graph_factory: GraphFactory = default_graph_factory,
    observability: Observability | None = None,
    database_url: str | None = None,
    progress: bool = True,
) -> EvalResult:
    """Run every scenario ``k`` times (fresh store each time) and aggregate the outcomes."""
    if k < 1:
        raise ValueError(f"k must be at least 1, not {k}.")
    started = time.perf_counter()
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    runs: list[ScenarioRun] = []
    with isolated_stores() as private_url:
        runner = ScenarioRunner(
            model,
            database_url or private_url,
            graph_factory=graph_factory,
            observability=observability,
        )
        bar: Any = tqdm(
            total=len(scenarios) * k,
            desc=f"eval {model}",
            unit="run",
            file=sys.stderr,
            disable=not progress,
            dynamic_ncols=True,
        )
        with bar:
            for trial in range(k):
                for scenario in scenarios:
                    bar.set_postfix_str(scenario.name[:32], refresh=False)
                    runs.append(runner.run(scenario, trial))
                    failed = sum(1 for run in runs if not run.passed)
                    bar.set_description(f"eval {model} ({failed} failed)")
                    bar.update(1)
    return aggregate(model, k, runs, started_at, time.perf_counter() - started)
