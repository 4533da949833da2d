"""The local intent/act classifier: held-out accuracy, confidences, multi-intent order, cache."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from agents.intent_classifier import (
    ACTS,
    DEFAULT_THRESHOLD,
    INTENTS,
    IntentClassifier,
    Prediction,
    clauses_of,
    intents_dir,
    load_examples,
    load_heldout,
    neutral_references,
    training_digest,
)
from conversation.paths import cache_dir


@pytest.fixture(scope="module")
def classifier() -> IntentClassifier:
    """The shipped classifier (trained once per test session into the isolated data dir)."""
    return IntentClassifier.load()


def test_training_data_is_varied_and_labelled() -> None:
    examples = load_examples(intents_dir())
    assert len(examples) >= 500
    assert {e.intent for e in examples} == set(INTENTS)
    assert {e.act for e in examples} == set(ACTS)
    assert len({e.text for e in examples}) > 0.97 * len(examples)  # almost no duplicates


def test_heldout_examples_are_not_in_training_data() -> None:
    trained = {e.text.lower() for e in load_examples(intents_dir())}
    heldout = load_heldout(intents_dir())
    assert len(heldout) >= 40
    assert not [e.text for e in heldout if e.text.lower() in trained]


def test_heldout_accuracy(classifier: IntentClassifier) -> None:
    heldout = load_heldout(intents_dir())
    predictions = [classifier.predict(e.text) for e in heldout]
    intent_hits = sum(p.intent == e.intent for p, e in zip(predictions, heldout, strict=True))
    act_hits = sum(p.act == e.act for p, e in zip(predictions, heldout, strict=True))
    assert intent_hits / len(heldout) >= 0.85
    assert act_hits / len(heldout) >= 0.85


@pytest.mark.parametrize(
    ("text", "intent", "act"),
    [
        ("my phone says no service since this morning", "tech_support", "request"),
        ("how much do i owe on my bill", "billing", "question"),
        ("switch me to the unlimited plan", "plan_change", "request"),
        ("what's the weather like in lisbon tomorrow", "out_of_scope", "question"),
        ("thank you so much", "none", "thanks"),
        ("sorry, my number is actually 555-010-0199", "none", "correction"),
        ("could you say that again", "none", "repeat"),
    ],
)
def test_typical_messages(classifier: IntentClassifier, text: str, intent: str, act: str) -> None:
    prediction = classifier.predict(text)
    assert (prediction.intent, prediction.act) == (intent, act)


@pytest.mark.parametrize(
    "text", ["", "   ", "?!", "a" * 3000, "ünïcödé ✓ 電話", "pay\x00bill", "hi " * 400]
)
def test_confidences_are_probabilities(classifier: IntentClassifier, text: str) -> None:
    prediction = classifier.predict(text)
    assert prediction.intent in INTENTS
    assert prediction.act in ACTS
    assert 0.0 <= prediction.intent_confidence <= 1.0
    assert 0.0 <= prediction.act_confidence <= 1.0
    intent_scores, act_scores = classifier.scores(text)
    assert intent_scores.sum() == pytest.approx(1.0, abs=1e-6)
    assert act_scores.sum() == pytest.approx(1.0, abs=1e-6)


def test_multi_intent_split_keeps_order(classifier: IntentClassifier) -> None:
    forward = classifier.split_intents("pay my overdue bill and also my data is slow")
    assert [p.intent for p in forward] == ["billing", "tech_support"]
    assert "bill" in forward[0].text and "data" in forward[1].text
    backward = classifier.split_intents("my data is really slow. also i want to pay my bill")
    assert [p.intent for p in backward] == ["tech_support", "billing"]


def test_single_request_is_not_split(classifier: IntentClassifier) -> None:
    text = "my phone says no service and i can't make or receive calls"
    predictions = classifier.split_intents(text)
    assert len(predictions) == 1
    assert predictions[0].intent == "tech_support"
    assert predictions[0].text == text


def test_greeting_joins_the_first_request(classifier: IntentClassifier) -> None:
    predictions = classifier.split_intents("hi there! can you switch me to plus 40?")
    assert [p.intent for p in predictions] == ["plan_change"]


def test_quoted_reference_codes_are_neutralised() -> None:
    text = "open a ticket (ref aajkoljppp), reference: QX-7 and ref no. 12ab"
    assert neutral_references(text) == "open a ticket (ref code), reference: code and ref no. code"
    assert neutral_references("I prefer the refund") == "I prefer the refund"


def test_a_reference_code_does_not_change_the_intent(classifier: IntentClassifier) -> None:
    # Random letters used to read as out of scope ("aajkoljppp" did, one ref in ~25).
    refs = ["aajkoljppp", "zzqxwvbnmk", "ppppppppll", "kjhgfdsaqw", "onmlkjihgf"]
    for ref in refs:
        prediction = classifier.predict(f"please open a ticket, my data is slow (ref {ref})")
        assert prediction.intent == "tech_support", ref


def test_clauses_drop_joining_words() -> None:
    assert clauses_of("pay my bill, and also, my data is slow!") == [
        "pay my bill",
        "my data is slow!",
    ]


def test_is_confident_policy() -> None:
    sure_yes = Prediction("none", 0.9, "yes", 0.95)
    unsure_act = Prediction("none", 0.9, "yes", 0.3)
    unsure_intent = Prediction("billing", 0.3, "request", 0.99)
    assert sure_yes.is_confident()
    assert not unsure_act.is_confident()
    assert not unsure_intent.is_confident()
    assert unsure_intent.is_confident(threshold=0.2)
    assert 0.0 < DEFAULT_THRESHOLD < 1.0


def test_trained_model_is_cached_in_cache_dir(classifier: IntentClassifier) -> None:
    digest = training_digest(intents_dir().resolve())
    cached = cache_dir() / "intent_classifier" / f"{digest}.npz"
    assert cached.is_file()
    assert IntentClassifier.load() is classifier


def test_digest_follows_training_files(tmp_path: Path) -> None:
    copy = tmp_path / "intents"
    shutil.copytree(intents_dir(), copy)
    before = training_digest(copy)
    with (copy / "billing" / "question.txt").open("a", encoding="utf-8") as handle:
        handle.write("is my bill ready yet\n")
    assert training_digest(copy) != before
    (copy / "heldout.tsv").write_text("changed\tnone\tyes\n", encoding="utf-8")
    assert training_digest(copy) == training_digest(copy)  # held-out file is not hashed


def test_unknown_label_directory_is_rejected(tmp_path: Path) -> None:
    (tmp_path / "weather").mkdir()
    (tmp_path / "weather" / "question.txt").write_text("is it sunny\n", encoding="utf-8")
    with pytest.raises(ValueError, match="unknown intent 'weather'"):
        load_examples(tmp_path)


def test_empty_training_dir_explains_the_fix(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="data/intents"):
        load_examples(tmp_path)
