"""Upload an evaluation to LangSmith as an experiment (only when a LangSmith key is set)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from langsmith import Client

from app.evaluation.results import EvalResult
from app.evaluation.scenarios import Scenario

log = logging.getLogger(__name__)

DATASET = "switchboard-scenarios"


def scenario_example(scenario: Scenario) -> tuple[dict[str, Any], dict[str, Any]]:
    """The (inputs, reference outputs) of one scenario as a LangSmith example."""
    inputs = {
        "scenario": scenario.name,
        "suite": scenario.suite,
        "customer": scenario.customer,
        "turns": [t.text for t in scenario.turns],
    }
    reference = {
        "tools": [list(t.expect.tools or []) for t in scenario.turns],
        "covers": list(scenario.covers),
    }
    return inputs, reference


def ensure_dataset(client: Any, scenarios: list[Scenario], name: str = DATASET) -> Any:
    """The dataset holding one example per scenario (created, or extended with new ones)."""
    if client.has_dataset(dataset_name=name):
        dataset = client.read_dataset(dataset_name=name)
        known = {ex.inputs.get("scenario") for ex in client.list_examples(dataset_id=dataset.id)}
    else:
        dataset = client.create_dataset(
            dataset_name=name, description="Switchboard multi-turn scenario suites"
        )
        known = set()
    fresh = [scenario_example(s) for s in scenarios if s.name not in known]
    if fresh:
        client.create_examples(
            dataset_id=dataset.id,
            examples=[{"inputs": inputs, "outputs": outputs} for inputs, outputs in fresh],
        )
    return dataset


def upload_experiment(
    result: EvalResult, scenarios: list[Scenario], client: Any = None, prefix: str = "switchboard"
) -> str | None:
    """Record ``result`` as a LangSmith experiment on the scenario dataset; returns its name.

    The experiment replays the stored outcomes (no model is called again): each example's
    output is the scenario's recorded run, with ``pass`` and ``pass_rate`` feedback.
    """
    if client is None:
        client = Client()
    ensure_dataset(client, scenarios)
    by_name = {s.name: s for s in result.scenarios}

    def target(inputs: Mapping[str, Any]) -> dict[str, Any]:
        summary = by_name.get(str(inputs.get("scenario")))
        return summary.as_dict() if summary else {"missing": True}

    def passed(outputs: Mapping[str, Any], reference_outputs: Mapping[str, Any]) -> dict[str, Any]:
        rate = float(outputs.get("pass_rate", 0.0))
        return {"key": "pass", "score": 1.0 if rate >= 1.0 else 0.0}

    def pass_rate(outputs: Mapping[str, Any], reference_outputs: Mapping[str, Any]) -> dict:
        return {"key": "pass_rate", "score": float(outputs.get("pass_rate", 0.0))}

    names = [s.name for s in scenarios if s.name in by_name]
    examples = [
        ex
        for ex in client.list_examples(dataset_name=DATASET)
        if ex.inputs.get("scenario") in names
    ]
    outcome = client.evaluate(
        target,
        data=examples,
        evaluators=[passed, pass_rate],
        experiment_prefix=f"{prefix}-{result.model}",
        metadata={"model": result.model, "k": result.k, "pass_at_1": result.pass_at_1},
        max_concurrency=0,
    )
    name = getattr(outcome, "experiment_name", None)
    log.info("uploaded the evaluation to LangSmith as experiment %s", name)
    return str(name) if name else None
