"""Deadlines of a research run: bounded work, re-raised errors, settling abandoned threads."""

from __future__ import annotations

import threading
import time

import pytest

from agents.research.deadline import (
    DeadlineExceeded,
    cutoff,
    default_deadline,
    run_within,
    settle_background_work,
)
from agents.research.researcher import unique_lines


def test_run_within_returns_the_result_or_re_raises_the_error() -> None:
    assert run_within(lambda: 42, time.time() + 30) == 42
    with pytest.raises(KeyError, match="boom"):
        run_within(lambda: {}["boom"], time.time() + 30)


def test_run_within_gives_up_at_the_cut_off_and_the_work_can_be_settled() -> None:
    release = threading.Event()
    with pytest.raises(DeadlineExceeded):
        run_within(lambda: release.wait(30), time.time() + 0.2)
    assert not settle_background_work(0.0)
    release.set()
    assert settle_background_work(10.0)


def test_no_time_left_means_no_work_starts() -> None:
    started = threading.Event()
    with pytest.raises(DeadlineExceeded, match="no time left"):
        run_within(started.set, time.time() - 1)
    assert not started.is_set()


def test_cutoffs_and_the_default_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    assert cutoff(100.0, 50.0, 0.6) == 130.0
    monkeypatch.setenv("SWITCHBOARD_RESEARCH_DEADLINE", "42")
    assert default_deadline() == 42.0
    monkeypatch.setenv("SWITCHBOARD_RESEARCH_DEADLINE", "soon")
    with pytest.raises(ValueError, match="SWITCHBOARD_RESEARCH_DEADLINE"):
        default_deadline()


def test_repeated_findings_are_dropped() -> None:
    assert unique_lines("- a [x]\n- b [y]\n- a [x]\n\n- B [y]") == "- a [x]\n- b [y]\n"
