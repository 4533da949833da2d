"""Scenario suites: valid files that cover the product, all passed by the scripted model."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.evaluation.checks import TurnRecord, check_forbidden, check_turn, trajectory_matches
from app.evaluation.evaluate import evaluate
from app.evaluation.passk import pass_curve, pass_hat_k
from app.evaluation.results import EvalResult
from app.evaluation.scenarios import (
    HELD_OUT_SUITES,
    Forbid,
    Scenario,
    ScenarioError,
    TurnExpect,
    load_file,
    load_scenarios,
    tuned_scenarios,
)
from app.observability.setup import Observability

INTENTS = {"billing", "plan_change", "tech_support", "out_of_scope"}
BEHAVIOURS = {
    "digression",
    "resume",
    "correction",
    "cancel",
    "confirm:yes",
    "confirm:no",
    "multi_intent",
    "off_topic",
    "handoff",
    "fold",
    "hostile",
    "verification",
    "cross_account",
}


@pytest.fixture(scope="module")
def scenarios() -> list[Scenario]:
    return load_scenarios()


@pytest.fixture(scope="module")
def scripted_result(scenarios: list[Scenario]) -> EvalResult:
    """The whole suite once with the scripted model (about 20 s)."""
    return evaluate(scenarios, "scripted", 1, observability=Observability(env={}), progress=False)


def test_the_held_out_suite_has_twenty_scenarios_in_new_words(scenarios: list[Scenario]) -> None:
    held_out = [s for s in scenarios if s.suite in HELD_OUT_SUITES]
    assert len(held_out) >= 20
    covers = {label for s in held_out for label in s.covers}
    assert {"typo", "multi_intent", "vague_reference", "identity_format"} <= covers


def expected_tools(scenarios: list[Scenario]) -> set[str]:
    return {tool for s in scenarios for turn in s.turns for tool in (turn.expect.tools or ())}


def support_graph_tools() -> set[str]:
    from agents.billing import billing_agent
    from agents.general import general_agent
    from agents.plan_change import plan_change_agent
    from agents.tech_support import tech_support_agent

    specs = (billing_agent(), plan_change_agent(), tech_support_agent(), general_agent())
    return {tool.name for spec in specs for tool in spec.tools}


def test_there_are_at_least_40_multi_turn_scenarios_with_unique_names(
    scenarios: list[Scenario],
) -> None:
    assert len(scenarios) >= 40
    assert len({s.name for s in scenarios}) == len(scenarios)
    assert sum(1 for s in scenarios if len(s.turns) > 1) >= 30


def test_scenarios_cover_every_intent_tool_and_behaviour(scenarios: list[Scenario]) -> None:
    intents = {t.expect.intent for s in scenarios for t in s.turns if t.expect.intent}
    assert intents >= INTENTS
    missing_tools = (support_graph_tools() | {"search_kb"}) - expected_tools(scenarios)
    assert not missing_tools, f"no scenario expects these tools: {sorted(missing_tools)}"
    covered = {label for s in scenarios for label in s.covers}
    assert covered >= BEHAVIOURS, f"uncovered behaviours: {sorted(BEHAVIOURS - covered)}"
    assert any(s.end.folded_at_least > 0 for s in scenarios)
    assert any(s.end.store for s in scenarios) and any(s.forbid.reply_contains for s in scenarios)


def test_the_scripted_model_passes_every_tuned_scenario(scripted_result: EvalResult) -> None:
    tuned = {s.name for s in tuned_scenarios(load_scenarios())}
    failing = {
        s.name: s.failures[:3]
        for s in scripted_result.scenarios
        if s.name in tuned and s.successes < s.trials
    }
    assert not failing, json.dumps(failing, indent=2)
    crashed = [r.scenario for r in scripted_result.runs if any("crash" in f for f in r.failures)]
    assert not crashed  # held-out scenarios may fail on the double's keywords, never crash


def test_eval_counts_model_calls_and_tokens_per_turn(scripted_result: EvalResult) -> None:
    totals = scripted_result.totals()
    assert totals["user_turns"] > 100
    assert 0.5 <= totals["calls_per_turn"] < 4.0  # engine-stated results need no call
    assert totals["prompt_tokens_per_turn"] > 100
    assert all(run.turns for run in scripted_result.runs)


def test_pass_hat_k_matches_the_definition() -> None:
    assert pass_hat_k(4, 4, 4) == 1.0
    assert pass_hat_k(4, 3, 4) == 0.0
    assert pass_hat_k(4, 2, 1) == 0.5
    assert pass_hat_k(4, 3, 2) == pytest.approx(3 / 6)
    curve = pass_curve({"a": [True, True, True], "b": [True, False, True]})
    assert curve[1] == pytest.approx((1 + 2 / 3) / 2)
    assert curve[3] == pytest.approx(0.5)
    with pytest.raises(ValueError, match="k must be"):
        pass_hat_k(2, 1, 3)


def record(**fields: Any) -> TurnRecord:
    return TurnRecord(index=0, kind="user", text="x", **fields)


def test_trajectory_match_is_strict_on_order_and_checks_expected_arguments() -> None:
    calls = [
        {"name": "list_bills", "args": {}},
        {"name": "explain_bill", "args": {"bill_id": "B20003", "x": 1}},
    ]
    assert trajectory_matches(calls, ["list_bills", "explain_bill"], {}, "strict")
    assert not trajectory_matches(calls, ["explain_bill", "list_bills"], {}, "strict")
    args = {"explain_bill": {"bill_id": "B20003"}}
    assert trajectory_matches(calls, ["list_bills", "explain_bill"], args, "strict")
    wrong = {"explain_bill": {"bill_id": "B20002"}}
    assert not trajectory_matches(calls, ["list_bills", "explain_bill"], wrong, "strict")
    assert trajectory_matches([], ["explain_bill"], {}, "subset")
    assert not trajectory_matches(calls, [], {}, "strict")


def test_turn_checks_report_each_unmet_expectation() -> None:
    got = record(intent="billing", reply="You owe $109.20", tool_calls=[], interrupt=None)
    expect = TurnExpect(
        intent="plan_change",
        tools=("change_plan",),
        reply_contains=("115.80",),
        reply_excludes=("109.20",),
        interrupt=True,
    )
    failures = check_turn(got, expect)
    assert len(failures) == 5
    assert check_turn(got, TurnExpect(intent="billing", reply_contains=("109.20",))) == []
    refused = record(error="The message is empty. Type what you need help with.")
    assert check_turn(refused, TurnExpect(error="empty")) == []
    assert check_turn(refused, TurnExpect()) != []


def test_forbidden_tools_replies_and_arguments_are_caught() -> None:
    calls = [{"name": "list_bills", "args": {"customer_id": "C1002"}}]
    records = [record(tool_calls=calls, reply="Jonas owes $166.80")]
    forbid = Forbid(tools=("list_bills",), reply_contains=("Jonas",), args_contain=("C1002",))
    assert len(check_forbidden(records, forbid)) == 3


def test_malformed_scenarios_get_errors_that_name_the_problem(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    head = "scenarios:\n  - name: x\n    turns:\n"
    bad.write_text(head + "      - user: hi\n        expect: {tols: []}\n")
    with pytest.raises(ScenarioError, match=r"unknown key.*tols"):
        load_file(bad)
    bad.write_text("scenarios:\n  - name: x\n    turns:\n      - {user: hi, confirm: 'yes'}\n")
    with pytest.raises(ScenarioError, match="exactly one of 'user'"):
        load_file(bad)
    with pytest.raises(ScenarioError, match="No scenario or suite named"):
        load_scenarios(names=["no-such-scenario"])


@pytest.fixture
def small_result() -> Iterator[EvalResult]:
    chosen = load_scenarios(names=["billing-list-bills", "plans-change-declined"])
    yield evaluate(chosen, "scripted", 2, observability=Observability(env={}), progress=False)


def test_report_files_and_json_summary(small_result: EvalResult, tmp_path: Path) -> None:
    from xml.dom.minidom import parse

    from app.evaluation.report import write_report

    files = write_report(small_result, tmp_path / "report")
    data = json.loads(files["json"].read_text())
    assert data["scenarios"] == 2 and data["k"] == 2
    assert set(data["pass_at_k"]) == {"1", "2"}
    assert len(data["runs"]) == 4
    assert "billing-list-bills" in files["markdown"].read_text()
    page = files["html"].read_text()
    assert "<svg" in page and "plans-change-declined" in page
    assert parse(str(files["plot"])).documentElement.tagName == "svg"


def test_eval_command_prints_one_json_object(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from app.cli import main

    code = main(
        [
            "eval",
            "--model",
            "scripted",
            "--json",
            "--no-progress",
            "--scenario",
            "billing-list-bills",
            "--report",
            str(tmp_path / "r"),
        ]
    )
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1
    payload = json.loads(out[0])
    assert {"scenarios", "passed", "pass_at_1"} <= set(payload)
    assert payload["scenarios"] == 1
    assert code == (0 if payload["passed"] == 1 else 1)
    assert Path(payload["report"]["html"]).is_file()


def test_eval_command_rejects_unknown_scenarios(capsys: pytest.CaptureFixture[str]) -> None:
    from app.cli import main

    assert main(["eval", "--model", "scripted", "--scenario", "nope"]) == 2
    assert "No scenario or suite named nope" in capsys.readouterr().err


class RecordingClient:
    """Stands in for the LangSmith client: records the calls the upload makes (no network)."""

    def __init__(self) -> None:
        self.examples: list[dict[str, Any]] = []
        self.evaluated: dict[str, Any] = {}

    def has_dataset(self, dataset_name: str) -> bool:
        return False

    def create_dataset(self, dataset_name: str, description: str) -> Any:
        return type("Dataset", (), {"id": "ds-1", "name": dataset_name})()

    def create_examples(self, dataset_id: str, examples: list[dict[str, Any]]) -> None:
        self.examples.extend(examples)

    def list_examples(self, dataset_name: str) -> list[Any]:
        return [type("Example", (), {"inputs": e["inputs"]})() for e in self.examples]

    def evaluate(self, target: Any, **kwargs: Any) -> Any:
        outputs = [target(example.inputs) for example in kwargs["data"]]
        scores = [
            [ev(outputs=out, reference_outputs={}) for ev in kwargs["evaluators"]]
            for out in outputs
        ]
        self.evaluated = {"kwargs": kwargs, "outputs": outputs, "scores": scores}
        return type("Results", (), {"experiment_name": "switchboard-scripted-1"})()


def test_langsmith_upload_records_an_experiment_without_rerunning(
    small_result: EvalResult,
) -> None:
    from app.evaluation.langsmith_upload import upload_experiment

    client = RecordingClient()
    chosen = load_scenarios(names=["billing-list-bills", "plans-change-declined"])
    name = upload_experiment(small_result, chosen, client=client)
    assert name == "switchboard-scripted-1"
    assert [e["inputs"]["scenario"] for e in client.examples] == [s.name for s in chosen]
    assert client.evaluated["kwargs"]["experiment_prefix"] == "switchboard-scripted"
    rates = {o["name"]: o["pass_rate"] for o in client.evaluated["outputs"]}
    assert rates == {s.name: s.pass_rate for s in small_result.scenarios}
    assert all(score[0]["key"] == "pass" for score in client.evaluated["scores"])
