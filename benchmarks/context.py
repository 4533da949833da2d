"""``switchboard bench context``: prompt size, checkpoint bytes, overhead and fact retention over
a long conversation — the support graph against a plain "send the whole history" graph.

Both graphs get the same user turns (real chit-chat from the chitchat-dataset package with
project-written facts, tasks, digressions and corrections woven in, see
``data/bench/context_script.yaml``), the same scripted zero-latency model, and a SQLite
checkpointer in a temporary directory. Ours runs turns with the product's durability
(``conversation.state.TURN_DURABILITY``); the baseline keeps LangGraph's defaults.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langchain_core.messages import HumanMessage
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.types import Command

from agents.context import Context
from app.stores import sqlite_saver
from benchmarks._context_graphs import build_baseline, build_standin
from benchmarks._context_probe import CheckpointMeter, prompt_text
from benchmarks._context_report import (
    MODEL,
    THREAD,
    RunResult,
    TurnStats,
    build_report,
    print_table,
)
from benchmarks._context_script import Script, load_script
from conversation.assembly import Budgets
from conversation.state import TURN_DURABILITY
from conversation.tokens import get_counter
from graphs import support
from llm.factory import make_model

CUSTOMER = "C1001"
MAX_RESUMES = 3
"""Confirmation interrupts declined per turn before giving up on the turn."""
REPLAYS = 5
"""Times each sampled turn is replayed (from its checkpoint) to measure overhead."""
LANGGRAPH_DEFAULT_DURABILITY = "async"


@dataclass(frozen=True)
class GraphUnderTest:
    """A compiled graph and how to invoke it."""

    name: str
    graph: Any
    context: Any = None
    durability: str = LANGGRAPH_DEFAULT_DURABILITY


def _progress(message: str) -> None:
    """One progress line on stderr."""
    print(message, file=sys.stderr, flush=True)


def _invoke(target: GraphUnderTest, payload: Any, config: RunnableConfig) -> Any:
    """Run the graph once (with the run context when it has one)."""
    extra: dict[str, Any] = {"durability": target.durability}
    if target.context is not None:
        extra["context"] = target.context
    return target.graph.invoke(payload, config, **extra)


def _config(run: RunResult, thread: str = THREAD) -> RunnableConfig:
    """The run config of a thread, with the recorder attached."""
    return {
        "configurable": {"thread_id": thread},
        "callbacks": [run.recorder],
        "recursion_limit": 50,
    }


def _run_turn(target: GraphUnderTest, text: str, run: RunResult, thread: str = THREAD) -> int:
    """One user turn; confirmation interrupts are declined. Returns the interrupts seen."""
    config = _config(run, thread)
    result = _invoke(target, {"messages": [HumanMessage(content=text)]}, config)
    interrupts = 0
    while isinstance(result, dict) and result.get("__interrupt__") and interrupts < MAX_RESUMES:
        interrupts += 1
        result = _invoke(target, Command(resume="no"), config)
    return interrupts


def _timed_turn(
    target: GraphUnderTest, text: str, run: RunResult, thread: str = THREAD
) -> tuple[float, float, int]:
    """Play one turn; (CPU ms, wall ms) outside model calls, and the interrupts seen."""
    model_wall, model_cpu = run.recorder.model_seconds, run.recorder.model_cpu_seconds
    wall, cpu = time.perf_counter(), time.process_time()
    interrupts = _run_turn(target, text, run, thread)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    cpu_ms = (cpu - (run.recorder.model_cpu_seconds - model_cpu)) * 1000
    wall_ms = (wall - (run.recorder.model_seconds - model_wall)) * 1000
    return cpu_ms, wall_ms, interrupts


def _measure_turn(run: RunResult, target: GraphUnderTest, text: str) -> TurnStats:
    """Play one turn and measure its prompts, model calls and overhead."""
    counter = get_counter(MODEL)
    run.recorder.take()
    cpu_ms, wall_ms, interrupts = _timed_turn(target, text, run)
    calls = run.recorder.take()
    for call in calls:
        run.reuse.add(call)
    if calls:
        run.last_prompt = prompt_text(calls[-1].messages)
    return TurnStats(
        prompt_tokens=max((counter.count_messages(c.messages) for c in calls), default=0),
        calls=len(calls),
        checkpoint_bytes=0,
        overhead_ms=cpu_ms,
        overhead_wall_ms=wall_ms,
        interrupts=interrupts,
    )


def sample_turns(total: int) -> tuple[list[int], list[int]]:
    """Turns whose overhead is measured: 6–15 ("turn 10") and the last ten ("turn 500")."""
    return list(range(min(6, total), min(15, total) + 1)), list(range(total - 9, total + 1))


def run_graph(target: GraphUnderTest, script: Script, db_path: str) -> RunResult:
    """Play the script through ``target``; measure every turn; remember the checkpoints
    the overhead samples start from."""
    run = RunResult(target.name, durability=target.durability)
    meter = CheckpointMeter(db_path, THREAD)
    early, late = sample_turns(len(script.turns))
    starts = {turn - 1 for turn in early + late}
    for number, text in enumerate(script.turns, start=1):
        stats = _measure_turn(run, target, text)
        run.turns.append(dataclasses.replace(stats, checkpoint_bytes=meter.new_bytes()))
        if number in starts:
            latest = target.graph.get_state(_config(run)).config
            run.checkpoints[number] = str(latest["configurable"]["checkpoint_id"])
        if number % 50 == 0 or number == len(script.turns):
            _progress(
                f"[{target.name}] turn {number}/{len(script.turns)}: prompt "
                f"{stats.prompt_tokens} tok, checkpoints {meter.total:,} B written"
            )
    run.checkpoint_total = meter.total
    run.state_bytes = meter.latest_checkpoint_bytes()
    return run


def replay_overhead(target: GraphUnderTest, run: RunResult, script: Script, db_path: str) -> None:
    """Replay the sampled early and late turns, interleaved and ``REPLAYS`` times each, so
    both samples see the same machine load. Each replay runs on a fresh thread holding only
    a copy of the checkpoint the turn started from."""
    early, late = sample_turns(len(script.turns))
    meter = CheckpointMeter(db_path, THREAD)
    samples: dict[str, list[tuple[float, float]]] = {"early": [], "late": []}
    for rep in range(REPLAYS):
        for first, second in zip(early, late, strict=False):
            for label, turn in (("early", first), ("late", second)):
                thread = f"replay-{label}-{turn}-{rep}"
                meter.clone(run.checkpoints[turn - 1], thread)
                cpu_ms, wall_ms, _ = _timed_turn(target, script.turns[turn - 1], run, thread)
                samples[label].append((cpu_ms, wall_ms))
    run.recorder.take()
    run.overhead = samples


def _saver(path: Path) -> SqliteSaver:
    """A SQLite checkpointer on a file (WAL, no fsync per commit: the same for both graphs)."""
    return sqlite_saver(path, synchronous="NORMAL")


def support_graph(path: Path, token_budget: int) -> GraphUnderTest:
    """The real support graph with the scripted model and an authenticated customer."""
    compiled = support.graph.builder.compile(checkpointer=_saver(path))
    context = Context(model=MODEL, customer_id=CUSTOMER, token_budget=token_budget)
    return GraphUnderTest("support", compiled, context)


def standin_graph(path: Path, token_budget: int) -> GraphUnderTest:
    """The engine-only stand-in graph with ``Context``'s default section budgets."""
    defaults = Context(token_budget=token_budget)
    budgets = Budgets(
        total=defaults.token_budget,
        facts=defaults.facts_budget,
        summary=defaults.summary_budget,
        passages=defaults.passages_budget,
        window=defaults.window_budget,
    )
    builder = build_standin(make_model(MODEL), budgets, MODEL)
    return GraphUnderTest("standin", builder.compile(checkpointer=_saver(path)))


def baseline_graph(path: Path) -> GraphUnderTest:
    """The plain whole-history graph with the same scripted model and LangGraph defaults."""
    compiled = build_baseline(make_model(MODEL)).compile(checkpointer=_saver(path))
    return GraphUnderTest("baseline", compiled)


@contextmanager
def _isolated_transcript(directory: Path) -> Iterator[None]:
    """Send the run's transcript to a file in ``directory`` (restored afterwards)."""
    previous = os.environ.get("SWITCHBOARD_TRANSCRIPT_URL")
    os.environ["SWITCHBOARD_TRANSCRIPT_URL"] = f"sqlite:///{directory / 'transcript.sqlite'}"
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("SWITCHBOARD_TRANSCRIPT_URL", None)
        else:
            os.environ["SWITCHBOARD_TRANSCRIPT_URL"] = previous


def parse_args(argv: list[str]) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(
        prog="switchboard bench context",
        description="Long-conversation context benchmark: ours vs a whole-history graph.",
    )
    parser.add_argument("--turns", type=int, default=500, help="user turns (default 500)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--graph",
        choices=("support", "standin"),
        default="support",
        help="graph under test: the support graph, or the engine-only stand-in",
    )
    parser.add_argument("--budget", type=int, default=3000, help="prompt token budget")
    parser.add_argument(
        "--durability",
        choices=("async", "sync", "exit"),
        default=TURN_DURABILITY,
        help=f"LangGraph durability of our turns (default {TURN_DURABILITY}, the product's); "
        f"the baseline keeps LangGraph's default ({LANGGRAPH_DEFAULT_DURABILITY})",
    )
    args = parser.parse_args(argv)
    if args.turns < 20:
        parser.error("--turns must be at least 20 (the script states and corrects facts early)")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run both graphs over the same script and print the comparison."""
    args = parse_args(list(argv if argv is not None else sys.argv[1:]))
    script = load_script(args.turns)
    _progress(f"script: {args.turns} turns ({len(script.scripted)} project-written)")
    build = support_graph if args.graph == "support" else standin_graph
    with tempfile.TemporaryDirectory(prefix="switchboard-bench-context-") as tmp:
        directory = Path(tmp)
        ours_db, base_db = directory / "ours.sqlite", directory / "base.sqlite"
        with _isolated_transcript(directory):
            target = dataclasses.replace(build(ours_db, args.budget), durability=args.durability)
            ours = run_graph(target, script, str(ours_db))
            baseline = baseline_graph(base_db)
            base = run_graph(baseline, script, str(base_db))
        (directory / "replays").mkdir()
        with _isolated_transcript(directory / "replays"):
            _progress(f"replaying sampled turns for overhead ({REPLAYS}x each, interleaved)")
            replay_overhead(target, ours, script, str(ours_db))
            replay_overhead(baseline, base, script, str(base_db))
        with _isolated_transcript(directory):
            report = build_report(ours, base, script, args.budget, args.graph)
    if args.json:
        print(json.dumps(report))
    else:
        print_table(report)
    return 0
