"""A change the customer asks for by name is found in code; questions and negations are not."""

from __future__ import annotations

import pytest
from langchain_core.messages import AIMessage, HumanMessage

from agents.base import instead_of_handoff, unasked_handoff
from agents.dialog import off_topic_redirect
from agents.proposals import proposed_write, requested_write
from agents.roster import support_roster
from agents.slots import HOW_TO, WRITE_PROPOSALS, WRITE_REQUESTS
from agents.triage import Triage
from agents.turn import with_requested_task
from tools import billing, plans, tech_support

WRITES = [*billing.WRITE_TOOLS, *plans.WRITE_TOOLS, *tech_support.WRITE_TOOLS]


@pytest.mark.parametrize(
    ("text", "tool"),
    [
        ("I want to pay my overdue bill B20029", "make_payment"),
        ("can i just pay off what i owe", "make_payment"),
        ("pls pay B20002 with my card", "make_payment"),
        ("zero bars since monday, open a ticket pls", "open_ticket"),
        ("Could you raise a support ticket for my line?", "open_ticket"),
        ("my phone turned up, turn my line back on", "resume_line"),
        ("please reactivate L1004-2", "resume_line"),
        ("switch me over to the Plus plan", "change_plan"),
        ("I'd like to upgrade to unlimited", "change_plan"),
        ("top up 2gb on my main line", "refuel_data"),
        ("im almost out, top me up with 1 gig", "refuel_data"),
        ("turn on roaming for my trip", "toggle_roaming"),
        ("text me a payment link", "send_payment_request"),
        ("can i just settle the late one right now", "make_payment"),
        ("can you send me a link so I can pay B20003 myself later?", "send_payment_request"),
    ],
)
def test_a_request_that_names_a_change_asks_for_that_write(text: str, tool: str) -> None:
    found = requested_write(text, WRITES, WRITE_REQUESTS)
    assert found is not None and found.name == tool


@pytest.mark.parametrize(
    "text",
    [
        "when is my payment due?",
        "what plans do you have",
        "is roaming on for my line?",
        "how much do I pay a month for my plan",
        "don't change my plan yet, just tell me the price",
        "my data is slow",
        "I do not want to pay that bill",
        "why did my payment fail",
    ],
)
def test_a_question_or_a_negated_request_asks_for_no_write(text: str) -> None:
    assert requested_write(text, WRITES, WRITE_REQUESTS) is None


def test_only_the_agents_own_write_tools_are_candidates() -> None:
    assert requested_write("open a ticket pls", billing.WRITE_TOOLS, WRITE_REQUESTS) is None


def test_a_free_text_yes_no_about_a_change_still_names_its_write() -> None:
    found = proposed_write("Shall I switch you to the Unlimited plan?", WRITES, WRITE_PROPOSALS)
    assert found is not None and found.name == "change_plan"
    assert proposed_write("Your plan is Plus 40.", WRITES, WRITE_PROPOSALS) is None


def test_an_off_topic_verdict_naming_one_agents_change_becomes_its_task() -> None:
    off = Triage("out_of_scope", "question", 0.6, 0.9, "local", "")
    text = "zero bars at my house since monday, can someone look into it? open a ticket pls"
    verdicts = with_requested_task([off], text, support_roster())
    assert (verdicts[0].intent, verdicts[0].act, verdicts[0].path) == (
        "tech_support",
        "request",
        "rule",
    )


def test_an_off_topic_verdict_without_a_named_change_stays_off_topic() -> None:
    off = Triage("out_of_scope", "question", 0.9, 0.9, "local", "")
    assert with_requested_task([off], "who won the game last night?", support_roster()) == [off]


def test_an_off_topic_message_is_not_handed_to_a_person_nobody_asked_for() -> None:
    handoff = AIMessage(
        content="", tool_calls=[{"name": "transfer_to_human", "args": {"summary": "s"}, "id": "c"}]
    )
    football = {"intent": "out_of_scope", "messages": [HumanMessage("who won the game?")]}
    person = {"intent": "out_of_scope", "messages": [HumanMessage("let me talk to a person")]}
    assert unasked_handoff(handoff, football)
    assert not unasked_handoff(handoff, person)


def test_no_message_is_handed_to_a_person_unless_one_was_asked_for_or_offered() -> None:
    handoff = AIMessage(
        content="", tool_calls=[{"name": "transfer_to_human", "args": {"summary": "s"}, "id": "c"}]
    )
    unsure = {"intent": "none", "act": "request", "messages": [HumanMessage("are both up?")]}
    staff = {"intent": "none", "messages": [HumanMessage("can someone from your team take over?")]}
    offer = AIMessage(content="Would you like me to transfer you to a human agent?")
    accepted = {"intent": "none", "act": "yes", "messages": [offer, HumanMessage("yes please")]}
    assert unasked_handoff(handoff, unsure)
    assert not unasked_handoff(handoff, staff)
    assert not unasked_handoff(handoff, accepted)
    assert not unasked_handoff(AIMessage(content="Both lines are active."), unsure)
    assert "talk to a person" in instead_of_handoff(unsure)
    assert instead_of_handoff({"intent": "out_of_scope"}) == off_topic_redirect()


@pytest.mark.parametrize(
    ("text", "how_to"),
    [
        ("How do I set up an eSIM on my phone?", True),
        ("how can I pay my bill online?", True),
        ("how to turn on roaming", True),
        ("can i just settle the late one right now", False),
        ("cant send photos in texts anymore?? whats wrong", False),
    ],
)
def test_a_how_to_question_is_told_from_a_request_in_question_form(text: str, how_to: bool) -> None:
    assert bool(HOW_TO.search(text)) is how_to
