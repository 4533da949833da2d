"""The research grounding checker: counts contradicting figures, cited factual sentences and
deadline misses, here with the scripted model (the real measurement uses ``--model local``)."""

from __future__ import annotations

from pathlib import Path

from benchmarks import research_grounding as bench
from tools.research_corpus import load_corpus

COMPANIES = ["Contoso Telecom", "Fabrikam Wireless"]
REPORT = """# Research report

**Question:** Compare Contoso and Fabrikam

## Summary
Both companies have a mobile ARPU of 31.50 a month [contoso-overview].
Contoso Telecom has 21.4 million mobile subscribers [contoso-overview].
Fabrikam Wireless earned 6.1 billion in 2024.
Both bet on AI in different ways.

## Unverified claims (removed from the report)
- Fabrikam's ARPU is (unsupported) a month — a figure no document states

## Sources
- [contoso-overview] Contoso Telecom at a glance — Contoso Telecom, 2025-02-06

_Run abc: 3 of 3 researchers finished; report written by the synthesizer (model) in 81.6 s._
"""


def test_a_report_is_scored_on_its_body_only() -> None:
    score = bench.score_report(REPORT, load_corpus(), COMPANIES)
    assert score.factual == 3 and score.cited == 2
    assert score.figures == 4
    assert [c.split(":")[0] for c in score.contradictions] == ["31.50"]
    assert score.unverified == 1
    assert bench.FOOTER_SECONDS.search(REPORT).group("s") == "81.6"  # type: ignore[union-attr]


def test_the_questions_are_comparisons_over_the_corpus() -> None:
    corpus = load_corpus()
    questions = bench.load_questions()
    assert len(questions) >= 8
    assert all(len(corpus.find_company(q)) >= 2 for q in questions)


def test_the_checker_runs_the_cli_and_totals_the_targets(tmp_path: Path) -> None:
    question = bench.load_questions()[0]
    result = bench.run_question(question, "scripted", tmp_path, 300.0)
    assert result.exit_code == 0 and not result.deadline_missed, result.error
    assert result.score.factual > 0 and not result.score.contradictions
    summary = bench.totals([result], 300.0, "scripted")
    assert summary["contradicting_figures"] == 0 and summary["deadline_misses"] == 0
    assert summary["cited_share"] >= bench.CITED_TARGET and summary["meets_targets"]
    assert "targets met" in bench.report(summary, [result])
