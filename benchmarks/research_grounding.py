"""``switchboard bench research_grounding``: are research reports grounded in the corpus?

Runs ``switchboard research QUESTION --model MODEL`` (a new process per question, as a user
would) on the project's comparison questions (``data/bench/research_questions.txt``) and
reads each report back:

- contradicting figures: figures in the report body that no corpus document states for the
  company the sentence gives them to (the same reading of "whose figure" as the grounding
  step, ``agents.research.grounding``, but against the whole corpus, not only the citations);
- cited share: of the body's sentences with a factual claim (a figure, a day-precise date or
  a proper name), how many carry an inline ``[source-id]`` citation;
- deadline misses: runs that took longer than the default deadline (the report's own timing,
  else the wall clock), ended without a report, or left a researcher timed out.

Targets (issue 17): 0 contradicting figures, at least 90% cited, 0 deadline misses. The body
is the report between its question line and its Gaps / Unverified claims / Sources sections.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from agents.research.deadline import default_deadline
from agents.research.grounding import (
    CITATION,
    Checker,
    claim_figures,
    prose_sentences,
)
from conversation.paths import repo_root
from tools.research_corpus import Corpus, load_corpus

QUESTIONS = repo_root() / "data" / "bench" / "research_questions.txt"
CITED_TARGET = 0.9
BODY_END = re.compile(r"^## (?:Gaps|Unverified claims|Sources)\b", re.M)
FOOTER_SECONDS = re.compile(r"in (?P<s>\d+(?:\.\d+)?) s\._\s*$")


@dataclass
class ReportScore:
    """What one report's body claims, and how much of it the corpus bears out."""

    factual: int = 0
    """Sentences with a figure, a date or a proper name."""
    cited: int = 0
    """Of those, the sentences with an inline citation."""
    figures: int = 0
    contradictions: list[str] = field(default_factory=list)
    """Figures no corpus document states for their company, as ``figure: sentence``."""
    unverified: int = 0
    """Claims the grounding step removed and listed under "Unverified claims"."""


@dataclass
class RunResult:
    """One ``switchboard research`` run."""

    question: str
    exit_code: int
    seconds: float
    """The report's own run time (graph start to report), else the wall clock."""
    wall_seconds: float
    deadline_missed: bool
    partial: bool
    score: ReportScore
    error: str = ""


def load_questions(path: Path = QUESTIONS) -> list[str]:
    """The questions of ``path`` (one a line; ``#`` starts a comment)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def report_body(report: str) -> str:
    """The part of a report that states findings (after the question, before the lists)."""
    head, _, rest = report.partition("**Question:**")
    text = rest.split("\n", 1)[1] if "\n" in rest else (rest or head)
    match = BODY_END.search(text)
    return text[: match.start()] if match else text


def unverified_count(report: str) -> int:
    """How many claims the report lists under "Unverified claims"."""
    if "## Unverified claims" not in report:
        return 0
    section = report.split("## Unverified claims", 1)[1].split("\n## ", 1)[0]
    return sum(1 for line in section.splitlines() if line.startswith("- "))


def score_report(report: str, corpus: Corpus, companies: Sequence[str]) -> ReportScore:
    """Count the factual, cited and contradicting claims of ``report``'s body."""
    checker = Checker(corpus, companies, [])
    everything = list(corpus.documents)
    score = ReportScore(unverified=unverified_count(report))
    body = report_body(report)
    for _, sentence, section in prose_sentences(body, checker.index.companies):
        figures = claim_figures(sentence)
        if checker.is_factual(sentence):
            score.factual += 1
            score.cited += 1 if CITATION.search(sentence) else 0
        for figure in figures:
            score.figures += 1
            readings = checker.companies_for(sentence, figure, section)
            if not any(checker.supported(r, figure, everything) for r in readings):
                score.contradictions.append(f"{figure.text}: {sentence}")
    return score


def run_question(question: str, model: str, out_dir: Path, deadline_s: float) -> RunResult:
    """Run ``switchboard research`` once in a new process and score its report."""
    slug = re.sub(r"[^a-z0-9]+", "-", question.lower()).strip("-")[:60]
    out = out_dir / f"{slug}.md"
    command = [sys.executable, "-m", "app.cli", "research", question, "--model", model]
    started = time.monotonic()
    done = subprocess.run(
        [*command, "--out", str(out)],
        capture_output=True,
        text=True,
        cwd=repo_root(),
        timeout=deadline_s * 3 + 600,
        check=False,
    )
    wall = time.monotonic() - started
    report = out.read_text(encoding="utf-8") if out.is_file() else ""
    timing = FOOTER_SECONDS.search(report)
    seconds = float(timing.group("s")) if timing else wall
    corpus = load_corpus()
    score = score_report(report, corpus, corpus.find_company(question)) if report else ReportScore()
    timed_out = "timed out" in report.split("## Gaps", 1)[-1] if "## Gaps" in report else False
    return RunResult(
        question=question,
        exit_code=done.returncode,
        seconds=round(seconds, 1),
        wall_seconds=round(wall, 1),
        deadline_missed=not report or seconds > deadline_s or timed_out,
        partial=done.returncode == 1,
        score=score,
        error="" if report else done.stderr.strip()[-400:],
    )


def totals(results: Sequence[RunResult], deadline_s: float, model: str) -> dict[str, Any]:
    """The figures the issue asks for, over every run."""
    factual = sum(r.score.factual for r in results)
    cited = sum(r.score.cited for r in results)
    contradictions = sum(len(r.score.contradictions) for r in results)
    misses = sum(1 for r in results if r.deadline_missed)
    share = cited / factual if factual else 1.0
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "model": model,
        "questions": len(results),
        "deadline_s": deadline_s,
        "figures": sum(r.score.figures for r in results),
        "contradicting_figures": contradictions,
        "factual_sentences": factual,
        "cited_sentences": cited,
        "cited_share": round(share, 4),
        "unverified_removed": sum(r.score.unverified for r in results),
        "deadline_misses": misses,
        "partial_reports": sum(1 for r in results if r.partial),
        "seconds_max": max((r.seconds for r in results), default=0.0),
        "meets_targets": contradictions == 0 and share >= CITED_TARGET and misses == 0,
    }


def report(summary: dict[str, Any], results: Sequence[RunResult]) -> str:
    """Lines for people: one per question, then the totals against the targets."""
    lines = [f"research grounding, model {summary['model']}, {summary['date']}:"]
    for r in results:
        s = r.score
        lines.append(
            f"  {r.seconds:7.1f} s  exit {r.exit_code}  cited {s.cited}/{s.factual}  "
            f"contradicting {len(s.contradictions)}  removed {s.unverified}  {r.question}"
        )
        lines += [f"      contradiction: {c}" for c in s.contradictions]
        lines += [f"      error: {r.error}"] if r.error else []
    lines += [
        f"  contradicting figures: {summary['contradicting_figures']} of {summary['figures']} "
        "(target 0)",
        f"  cited share: {summary['cited_sentences']}/{summary['factual_sentences']} = "
        f"{summary['cited_share']:.1%} (target >= {CITED_TARGET:.0%})",
        f"  deadline misses: {summary['deadline_misses']} of {summary['questions']} runs "
        f"(deadline {summary['deadline_s']:.0f} s; slowest {summary['seconds_max']:.1f} s)",
        f"  targets {'met' if summary['meets_targets'] else 'NOT met'}",
    ]
    return "\n".join(lines)


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(
        prog="switchboard bench research_grounding", description=__doc__
    )
    parser.add_argument("--model", default="local", help="model spec for every research run")
    parser.add_argument("--questions", type=Path, default=QUESTIONS, help="one question a line")
    parser.add_argument("--limit", type=int, default=0, help="only the first N questions")
    parser.add_argument("--out-dir", type=Path, help="keep the reports here (default: a temp dir)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    return parser.parse_args(list(argv))


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; exit code 0 when every target is met, else 1."""
    args = parse_args(argv if argv is not None else sys.argv[1:])
    questions = load_questions(args.questions)[: args.limit or None]
    deadline_s = default_deadline()
    with tempfile.TemporaryDirectory(prefix="research-grounding-") as scratch:
        out_dir = args.out_dir or Path(scratch)
        out_dir.mkdir(parents=True, exist_ok=True)
        results = []
        for question in questions:
            results.append(run_question(question, args.model, out_dir, deadline_s))
            if not args.json:
                print(f"done: {question}", file=sys.stderr, flush=True)
    summary = totals(results, deadline_s, args.model)
    if args.json:
        print(json.dumps({**summary, "runs": [asdict(r) for r in results]}))
    else:
        print(report(summary, results))
    return 0 if summary["meets_targets"] else 1


if __name__ == "__main__":
    sys.exit(main())
