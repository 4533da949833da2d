"""The scenario grader is loose in form only: amounts and dates in other words still match."""

from __future__ import annotations

import pytest

from app.evaluation.checks import TurnRecord, check_turn
from app.evaluation.scenarios import TurnExpect


def _reply(text: str, expect: TurnExpect) -> list[str]:
    return check_turn(TurnRecord(index=0, kind="user", text="q", reply=text), expect)


@pytest.mark.parametrize("reply", ["$115.80", "115.8 dollars", "a total of 115.80", "USD 115.80"])
def test_an_amount_matches_in_any_common_form(reply: str) -> None:
    assert _reply(reply, TurnExpect(reply_contains=("115.80",))) == []


@pytest.mark.parametrize("reply", ["$115.81", "$15.80", "1158", "115"])
def test_a_different_amount_never_matches(reply: str) -> None:
    assert _reply(reply, TurnExpect(reply_contains=("115.80",))) != []


@pytest.mark.parametrize(
    "reply", ["due 2026-11-25", "due November 25, 2026", "due 25 November 2026", "due 11/25/2026"]
)
def test_a_date_matches_in_any_common_form(reply: str) -> None:
    assert _reply(reply, TurnExpect(reply_contains=("2026-11-25",))) == []


def test_a_different_date_never_matches_and_exclusions_follow_the_same_forms() -> None:
    assert _reply("due November 26, 2026", TurnExpect(reply_contains=("2026-11-25",))) != []
    assert _reply("you owe $109.2", TurnExpect(reply_excludes=("109.20",))) != []
