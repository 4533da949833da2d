"""``switchboard research "QUESTION"``: run the research graph, show progress, write the report."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any, TextIO

from agents.research.deadline import settle_background_work
from app.runtime import SetupError, compile_named, make_context, model_spec


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``research``."""
    parser = subparsers.add_parser(
        "research",
        help="research a question over the company corpus and write a Markdown report",
        description=(
            "Plan the question, run one researcher per task in parallel, compare their notes "
            "and write a cited report. Exit code 0: complete report; 1: partial report (a "
            "researcher failed or ran out of time; the report names the gap); 2: bad settings."
        ),
    )
    parser.add_argument("question", help="the research question (quote it)")
    parser.add_argument("--model", help="model spec: local, scripted, openai:gpt-4o-mini, ...")
    parser.add_argument(
        "--deadline",
        type=float,
        default=None,
        help="seconds for the whole run (default $SWITCHBOARD_RESEARCH_DEADLINE or 300)",
    )
    parser.add_argument("--out", help="write the report to this Markdown file (default: stdout)")
    parser.add_argument(
        "--json", action="store_true", help="progress as JSON lines on stderr (for scripts)"
    )
    parser.set_defaults(run=run)


def describe(event: dict[str, Any]) -> str:
    """One progress line for a custom stream event of the research graph."""
    node, kind = event.get("node", "?"), event.get("event", "?")
    if node == "planner":
        tasks = "; ".join(
            f"{t['id']} → {t.get('company') or 'market'}"
            for t in event.get("tasks", [])
            if t.get("kind") != "comparative_analysis"
        )
        earlier = [e for e in event.get("events", []) if e != event.get("how")]
        why = f" after: {'; '.join(earlier)}" if earlier else ""
        return f"[planner] plan ({event.get('how', '')}){why}: {tasks}"
    if node == "researcher" and kind == "started":
        about = event.get("about", {})
        subject = about.get("company") or "market"
        return f"[{event.get('task')}] started: {subject} — {about.get('focus')}"
    if node == "researcher":
        seconds = float(event.get("ended", 0)) - float(event.get("started", 0))
        if event.get("status") == "ok":
            sources = len(event.get("sources", []))
            return (
                f"[{event.get('task_id')}] done in {seconds:.1f} s: note "
                f"v{event.get('note_version')}, {sources} sources"
            )
        status = "TIMED OUT" if event.get("status") == "timeout" else "FAILED"
        return f"[{event.get('task_id')}] {status} after {seconds:.1f} s: {event.get('error')}"
    return f"[{node}] {kind} ({event.get('how', '')}, note v{event.get('version', '?')})"


def run_research(
    question: str, spec: str, deadline: float | None, progress: TextIO, as_json: bool
) -> dict[str, Any]:
    """Run the graph once, reporting progress; the final state."""
    graph = compile_named("research", None)
    payload: dict[str, Any] = {"question": question}
    if deadline is not None:
        payload["deadline_s"] = deadline
    final: dict[str, Any] = {}
    for mode, chunk in graph.stream(
        payload, context=make_context(None, spec), stream_mode=["custom", "values"]
    ):
        if mode == "values":
            final = chunk
            continue
        line = json.dumps(chunk, default=str) if as_json else describe(chunk)
        progress.write(line + "\n")
        progress.flush()
    return final


def run(args: argparse.Namespace) -> int:
    """Run ``research``; see the parser's description for exit codes."""
    if not args.question.strip():
        print("switchboard research: the question is empty; pass it in quotes.", file=sys.stderr)
        return 2
    if args.deadline is not None and args.deadline <= 0:
        print(
            "switchboard research: --deadline must be a positive number of seconds.",
            file=sys.stderr,
        )
        return 2
    try:
        spec = model_spec(args.model)
    except SetupError as error:
        print(f"switchboard research: {error}", file=sys.stderr)
        return 2
    final = run_research(args.question, spec, args.deadline, sys.stderr, args.json)
    report = str(final.get("report", ""))
    gaps = list(final.get("gaps", []))
    if args.out:
        path = Path(args.out)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(report, encoding="utf-8")
        suffix = f" (partial: {len(gaps)} gap{'s' if len(gaps) != 1 else ''})" if gaps else ""
        print(f"report written to {path}{suffix}", file=sys.stderr)
    else:
        sys.stdout.write(report)
    return finish(1 if gaps else 0)


def finish(code: int, grace_s: float = 120.0) -> int:
    """``code``, once abandoned model calls have stopped; exits hard if one never does.

    A model call that outlived its deadline may still be inside llama.cpp, and an interpreter
    shutting down around it can crash; the report is already written by then.
    """
    if settle_background_work(grace_s):
        return code
    print(
        f"switchboard research: a timed-out model call is still running after {grace_s:.0f} s; "
        "exiting without waiting for it.",
        file=sys.stderr,
    )
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
