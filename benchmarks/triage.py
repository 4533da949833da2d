"""``switchboard bench triage``: local classifier vs LLM classifier on CLINC150 and τ² texts."""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import yaml
from tqdm import tqdm

from agents.intent_classifier import DEFAULT_THRESHOLD, TASK_INTENTS, IntentClassifier
from agents.triage import REDIRECT_CONFIDENCE, classify_llm
from benchmarks._triage_data import Message, load_clinc, load_scenario_turns, load_tau2
from conversation.paths import repo_root
from tools.kb import search

TELCO_KINDS = ("billing", "tau2")


@dataclass(frozen=True)
class Verdict:
    """One classifier's answer for one message, with its latency."""

    intent: str
    act: str
    confident: bool
    ms: float
    confidence: float = 1.0


Classify = Callable[[str], tuple[str, str, bool, float]]


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """Command-line options of the benchmark."""
    parser = argparse.ArgumentParser(prog="switchboard bench triage", description=__doc__)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--llm-sample", type=int, default=200, help="messages sent to LLMs")
    parser.add_argument("--no-llm", action="store_true", help="skip the LLM classifiers")
    parser.add_argument("--llm", default="local", help="model spec of the LLM classifier")
    parser.add_argument(
        "--hosted",
        default=os.environ.get("SWITCHBOARD_HOSTED_MODEL", ""),
        help="hosted model spec (default: $SWITCHBOARD_HOSTED_MODEL, else openai:gpt-4o-mini "
        "when OPENAI_API_KEY is set)",
    )
    parser.add_argument("--threshold", type=float, default=0.0, help="fallback threshold")
    parser.add_argument(
        "--clinc-split", choices=("val", "train"), default="val", help="CLINC split (tune on train)"
    )
    parser.add_argument("--seed", type=int, default=7, help="seed of the LLM sample")
    return parser.parse_args(list(argv))


def run(classify: Classify, messages: Sequence[Message], label: str = "") -> list[Verdict]:
    """Classify every message, timing each call; a progress bar on stderr when labelled."""
    verdicts = []
    for message in tqdm(messages, desc=label, file=sys.stderr, disable=not label, leave=False):
        start = time.perf_counter()
        try:
            intent, act, confident, confidence = classify(message.text)
        except Exception as error:  # a failed call is scored as wrong
            print(f"{label}: {type(error).__name__}: {error}", file=sys.stderr)
            intent, act, confident, confidence = "error", "error", False, 0.0
        elapsed = (time.perf_counter() - start) * 1000
        verdicts.append(Verdict(intent, act, confident, elapsed, confidence))
    return verdicts


def _rate(hits: Sequence[bool]) -> float | None:
    """Share of true values (None for an empty set)."""
    return round(sum(hits) / len(hits), 4) if hits else None


def expected_calibration_error(pairs: Sequence[tuple[float, bool]], bins: int = 10) -> float:
    """Weighted gap between confidence and accuracy over equal-width confidence bins."""
    total = 0.0
    for b in range(bins):
        low, high = b / bins, (b + 1) / bins
        members = [(c, ok) for c, ok in pairs if low <= c < high or (b == bins - 1 and c == 1.0)]
        if members:
            gap = sum(c for c, _ in members) / len(members) - sum(ok for _, ok in members) / len(
                members
            )
            total += abs(gap) * len(members)
    return round(total / max(len(pairs), 1), 4)


def score(messages: Sequence[Message], verdicts: Sequence[Verdict]) -> dict[str, Any]:
    """The issue's metrics; "not routed" (out_of_scope or none) counts as out of scope."""
    pairs = list(zip(messages, verdicts, strict=True))
    telco = [(m, v) for m, v in pairs if m.kind in TELCO_KINDS]
    oos = [v for m, v in pairs if m.kind == "oos"]
    return {
        "messages": len(pairs),
        "in_scope_accuracy": _rate([v.intent == m.intent for m, v in telco]),
        "oos_recall": _rate([v.intent not in TASK_INTENTS for v in oos]),
        "oos_recall_strict": _rate([v.intent == "out_of_scope" for v in oos]),
        "false_oos_rate": _rate([v.intent not in TASK_INTENTS for _, v in telco]),
        "redirect_confidence": REDIRECT_CONFIDENCE,
        "redirected_in_scope_rate": _rate([_redirected(v) for _, v in telco]),
        "redirected_oos_share": _rate([_redirected(v) for v in oos]),
        "billing_recall": _rate([v.intent == "billing" for m, v in pairs if m.kind == "billing"]),
        "act_accuracy": _rate([v.act == m.act for m, v in pairs if m.kind == "act"]),
        "tau2_intent_accuracy": _rate([v.intent == m.intent for m, v in pairs if m.kind == "tau2"]),
        "p50_ms": round(statistics.median(v.ms for v in verdicts), 4) if verdicts else None,
        "fallback_share": _rate([not v.confident for v in verdicts]),
        "errors": sum(v.intent == "error" for v in verdicts),
        "intent_ece": expected_calibration_error(
            [(v.confidence, _intent_ok(m, v, TASK_INTENTS)) for m, v in pairs if m.kind != "act"]
        ),
    }


def _redirected(verdict: Verdict) -> bool:
    """Whether the graph would answer this verdict with the canned redirect (no model)."""
    return verdict.intent == "out_of_scope" and verdict.confidence >= REDIRECT_CONFIDENCE


def _intent_ok(message: Message, verdict: Verdict, tasks: Sequence[str]) -> bool:
    """Whether the intent verdict is right under the benchmark's mapping."""
    if message.kind == "oos":
        return verdict.intent not in tasks
    return verdict.intent == message.intent


def stratified_sample(messages: Sequence[Message], size: int, seed: int) -> list[int]:
    """Indices of up to ``size`` messages, split evenly over the kinds present (reproducible)."""
    rng = random.Random(seed)
    kinds = sorted({m.kind for m in messages})
    picked: list[int] = []
    for i, kind in enumerate(kinds):
        pool = [n for n, m in enumerate(messages) if m.kind == kind]
        want = (size - len(picked)) // (len(kinds) - i)
        picked += rng.sample(pool, min(want, len(pool)))
    rng.shuffle(picked)
    return picked


def local_classifier(threshold: float) -> Classify:
    """Our classifier as a ``Classify`` function (loaded and trained before timing)."""
    classifier = IntentClassifier.load()
    limit = threshold or DEFAULT_THRESHOLD

    def classify(text: str) -> tuple[str, str, bool, float]:
        p = classifier.predict(text)
        return p.intent, p.act, p.is_confident(limit), p.intent_confidence

    return classify


def llm_classifier(spec: str) -> Classify:
    """The LLM classifier of ``agents.triage`` for ``spec``; raises when it cannot run."""

    def classify(text: str) -> tuple[str, str, bool, float]:
        verdict = classify_llm(text, spec, "")
        return verdict.intent, verdict.act, True, verdict.confidence

    classify("hello")  # loads the model outside the timed calls; raises if unavailable
    return classify


def hybrid(ours: Sequence[Verdict], llm: Sequence[Verdict]) -> list[Verdict]:
    """Ours when confident, else the LLM's answer (its latency added)."""
    return [
        o if o.confident else Verdict(x.intent, x.act, True, o.ms + x.ms, x.confidence)
        for o, x in zip(ours, llm, strict=True)
    ]


def retrieval_recall(k: int = 3) -> float:
    """Share of data/kb_eval questions whose known source is among the top ``k`` passages."""
    path = repo_root() / "data" / "kb_eval" / "questions.yaml"
    questions = yaml.safe_load(path.read_text(encoding="utf-8"))["questions"]
    hits = [any(p.source in q["sources"] for p in search(q["question"], k=k)) for q in questions]
    return round(sum(hits) / len(hits), 4)


def scenario_metrics(threshold: float) -> dict[str, Any]:
    """Our classifier on the scenario suite's user turns: fallback share and intent accuracy.

    A turn falls back when any of its split predictions is unsure; a turn with an expected
    intent is right when the split intents equal the expected list (or its first one does).
    """
    classifier = IntentClassifier.load()
    limit = threshold or DEFAULT_THRESHOLD
    turns = load_scenario_turns()
    unsure, hits = [], []
    for turn in turns:
        predictions = classifier.split_intents(turn.text)
        unsure.append(not all(p.is_confident(limit) for p in predictions))
        if turn.intents:
            got = tuple(p.intent for p in predictions)
            hits.append(got == turn.intents or got[:1] == turn.intents)
    return {
        "scenario_turns": len(turns),
        "scenario_fallback_share": _rate(unsure),
        "scenario_intent_accuracy": _rate(hits),
    }


def hosted_spec(explicit: str) -> str:
    """The hosted model to compare, or "" when none is configured."""
    if explicit:
        return explicit
    return "openai:gpt-4o-mini" if os.environ.get("OPENAI_API_KEY") else ""


def load_messages(split: str, skipped: dict[str, str]) -> list[Message]:
    """CLINC and τ² messages; a missing dataset is noted in ``skipped`` instead of failing."""
    messages: list[Message] = []
    for name, loader in (("clinc150", lambda: load_clinc(split)), ("tau2", load_tau2)):
        try:
            messages += loader()
        except FileNotFoundError as error:
            skipped[name] = str(error)
    return messages


def compare_llm(
    name: str, spec: str, sample: list[Message], ours: list[Verdict], skipped: dict[str, str]
) -> dict[str, Any] | None:
    """Score the LLM ``spec`` (and ours + its fallback) on the sample, or note why not."""
    try:
        classify = llm_classifier(spec)
    except Exception as error:  # any setup failure: skip, say why
        skipped[name] = f"{spec}: {type(error).__name__}: {error}"
        return None
    verdicts = run(classify, sample, label=f"{name} ({spec})")
    return {
        "spec": spec,
        **score(sample, verdicts),
        "hybrid": score(sample, hybrid(ours, verdicts)),
    }


def evaluate(args: argparse.Namespace) -> dict[str, Any]:
    """Run every part of the benchmark and gather the results."""
    skipped: dict[str, str] = {}
    messages = load_messages(args.clinc_split, skipped)
    classify = local_classifier(args.threshold)
    ours = run(classify, messages)
    result: dict[str, Any] = {"clinc_split": args.clinc_split, **score(messages, ours)}
    result["llm_fallback_share"] = result.pop("fallback_share")
    picked = stratified_sample(messages, args.llm_sample, args.seed)
    sample, ours_sample = [messages[n] for n in picked], [ours[n] for n in picked]
    result["sample"] = score(sample, ours_sample)
    result["llm"] = result["hosted"] = None
    if not args.no_llm and sample:
        result["llm"] = compare_llm("llm", args.llm, sample, ours_sample, skipped)
        spec = hosted_spec(args.hosted)
        if spec:
            result["hosted"] = compare_llm("hosted", spec, sample, ours_sample, skipped)
    llm_p50 = result["llm"]["p50_ms"] if result["llm"] else None
    result["llm_p50_ms"] = llm_p50
    result["latency_ratio"] = round(llm_p50 / result["p50_ms"], 1) if llm_p50 else None
    result["retrieval_recall_at_3"] = retrieval_recall(3)
    result.update(scenario_metrics(args.threshold))
    result["skipped"] = skipped
    return result


def report(result: dict[str, Any]) -> str:
    """Human-readable side-by-side table."""
    columns = [("ours (all)", result), ("ours (sample)", result["sample"])]
    for name in ("llm", "hosted"):
        if result[name]:
            columns += [(f"{name} {result[name]['spec']}", result[name])]
            columns += [(f"ours+{name} fallback", result[name]["hybrid"])]
    rows = [
        "messages",
        "in_scope_accuracy",
        "oos_recall",
        "oos_recall_strict",
        "false_oos_rate",
        "redirected_in_scope_rate",
        "redirected_oos_share",
        "billing_recall",
        "act_accuracy",
        "tau2_intent_accuracy",
        "p50_ms",
        "intent_ece",
        "errors",
    ]
    lines = ["metric".ljust(22) + "".join(name[:24].rjust(26) for name, _ in columns)]
    for row in rows:
        cells = "".join(str(col.get(row, "")).rjust(26) for _, col in columns)
        lines.append(row.ljust(22) + cells)
    lines += [
        f"llm_fallback_share (ours, threshold): {result['llm_fallback_share']}",
        f"latency ratio (llm p50 / ours p50): {result['latency_ratio']}",
        f"retrieval recall@3 (data/kb_eval): {result['retrieval_recall_at_3']}",
        f"scenario suite ({result['scenario_turns']} user turns): fallback share "
        f"{result['scenario_fallback_share']}, "
        f"intent accuracy {result['scenario_intent_accuracy']}",
    ]
    lines += [f"skipped {name}: {why}" for name, why in result["skipped"].items()]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``switchboard bench triage``."""
    args = parse_args(argv if argv is not None else sys.argv[1:])
    result = evaluate(args)
    print(json.dumps(result) if args.json else report(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
