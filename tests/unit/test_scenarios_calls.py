"""The model-calls benchmark: ours vs the supervisor baseline on the same scenarios and tools."""

from __future__ import annotations

import json

import pytest

from benchmarks.calls import main


def test_calls_benchmark_prints_both_graphs_side_by_side(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--json", "--no-progress", "--scenario", "billing", "--scenario", "plans"]) == 0
    result = json.loads(capsys.readouterr().out)
    keys = {"calls_per_turn", "baseline_calls_per_turn", "pass_rate", "baseline_pass_rate"}
    assert keys <= set(result)
    assert result["scenarios"] == 18
    # The supervisor pays a routing call before and after every specialist.
    assert result["baseline_calls_per_turn"] > result["calls_per_turn"] > 0
    assert result["calls_ratio"] <= 0.6
    assert set(result["per_scenario"]) >= {"billing-list-bills", "plans-change-confirmed"}


def test_supervisor_baseline_routes_and_confirms_like_a_support_bot() -> None:
    from langgraph.checkpoint.memory import InMemorySaver

    from agents.context import Context
    from app.evaluation.runner import isolated_stores
    from app.evaluation.supervisor import build_supervisor_graph
    from app.session import Session
    from tools.store import open_store

    with isolated_stores() as url:
        open_store(url).reset_to_seed()
        context = Context(customer_id="C1001", model="scripted", database_url=url)
        chat = Session(build_supervisor_graph(InMemorySaver()), "sup-1", context)
        asked = chat.send("Please upgrade me to the Unlimited plan.")
        assert asked.agent == "plan_change"
        assert [c["name"] for c in asked.tool_calls] == ["change_plan"]
        assert asked.interrupt is not None
        done = chat.answer("yes")
        assert done.interrupt is None
        line = open_store(url).line("L1001-1")
        assert line is not None and line.plan.plan_id == "unlimited"
