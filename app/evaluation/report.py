"""Write an evaluation's results: JSON, a Markdown report and an HTML report with SVG plots."""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from pathlib import Path

from app.evaluation.results import EvalResult, ScenarioSummary

BAR_HEIGHT = 16
LABEL_WIDTH = 330
PLOT_WIDTH = 360


def _colour(rate: float) -> str:
    if rate >= 1.0:
        return "#2e7d32"
    return "#f9a825" if rate > 0 else "#c62828"


def pass_rate_svg(
    scenarios: Sequence[ScenarioSummary], title: str = "Pass rate per scenario"
) -> str:
    """A horizontal bar chart (SVG) of each scenario's pass rate, grouped by suite."""
    rows = sorted(scenarios, key=lambda s: (s.suite, s.name))
    height = 40 + BAR_HEIGHT * len(rows) + 30
    width = LABEL_WIDTH + PLOT_WIDTH + 60
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">',
        f'<text x="4" y="16" font-size="14" font-weight="bold">{html.escape(title)}</text>',
    ]
    top = 30
    for tick in (0, 0.25, 0.5, 0.75, 1.0):
        x = LABEL_WIDTH + tick * PLOT_WIDTH
        parts.append(
            f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{top + BAR_HEIGHT * len(rows)}" '
            'stroke="#ddd"/>'
            f'<text x="{x:.1f}" y="{top + BAR_HEIGHT * len(rows) + 14}" text-anchor="middle">'
            f"{int(tick * 100)}%</text>"
        )
    for index, summary in enumerate(rows):
        y = top + index * BAR_HEIGHT
        label = html.escape(f"{summary.suite} · {summary.name}")
        bar = max(2.0, summary.pass_rate * PLOT_WIDTH)
        parts.append(
            f'<text x="{LABEL_WIDTH - 6}" y="{y + BAR_HEIGHT - 4}" text-anchor="end">{label}</text>'
            f'<rect x="{LABEL_WIDTH}" y="{y + 2}" width="{bar:.1f}" height="{BAR_HEIGHT - 4}" '
            f'fill="{_colour(summary.pass_rate)}"><title>{label}: '
            f"{summary.successes}/{summary.trials}</title></rect>"
            f'<text x="{LABEL_WIDTH + bar + 4:.1f}" y="{y + BAR_HEIGHT - 4}">'
            f"{summary.successes}/{summary.trials}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def pass_k_svg(curve: dict[int, float]) -> str:
    """A small line chart (SVG) of pass^k against k."""
    width, height, pad = 320, 180, 36
    ks = sorted(curve)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'font-family="sans-serif" font-size="11">',
        '<text x="4" y="14" font-size="13" font-weight="bold">pass^k</text>',
        f'<line x1="{pad}" y1="{height - pad}" x2="{width - 10}" y2="{height - pad}" '
        'stroke="#999"/>',
        f'<line x1="{pad}" y1="20" x2="{pad}" y2="{height - pad}" stroke="#999"/>',
    ]
    if ks:
        span = max(1, ks[-1] - ks[0])
        points = []
        for k in ks:
            x = pad + (k - ks[0]) / span * (width - pad - 20)
            y = (height - pad) - curve[k] * (height - pad - 24)
            points.append((x, y))
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="#1565c0"/>'
                f'<text x="{x:.1f}" y="{height - pad + 14}" text-anchor="middle">{k}</text>'
                f'<text x="{x:.1f}" y="{y - 6:.1f}" text-anchor="middle">{curve[k]:.2f}</text>'
            )
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        parts.append(f'<polyline points="{path}" fill="none" stroke="#1565c0"/>')
    parts.append("</svg>")
    return "".join(parts)


def markdown_report(result: EvalResult, plot_file: str = "pass_rates.svg") -> str:
    """A Markdown report: headline numbers, a per-suite and a per-scenario table, the plot."""
    totals = result.totals()
    lines = [
        f"# Scenario evaluation — model `{result.model}`",
        "",
        f"- scenarios: **{len(result.scenarios)}**, fully passed: **{result.passed}**",
        f"- trials per scenario (k): {result.k}",
        "- " + ", ".join(f"pass^{k} = **{v:.3f}**" for k, v in result.pass_at_k.items()),
        f"- model calls per user turn: {totals['calls_per_turn']}, "
        f"prompt tokens per user turn: {totals['prompt_tokens_per_turn']}",
        f"- started {result.started_at}, took {result.duration_s:.1f} s",
        "",
        f"![pass rate per scenario]({plot_file})",
        "",
        "## Suites",
        "",
        "| suite | scenarios | pass rate |",
        "| --- | ---: | ---: |",
    ]
    for suite, row in result.suite_table().items():
        lines.append(f"| {suite} | {row['scenarios']} | {row['pass_rate']:.2f} |")
    lines += [
        "",
        "## Scenarios",
        "",
        "| scenario | suite | passed | calls/turn | tokens/turn | first failure |",
        "| --- | --- | ---: | ---: | ---: | --- |",
    ]
    for s in result.scenarios:
        failure = (s.failures[0] if s.failures else "").replace("|", "\\|")[:160]
        lines.append(
            f"| {s.name} | {s.suite} | {s.successes}/{s.trials} | "
            f"{s.model_calls_per_turn:.2f} | {s.prompt_tokens_per_turn:.0f} | {failure} |"
        )
    return "\n".join(lines) + "\n"


def html_report(result: EvalResult) -> str:
    """A self-contained HTML report (inline SVG plots, per-scenario table with failures)."""
    totals = result.totals()
    rows = []
    for s in result.scenarios:
        failures = "<br>".join(html.escape(f) for f in s.failures[:6])
        rows.append(
            f"<tr><td>{html.escape(s.name)}</td><td>{html.escape(s.suite)}</td>"
            f'<td style="color:{_colour(s.pass_rate)}">{s.successes}/{s.trials}</td>'
            f"<td>{s.model_calls_per_turn:.2f}</td><td>{s.prompt_tokens_per_turn:.0f}</td>"
            f"<td>{failures}</td></tr>"
        )
    headline = ", ".join(f"pass^{k} = {v:.3f}" for k, v in result.pass_at_k.items())
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>Switchboard evaluation — {html.escape(result.model)}</title>"
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:3px 6px;font-size:12px;vertical-align:top}"
        "</style></head><body>"
        f"<h1>Scenario evaluation — model <code>{html.escape(result.model)}</code></h1>"
        f"<p>{len(result.scenarios)} scenarios, {result.passed} fully passed; "
        f"k = {result.k}; {html.escape(headline)}; "
        f"{totals['calls_per_turn']} model calls and {totals['prompt_tokens_per_turn']} "
        f"prompt tokens per user turn; {result.duration_s:.1f} s.</p>"
        f"<div style='display:flex;gap:2em;align-items:flex-start'>"
        f"{pass_rate_svg(result.scenarios)}{pass_k_svg(result.pass_at_k)}</div>"
        "<h2>Scenarios</h2><table><tr><th>scenario</th><th>suite</th><th>passed</th>"
        "<th>calls/turn</th><th>tokens/turn</th><th>failures</th></tr>"
        + "".join(rows)
        + "</table></body></html>"
    )


def write_report(result: EvalResult, directory: Path) -> dict[str, Path]:
    """Write ``results.json``, ``report.md``, ``report.html`` and ``pass_rates.svg``."""
    directory.mkdir(parents=True, exist_ok=True)
    files = {
        "json": directory / "results.json",
        "markdown": directory / "report.md",
        "html": directory / "report.html",
        "plot": directory / "pass_rates.svg",
    }
    files["json"].write_text(
        json.dumps(result.as_dict(with_runs=True), indent=2, default=str), encoding="utf-8"
    )
    files["plot"].write_text(pass_rate_svg(result.scenarios), encoding="utf-8")
    files["markdown"].write_text(markdown_report(result, files["plot"].name), encoding="utf-8")
    files["html"].write_text(html_report(result), encoding="utf-8")
    return files
