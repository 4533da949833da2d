"""Concurrent threads over HTTP: our two-worker server on Postgres vs ``langgraph dev`` in memory.

Phases, all on loopback with the scripted zero-latency model: (1) N threads x T turns against
``switchboard serve --workers 2``; (2) a double-text storm on one thread; (3) the same load
again while one worker is SIGKILLed mid-turn, then an audit of every thread and of the telco
store; (4) the baseline: the same load through ``langgraph_sdk`` against ``langgraph dev``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import signal
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

import httpx

from agents.intent_classifier import IntentClassifier
from app.devserver import langgraph_dev
from app.server.launcher import serve_subprocess
from benchmarks._load_checks import audit, storm_verdict, write_effects
from benchmarks._load_client import (
    BaselineClient,
    Conversation,
    OurClient,
    Stats,
    Step,
    converse,
    progress,
    script,
    ticker,
)
from data_access.admin import recreate_database
from llm.factory import SCRIPTED
from tools.store import open_store

T = TypeVar("T")
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/switchboard_bench"
BASELINE_SAMPLE = 20
SHARD = 10
"""Conversations per HTTP connection pool, on both sides. httpx's pool does work in
proportion to its open requests on every request, so one pool for 200 concurrent requests
made the load generator use as much CPU as the server it measures, on the same 2 cores."""


def parse_args(argv: list[str]) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(
        prog="switchboard bench load", description=(__doc__ or "").splitlines()[0]
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--threads", type=int, default=200, help="concurrent threads (200)")
    parser.add_argument("--turns", type=int, default=10, help="requests per thread (10)")
    parser.add_argument("--storm", type=int, default=50, help="messages in the storm (50)")
    parser.add_argument("--fault-threads", type=int, default=0, help="threads (default N/4)")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers (2)")
    parser.add_argument(
        "--database-url",
        default=DEFAULT_URL,
        help="Postgres database for the run; it is dropped and re-created (default %(default)s)",
    )
    parser.add_argument("--max-seconds", type=float, default=600, help="time cap per phase")
    parser.add_argument("--skip-baseline", action="store_true", help="do not run langgraph dev")
    parser.add_argument("--skip-fault", action="store_true", help="do not kill a worker")
    args = parser.parse_args(argv)
    for name in ("threads", "turns", "storm", "workers"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    if args.threads > 1000 or args.turns > 100 or args.storm > 500:
        parser.error("the benchmark is bounded: at most 1000 threads, 100 turns, a storm of 500")
    return args


def log(message: str) -> None:
    """Progress on stderr."""
    print(f"[load] {message}", file=sys.stderr, flush=True)


def fresh_database(url: str) -> None:
    """Drop and re-create the benchmark database (a clean telco store and checkpoints)."""
    try:
        recreate_database(url)
    except ValueError as error:
        raise SystemExit(f"--database-url: {error}") from error


def customers(url: str) -> list[str]:
    """Customer ids of the seeded telco store (seeds it on first use)."""
    return [c.customer_id for c in open_store(url).customers()]


def conversations(
    run_id: str, label: str, count: int, turns: int, ids: list[str]
) -> list[Conversation]:
    """``count`` scripted conversations spread over the customers."""
    return [
        Conversation(
            customer=ids[i % len(ids)],
            token=f"bench-{ids[i % len(ids)]}",
            ref=f"{run_id}-{label}{i}",
            steps=script(f"{run_id}-{label}{i}", turns),
        )
        for i in range(count)
    ]


async def run_load(
    convs: list[Conversation],
    send: Callable[[Conversation, Step, str], Awaitable[dict[str, Any] | None]],
    stats: Stats,
    label: str,
    max_seconds: float,
    during: Callable[[], Coroutine[Any, Any, None]] | None = None,
) -> bool:
    """Play every conversation at once; ``False`` when the time cap cut the phase short."""
    total = sum(len(c.steps) for c in convs)
    tick = asyncio.create_task(ticker(label, lambda: stats.requests, total))
    side = asyncio.create_task(during()) if during else None
    stats.started = time.perf_counter()
    try:
        await asyncio.wait_for(
            asyncio.gather(*(converse(send, conv) for conv in convs)), timeout=max_seconds
        )
        finished = True
    except TimeoutError:
        finished = False
        log(f"{label}: stopped at the {max_seconds:.0f}s cap")
    stats.finished = time.perf_counter()
    tick.cancel()
    if side:
        side.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await side
    progress(label, stats.requests, total)
    return finished


async def create_threads(client: OurClient, convs: list[Conversation]) -> None:
    """Create every conversation's thread (a few at a time)."""
    gate = asyncio.Semaphore(16)

    async def one(conv: Conversation) -> None:
        async with gate:
            conv.thread = await client.create_thread(conv.token)

    await asyncio.gather(*(one(conv) for conv in convs))


async def storm(
    shards: list[httpx.AsyncClient], base: str, token: str, size: int
) -> dict[str, Any]:
    """Post ``size`` messages to one thread at once; check order and exactly-once."""
    http = shards[0]
    clients = [OurClient(h, base, retries=3) for h in shards]
    thread = await clients[0].create_thread(token)
    conv = Conversation(customer="", token=token, ref="storm", steps=[], thread=thread)
    texts = {i: f"what plans are there (storm message {i})" for i in range(size)}
    stats = Stats()
    results = await asyncio.gather(
        *(
            shard_of(i, clients).request(conv, Step("message", texts[i]), f"storm-{i}", stats)
            for i in texts
        )
    )
    stats.finished = time.perf_counter()
    accepted = {i: int(r["_seq"]) for i, r in zip(texts, results, strict=True) if r}
    history = (
        await http.get(
            f"{base}/v1/threads/{thread}/history", headers={"Authorization": f"Bearer {token}"}
        )
    ).json()
    return storm_verdict(accepted, texts, history, thread) | {
        "storm_seconds": stats.summary()["seconds"],
        "storm_errors": stats.errors_5xx + stats.errors_4xx + stats.stream_errors,
    }


def our_env(url: str, ids: list[str]) -> dict[str, str]:
    """Settings of the served workers."""
    return {
        "SWITCHBOARD_DATABASE_URL": url,
        "SWITCHBOARD_MODEL": SCRIPTED,
        "SWITCHBOARD_API_TOKENS": ",".join(f"bench-{c}:{c}" for c in ids),
        "SWITCHBOARD_RATE_LIMIT_CUSTOMER": "off",
        "SWITCHBOARD_RATE_LIMIT_IP": "off",
        "SWITCHBOARD_REDIS_URL": "",
        "SWITCHBOARD_BUSY_POLICY": "queue",
        "LANGSMITH_TRACING": "false",
    }


async def run_ours(args: argparse.Namespace, run_id: str, ids: list[str]) -> dict[str, Any]:
    """Phases 1-3 against our server."""
    report: dict[str, Any] = {}
    with serve_subprocess(
        our_env(args.database_url, ids), workers=args.workers, extra_args=("--no-dev-login",)
    ) as server:
        limits = httpx.Limits(max_connections=SHARD + 64, max_keepalive_connections=SHARD + 64)
        async with contextlib.AsyncExitStack() as pools:
            shards = [
                await pools.enter_async_context(
                    httpx.AsyncClient(limits=limits, timeout=httpx.Timeout(300.0))
                )
                for _ in range(shard_count(max(args.threads, args.storm)))
            ]
            http = shards[0]
            log(f"ours: {args.threads} threads x {args.turns} turns, {args.workers} workers")
            client = OurClient(http, server.url, retries=3)
            load = conversations(run_id, "t", args.threads, args.turns, ids)
            await create_threads(client, load)
            stats = Stats()
            pick = sharded(load, [OurClient(h, server.url, retries=3) for h in shards])
            cpu_before = server.worker_cpu_seconds()
            done = await run_load(
                load,
                lambda c, s, k: pick[c.ref].request(c, s, k, stats),
                stats,
                "ours",
                args.max_seconds,
            )
            cpu = {
                pid: round(seconds - cpu_before.get(pid, 0.0), 1)
                for pid, seconds in server.worker_cpu_seconds().items()
            }
            report["load"] = stats.summary() | {"completed": done, "worker_cpu_seconds": cpu}

            log(f"storm: {args.storm} messages at once to one thread")
            report["storm"] = await storm(shards, server.url, f"bench-{ids[0]}", args.storm)

            fault: list[Conversation] = []
            if not args.skip_fault:
                fault = conversations(
                    run_id, "f", args.fault_threads or max(10, args.threads // 4), args.turns, ids
                )
                report["fault"] = await fault_phase(shards, server, fault, args.max_seconds)

            log("audit: reading every thread's history, state and inbox")
            await asyncio.sleep(1.0)
            report["audit_load"] = (await audit(http, server.url, load)).as_dict()
            if fault:
                report["audit_fault"] = (await audit(http, server.url, fault)).as_dict()
            report["writes"] = await asyncio.to_thread(
                write_effects, args.database_url, run_id, load + fault
            )
            report["server_log_tail"] = server.log_tail(1500) if _log_has_errors(server) else ""
    return report


def _log_has_errors(server: Any) -> bool:
    return "Traceback" in server.log_tail(200_000)


def shard_count(conversations: int) -> int:
    """How many clients ``conversations`` need at ``SHARD`` conversations each."""
    return max(1, math.ceil(conversations / SHARD))


def shard_of(index: int, clients: list[T]) -> T:
    """The client of the ``index``-th conversation (or request)."""
    return clients[(index // SHARD) % len(clients)]


def sharded(convs: list[Conversation], clients: list[T]) -> dict[str, T]:
    """Each conversation's client (by ``ref``): ``SHARD`` conversations per client."""
    return {conv.ref: shard_of(i, clients) for i, conv in enumerate(convs)}


async def fault_phase(
    shards: list[httpx.AsyncClient], server: Any, convs: list[Conversation], max_seconds: float
) -> dict[str, Any]:
    """The load again; one worker is SIGKILLed once a third of the requests went out."""
    clients = [OurClient(http, server.url, retries=6) for http in shards]
    pick = sharded(convs, clients)
    await create_threads(clients[0], convs)
    stats = Stats()
    total = sum(len(c.steps) for c in convs)
    killed: dict[str, Any] = {}

    async def killer() -> None:
        while stats.requests < total // 3:
            await asyncio.sleep(0.02)
        before = server.worker_cpu_seconds()
        await asyncio.sleep(0.5)
        after = server.worker_cpu_seconds()
        busy = {pid: after[pid] - before.get(pid, 0.0) for pid in after}
        if busy:
            victim = max(busy, key=busy.__getitem__)  # the worker with turns in flight
            os.kill(victim, signal.SIGKILL)
            killed.update(pid=victim, at_request=stats.requests, cpu_last_half_s=busy)
            log(f"fault: SIGKILL worker {victim} at request {stats.requests}/{total}")

    log(f"fault: {len(convs)} threads, one worker will be killed mid-load")
    done = await run_load(
        convs,
        lambda c, s, k: pick[c.ref].request(c, s, k, stats),
        stats,
        "fault",
        max_seconds,
        killer,
    )
    return stats.summary() | {"completed": done, "killed_worker": killed}


async def run_baseline(args: argparse.Namespace, run_id: str, ids: list[str]) -> dict[str, Any]:
    """Phase 4: the same load through ``langgraph_sdk`` against ``langgraph dev``."""
    env = {"SWITCHBOARD_DATABASE_URL": args.database_url, "SWITCHBOARD_MODEL": SCRIPTED}
    log("baseline: starting langgraph dev (in-memory server)")
    with langgraph_dev(extra_env=env) as url:
        client = BaselineClient(url, args.database_url)
        convs = conversations(run_id, "b", args.threads, args.turns, ids)
        shards = [BaselineClient(url, args.database_url) for _ in range(shard_count(len(convs)))]
        pick = sharded(convs, shards)
        gate = asyncio.Semaphore(16)

        async def create(conv: Conversation) -> None:
            async with gate:
                conv.thread = await client.create_thread()

        await asyncio.gather(*(create(conv) for conv in convs))
        log(f"baseline: {args.threads} threads x {args.turns} turns")
        stats = Stats()
        done = await run_load(
            convs,
            lambda c, s, k: pick[c.ref].request(c, s, k, stats),
            stats,
            "baseline",
            args.max_seconds,
        )
        # langgraph dev reloads its whole in-memory store for every state read, so only a
        # sample of threads is checked (this does not count towards its throughput).
        sample = convs[:: max(1, len(convs) // BASELINE_SAMPLE)][:BASELINE_SAMPLE]
        log(f"baseline: reading the turn counter of {len(sample)} threads")
        counts = [await client.turn_count(conv.thread) for conv in sample]
        log("baseline: stopping langgraph dev")
        lost = sum(max(0, len(c.sent_messages) - n) for c, n in zip(sample, counts, strict=True))
        dup = sum(max(0, n - len(c.sent_messages)) for c, n in zip(sample, counts, strict=True))
    return stats.summary() | {
        "completed": done,
        "checked_threads": len(sample),
        "lost_turns": lost,
        "duplicated_turns": dup,
    }


def summarize(report: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    """The headline figures, next to the per-phase details."""
    load, storm_report = report["ours"]["load"], report["ours"]["storm"]
    audits = [report["ours"]["audit_load"], report["ours"].get("audit_fault") or {}]
    fault = report["ours"].get("fault") or {}
    baseline = report.get("baseline") or {}
    summary: dict[str, Any] = {
        "threads": args.threads,
        "turns_per_thread": args.turns,
        "workers": args.workers,
        "turns_per_s": load["turns_per_s"],
        "p50_ms": load["p50_ms"],
        "p95_ms": load["p95_ms"],
        "p99_ms": load["p99_ms"],
        "errors_5xx": load["errors_5xx"] + fault.get("errors_5xx", 0),
        "errors_other": load["errors_4xx"] + load["stream_errors"] + load["failed"],
        "connection_retries": load["transport_errors"],
        "lost_turns": sum(a.get("lost_turns", 0) for a in audits),
        "duplicated_turns": sum(a.get("duplicated_turns", 0) for a in audits),
        "storm_in_order": storm_report["storm_in_order"],
        "storm_exactly_once": storm_report["storm_exactly_once"],
        "baseline_turns_per_s": baseline.get("turns_per_s"),
        "baseline_p50_ms": baseline.get("p50_ms"),
        "baseline_p95_ms": baseline.get("p95_ms"),
        "baseline_p99_ms": baseline.get("p99_ms"),
        "baseline_errors": sum(
            baseline.get(k, 0) for k in ("errors_5xx", "errors_4xx", "stream_errors")
        ),
        "writes_run_twice": report["ours"]["writes"]["writes_run_twice"],
        "fault_killed_inflight": fault.get("transport_errors", 0),
        "fault_consistent": (report["ours"].get("audit_fault") or {}).get("consistent"),
    }
    if summary["baseline_turns_per_s"]:
        summary["speedup"] = round(summary["turns_per_s"] / summary["baseline_turns_per_s"], 2)
    summary["targets_met"] = {
        "throughput_2x": bool(summary.get("speedup") and summary["speedup"] >= 2),
        "lower_p95": bool(
            summary["baseline_p95_ms"]
            and summary["p95_ms"]
            and summary["p95_ms"] < summary["baseline_p95_ms"]
        ),
        "no_lost_or_duplicated": summary["lost_turns"] == 0 and summary["duplicated_turns"] == 0,
        "no_5xx": summary["errors_5xx"] == 0,
        "storm": summary["storm_in_order"] and summary["storm_exactly_once"],
        "writes_once": summary["writes_run_twice"] == 0
        and report["ours"]["writes"]["writes_missing"] == 0
        and report["ours"]["writes"]["writes_after_decline"] == 0,
    }
    return summary | {"details": report}


def print_table(summary: dict[str, Any]) -> None:
    """A human-readable side-by-side."""
    rows = [
        ("turns/s", summary["turns_per_s"], summary["baseline_turns_per_s"]),
        ("p50 ms", summary["p50_ms"], summary["baseline_p50_ms"]),
        ("p95 ms", summary["p95_ms"], summary["baseline_p95_ms"]),
        ("p99 ms", summary["p99_ms"], summary["baseline_p99_ms"]),
    ]
    print(f"{'':10} {'ours':>12} {'langgraph dev':>14}")
    for name, ours, base in rows:
        print(f"{name:10} {ours!s:>12} {base!s:>14}")
    for key in (
        "errors_5xx",
        "lost_turns",
        "duplicated_turns",
        "storm_in_order",
        "storm_exactly_once",
        "writes_run_twice",
        "fault_killed_inflight",
        "fault_consistent",
        "speedup",
    ):
        print(f"{key}: {summary.get(key)}")
    print("targets met:", json.dumps(summary["targets_met"]))


def warm_up() -> None:
    """Train or load the intent classifier once, so the servers read it from the cache."""
    IntentClassifier.load()


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print a table, or one JSON object with ``--json``."""
    args = parse_args(list(argv or []))
    os.environ.setdefault("LANGSMITH_TRACING", "false")
    run_id = uuid.uuid4().hex[:8]
    log(f"run {run_id}: preparing database {args.database_url.rpartition('/')[2]}")
    fresh_database(args.database_url)
    ids = customers(args.database_url)
    warm_up()
    report: dict[str, Any] = {"run_id": run_id, "ours": asyncio.run(run_ours(args, run_id, ids))}
    if not args.skip_baseline:
        report["baseline"] = asyncio.run(run_baseline(args, run_id, ids))
    summary = summarize(report, args)
    if args.json:
        print(json.dumps(summary, default=str))
    else:
        print_table(summary)
    return 0
