"""A message of identity details only is not classified while nobody is identified."""

from __future__ import annotations

import pytest

from agents.context import Context
from agents.turn import IDENTITY_ONLY, triage_message


@pytest.mark.parametrize(
    "text",
    ["+1 (202) 555-0100", "My phone number is +12025550100", "Maya Patel, 14/03/1988"],
)
def test_identity_details_alone_answer_the_identity_question(text: str) -> None:
    assert triage_message(text, {}, Context(model="scripted"), "") == [IDENTITY_ONLY]


def test_once_identified_the_same_message_is_classified() -> None:
    verdicts = triage_message(
        "+1 (202) 555-0100", {}, Context(model="scripted", customer_id="C1001"), ""
    )
    assert verdicts != [IDENTITY_ONLY]
    assert all(verdict.path != "identity" for verdict in verdicts)


def test_a_request_with_identity_details_is_classified_by_the_request() -> None:
    verdicts = triage_message(
        "I'm Maya Patel, born 14 March 1988, my bill is wrong", {}, Context(model="scripted"), ""
    )
    assert verdicts[0].intent == "billing"
