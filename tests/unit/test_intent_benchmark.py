"""The triage benchmark: dataset mapping, scoring, sampling and its JSON output (tiny fake data)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks import triage
from benchmarks._triage_data import Message, load_clinc, load_tau2


@pytest.fixture
def fake_clinc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A made-up file in the CLINC layout (our own sentences, not CLINC's)."""
    rows = [
        ["what do i owe on the gas bill", "bill_balance"],
        ["hiya friend", "greeting"],
        ["what's the tallest tree on earth", "definition"],
        ["yes exactly", "yes"],
    ]
    data = {"train": rows, "val": rows, "oos_train": [], "oos_val": [["blorp the zorp", "oos"]]}
    (tmp_path / "clinc150_train_val.json").write_text(json.dumps(data))
    monkeypatch.setenv("SWITCHBOARD_CLINC_DIR", str(tmp_path))
    return tmp_path


@pytest.fixture
def fake_tau2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A made-up folder in the τ² telecom layout with two tasks, one in ``train``."""
    folder = tmp_path / "telecom"
    folder.mkdir()
    tasks = [
        {
            "id": "[service_issue]made_up_case",
            "ticket": "Customer reports that the phone shows no service at all.",
            "user_scenario": {"instructions": {"reason_for_call": "Your phone has no signal."}},
        },
        {
            "id": "[mms_issue]other_case",
            "ticket": "Picture messages fail.",
            "user_scenario": {"instructions": {"reason_for_call": "MMS fails."}},
        },
    ]
    (folder / "tasks.json").write_text(json.dumps(tasks))
    split = {"train": ["[service_issue]made_up_case"], "test": ["[mms_issue]other_case"]}
    (folder / "split_tasks.json").write_text(json.dumps(split))
    monkeypatch.setenv("SWITCHBOARD_TAU2_DIR", str(folder))
    return folder


def test_clinc_mapping(fake_clinc: Path) -> None:
    messages = load_clinc("val")
    assert [(m.kind, m.intent, m.act) for m in messages] == [
        ("billing", "billing", ""),
        ("act", "", "greeting"),
        ("oos", "out_of_scope", ""),
        ("act", "", "yes"),
        ("oos", "out_of_scope", ""),
    ]


def test_missing_clinc_names_the_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SWITCHBOARD_CLINC_DIR", str(tmp_path / "nowhere"))
    with pytest.raises(FileNotFoundError, match="SWITCHBOARD_CLINC_DIR"):
        load_clinc("val")


def test_tau2_reads_train_texts_only(fake_tau2: Path) -> None:
    messages = load_tau2("train")
    assert [m.text for m in messages] == [
        "Your phone has no signal.",
        "Customer reports that the phone shows no service at all.",
    ]
    assert {(m.kind, m.intent) for m in messages} == {("tau2", "tech_support")}


def test_score_counts_not_routed_as_out_of_scope() -> None:
    messages = [
        Message("a", "billing", "billing"),
        Message("b", "tau2", "tech_support"),
        Message("c", "oos", "out_of_scope"),
        Message("d", "oos", "out_of_scope"),
        Message("e", "act", "", "yes"),
    ]
    verdicts = [
        triage.Verdict("billing", "request", True, 0.1, 0.9),
        triage.Verdict("out_of_scope", "request", True, 0.3, 0.8),
        triage.Verdict("none", "question", False, 0.2, 0.5),
        triage.Verdict("billing", "question", True, 0.2, 0.9),
        triage.Verdict("none", "yes", True, 0.1, 0.99),
    ]
    result = triage.score(messages, verdicts)
    assert result["billing_recall"] == 1.0
    assert result["false_oos_rate"] == 0.5
    assert result["oos_recall"] == 0.5
    assert result["oos_recall_strict"] == 0.0
    assert result["act_accuracy"] == 1.0
    assert result["tau2_intent_accuracy"] == 0.0
    assert result["fallback_share"] == 0.2
    assert result["p50_ms"] == 0.2


def test_hybrid_takes_llm_answer_only_when_unsure() -> None:
    ours = [
        triage.Verdict("billing", "request", True, 0.1),
        triage.Verdict("none", "yes", False, 0.1),
    ]
    llm = [triage.Verdict("tech_support", "question", True, 900.0)] * 2
    mixed = triage.hybrid(ours, llm)
    assert mixed[0] == ours[0]
    assert (mixed[1].intent, mixed[1].ms) == ("tech_support", 900.1)


def test_stratified_sample_is_balanced_and_reproducible() -> None:
    messages = [Message(str(i), "oos", "out_of_scope") for i in range(50)]
    messages += [Message(f"b{i}", "billing", "billing") for i in range(5)]
    picked = triage.stratified_sample(messages, 20, seed=3)
    assert picked == triage.stratified_sample(messages, 20, seed=3)
    assert len(picked) == 20 and len(set(picked)) == 20
    assert sum(messages[i].kind == "billing" for i in picked) == 5


def test_ece_of_perfect_calibration_is_zero() -> None:
    assert triage.expected_calibration_error([(1.0, True), (1.0, True)]) == 0.0
    assert triage.expected_calibration_error([(0.9, False)]) == 0.9


def test_json_output_has_the_required_keys(
    fake_clinc: Path, fake_tau2: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert triage.main(["--json", "--no-llm"]) == 0
    result = json.loads(capsys.readouterr().out)
    for key in (
        "oos_recall",
        "false_oos_rate",
        "billing_recall",
        "act_accuracy",
        "tau2_intent_accuracy",
        "p50_ms",
        "llm_p50_ms",
        "llm_fallback_share",
        "retrieval_recall_at_3",
    ):
        assert key in result
    assert result["messages"] == 7
    assert result["llm_p50_ms"] is None
    assert result["retrieval_recall_at_3"] >= 0.85


def test_missing_datasets_are_skipped_with_a_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_tau2: Path
) -> None:
    monkeypatch.setenv("SWITCHBOARD_CLINC_DIR", str(tmp_path / "absent"))
    skipped: dict[str, str] = {}
    messages = triage.load_messages("val", skipped)
    assert "clinc150" in skipped and "SWITCHBOARD_CLINC_DIR" in skipped["clinc150"]
    assert len(messages) == 2
