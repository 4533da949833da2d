"""Deadlines for a research run: phase cut-offs and running work with a time limit."""

from __future__ import annotations

import contextvars
import os
import queue
import threading
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

DEFAULT_DEADLINE_S = 300.0
PLAN_SHARE = 0.15
"""The planner must have a plan within this share of the run's deadline (else: fallback)."""
RESEARCH_SHARE = 0.6
"""Researchers must finish within this share of the run's deadline."""
ANALYSIS_SHARE = 0.8
"""The analyst must finish within this share; the synthesizer gets the rest."""


class DeadlineExceeded(TimeoutError):
    """The work did not finish before its cut-off."""


def default_deadline() -> float:
    """``$SWITCHBOARD_RESEARCH_DEADLINE`` seconds, else 300."""
    raw = os.environ.get("SWITCHBOARD_RESEARCH_DEADLINE", "").strip()
    try:
        value = float(raw) if raw else DEFAULT_DEADLINE_S
    except ValueError as error:
        raise ValueError(
            f"SWITCHBOARD_RESEARCH_DEADLINE={raw!r} is not a number of seconds; e.g. 300."
        ) from error
    if value <= 0:
        raise ValueError("SWITCHBOARD_RESEARCH_DEADLINE must be a positive number of seconds.")
    return value


def cutoff(started_at: float, deadline_s: float, share: float) -> float:
    """Unix time at which ``share`` of the run's ``deadline_s`` has elapsed."""
    return started_at + deadline_s * share


def seconds_left(until: float) -> float:
    """Seconds until Unix time ``until`` (negative when it has passed)."""
    return until - time.time()


def run_within(work: Callable[[], T], until: float) -> T:
    """Run ``work`` and return its result, or raise ``DeadlineExceeded`` at Unix time ``until``.

    The work runs in a daemon thread with the caller's context (so tracing callbacks still
    attach to the node); on timeout it is abandoned, not killed, and its result is ignored.
    Exceptions from ``work`` are re-raised here.
    """
    remaining = until - time.time()
    if remaining <= 0:
        raise DeadlineExceeded("no time left before the deadline")
    results: queue.Queue[tuple[bool, object]] = queue.Queue(maxsize=1)
    context = contextvars.copy_context()

    def target() -> None:
        try:
            results.put((True, context.run(work)))
        except BaseException as error:  # handed back to the caller, re-raised there
            results.put((False, error))

    threading.Thread(target=target, name="research-work", daemon=True).start()
    try:
        ok, value = results.get(timeout=remaining)
    except queue.Empty:
        raise DeadlineExceeded(f"still running after {remaining:.1f} s") from None
    if not ok:
        raise value  # type: ignore[misc]
    return value  # type: ignore[return-value]


BACKGROUND_THREADS = frozenset({"research-work", "model-call", "model-stream", "llamacpp-decode"})
"""Names of the daemon threads that run abandoned (timed-out) work."""


def settle_background_work(grace_s: float) -> bool:
    """Wait up to ``grace_s`` seconds for abandoned work threads; True when none is left.

    A timed-out model call keeps running until its own deadline; an interpreter that exits
    while one is inside llama.cpp can crash, so entry points wait for them (or exit hard).
    """
    until = time.monotonic() + grace_s
    for thread in threading.enumerate():
        if thread.daemon and thread.name in BACKGROUND_THREADS:
            thread.join(timeout=max(0.0, until - time.monotonic()))
    return not any(
        t.is_alive() and t.daemon and t.name in BACKGROUND_THREADS for t in threading.enumerate()
    )
