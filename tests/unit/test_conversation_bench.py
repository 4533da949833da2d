"""The context benchmark runs end to end on a short script (engine stand-in graph)."""

from __future__ import annotations

import json

import pytest

from benchmarks._context_script import load_script
from benchmarks.context import main

REQUIRED = {
    "prompt_tokens_p95_early",
    "prompt_tokens_p95_late",
    "prompt_tokens_turn500",
    "baseline_prompt_tokens_turn500",
    "checkpoint_bytes_total",
    "baseline_checkpoint_bytes_total",
    "overhead_ms_turn10",
    "overhead_ms_turn500",
    "prefix_reuse_share",
    "fact_retention",
    "budget_tokens",
}


def test_script_states_and_corrects_a_fact_early_and_ends_with_the_recall_question() -> None:
    script = load_script(40)
    assert len(script.turns) == 40
    assert "555-0148" in script.turns[2] and "555-0172" in script.turns[6]
    assert script.turns[-1] == script.scripted[40]
    assert len(set(script.turns)) > 35  # chit-chat fills the rest


def test_bench_context_json_on_the_standin_graph(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--turns", "40", "--graph", "standin", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report) >= REQUIRED
    assert report["prompt_tokens_max"] <= report["budget_tokens"]
    assert report["fact_retention"] == 1.0
    assert report["baseline_fact_retention"] < 1.0  # the old number is still in its history
    assert report["transcript_user_turns"] == 40 and report["transcript_in_order"]
    assert report["baseline_prompt_tokens_turn500"] > report["prompt_tokens_turn500"]
