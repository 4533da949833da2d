"""The scripted model plays a competent agent: it reads the newest message and the conversation."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.tools import BaseTool
from pydantic import BaseModel

from testing.scripted import ScriptedChatModel
from testing.scripted_followup import is_resume
from testing.scripted_memory import payment_method_named, read_memory
from testing.scripted_slots import extract_slots
from tools import billing, identity, plans, tech_support

BILLING = [*billing.READ_TOOLS, *billing.WRITE_TOOLS, *identity.READ_TOOLS]
PLANS = [*plans.READ_TOOLS, *plans.WRITE_TOOLS, *identity.READ_TOOLS]
TECH = [*tech_support.READ_TOOLS, *tech_support.WRITE_TOOLS, *identity.READ_TOOLS]
SYSTEM = SystemMessage("You are the billing specialist.")


def reply(tools: list[BaseTool], messages: list[BaseMessage]) -> AIMessage:
    """The scripted model's reply to ``messages`` with ``tools`` bound."""
    out = ScriptedChatModel().bind_tools(tools).invoke(messages)
    assert isinstance(out, AIMessage)
    return out


def calls(message: AIMessage) -> list[tuple[str, dict[str, Any]]]:
    return [(call["name"], call["args"]) for call in message.tool_calls]


def called(name: str, args: dict[str, Any], result: str, index: int = 0) -> list[BaseMessage]:
    """An earlier tool call and its result, as the window shows them."""
    call_id = f"call_{name}_{index}"
    return [
        AIMessage("", tool_calls=[{"name": name, "args": args, "id": call_id}]),
        ToolMessage(result, tool_call_id=call_id, name=name),
        AIMessage(f"Here is what I found: {result}"),
    ]


EXPIRED = (
    "The Amex card ending 7162 expired in 2025-06 and cannot be used. Other payment methods "
    "on file: PM1010-2 (bank debit First Harbor Bank ending 6547)."
)


def test_a_payment_method_named_by_its_label_is_taken_from_the_earlier_result() -> None:
    history = [
        SYSTEM,
        HumanMessage("I want to pay my overdue bill B20029."),
        *called("make_payment", {"bill_id": "B20029"}, EXPIRED),
        HumanMessage("OK, pay bill B20029 with the bank debit instead."),
    ]
    assert calls(reply(BILLING, history)) == [
        ("make_payment", {"bill_id": "B20029", "payment_method_id": "PM1010-2"})
    ]


def test_a_payment_method_id_in_the_message_wins_and_unknown_labels_give_none() -> None:
    message = HumanMessage("Pay bill B20029 with PM1010-2 please.")
    assert calls(reply(BILLING, [SYSTEM, message])) == [
        ("make_payment", {"bill_id": "B20029", "payment_method_id": "PM1010-2"})
    ]
    two = "On file: PM1001-1 (bank debit A ending 1111), PM1001-2 (bank debit B ending 2222)."
    assert payment_method_named("the bank debit", [two]) is None
    assert payment_method_named("the one ending 2222", [two]) == "PM1001-2"
    assert payment_method_named("my visa", [EXPIRED]) is None


def test_a_correction_repeats_the_corrected_call_with_the_new_value() -> None:
    bill = "Bill B20002, September 2026 ... Total: $109.20."
    history = [
        SYSTEM,
        HumanMessage("Explain bill B20002 to me."),
        *called("explain_bill", {"bill_id": "B20002"}, bill),
        HumanMessage("Sorry, I meant B20003."),
    ]
    assert calls(reply(BILLING, history)) == [("explain_bill", {"bill_id": "B20003"})]


def test_a_corrected_plan_repeats_the_plan_change_after_it_was_declined() -> None:
    history = [
        HumanMessage("Please switch me to the Plus 40 plan."),
        *called("change_plan", {"new_plan_id": "plus_40"}, "Nothing changed: you said no."),
        HumanMessage("Sorry, I meant the Unlimited plan."),
    ]
    assert calls(reply(PLANS, history)) == [("change_plan", {"new_plan_id": "unlimited"})]


def test_a_correction_without_an_earlier_call_that_takes_it_falls_back_to_keywords() -> None:
    history = [
        HumanMessage("Show my bills."),
        *called("list_bills", {}, "Bills on this account: B20003 ..."),
        HumanMessage("Sorry, I meant B20003."),
    ]
    out = reply(BILLING, history)
    assert out.tool_calls == [] and out.content


def test_back_to_the_bill_repeats_the_bill_task_not_the_digression() -> None:
    history = [
        SYSTEM,
        HumanMessage("Can you explain bill B20003?"),
        *called("explain_bill", {"bill_id": "B20003"}, "Bill B20003 ... Total: $115.80."),
        HumanMessage("Hold on, first tell me the status of my lines."),
        *called("line_status", {}, "L1001-1 (+12025550100): active.", 1),
        AIMessage("Back to your billing question: we had bill B20003."),
        HumanMessage("OK. Back to my bill now."),
    ]
    assert calls(reply(BILLING, history)) == [("explain_bill", {"bill_id": "B20003"})]


def test_resume_cues_are_short_returns_not_requests_for_an_old_plan() -> None:
    assert is_resume("OK. Back to my bill now.")
    assert is_resume("Where were we?")
    assert not is_resume("I want to go back to my old plan.")
    assert not is_resume("I'm back home, turn roaming off.")


def test_without_an_earlier_call_a_resume_fills_arguments_from_the_fact_sheet() -> None:
    facts = SystemMessage(
        "You are the plan specialist.\n\nKnown facts (newest value wins; a user correction "
        "replaces the old value):\n- plan: everyday_15 (turn 1, verified)\n"
        "- requested_plan: unlimited (turn 3, unverified)\n"
        "- phone_number: +12025550100 (turn 1, unverified)"
    )
    memory = read_memory([facts])
    assert memory.fact("plan") == "everyday_15"
    assert memory.fact("requested_plan") == "unlimited"
    assert memory.fact("phone_number") == "+12025550100"
    out = reply(PLANS, [facts, HumanMessage("Back to the plan change.")])
    assert calls(out) == [("change_plan", {"new_plan_id": "unlimited", "line": "+12025550100"})]


def test_a_phone_number_answers_which_line_by_repeating_the_diagnostic() -> None:
    which = "Which line? This account has 2 lines: L1006-1 (+12025550110); L1006-2 (+12025550111)."
    history = [
        HumanMessage("My internet is super slow."),
        *called("run_diagnostic", {"problem": "slow_data"}, which),
        HumanMessage("+12025550110"),
    ]
    assert calls(reply(TECH, history)) == [
        ("run_diagnostic", {"problem": "slow_data", "line": "+12025550110"})
    ]


def test_a_word_that_only_looks_like_a_plan_answers_nothing() -> None:
    quote = "Quote (nothing changed yet): Change line L1001-1 ... to Unlimited ($70.00/month)."
    history = [
        HumanMessage("How much would Unlimited cost me?"),
        *called("price_plan_change", {"new_plan_id": "unlimited"}, quote),
    ]
    vague = reply(PLANS, [*history, HumanMessage("I want the max out of my phone.")])
    assert vague.tool_calls == []
    named = reply(PLANS, [*history, HumanMessage("Unlimited Max then.")])
    assert calls(named) == [("price_plan_change", {"new_plan_id": "unlimited_max"})]


def test_a_named_line_fills_the_line_argument() -> None:
    roaming = HumanMessage("Please turn off roaming on my line +12025550113, I'm back home.")
    assert calls(reply(PLANS, [roaming])) == [
        ("toggle_roaming", {"enabled": False, "line": "+12025550113"})
    ]
    by_id = HumanMessage("What's the status of line L1001-2?")
    assert calls(reply(TECH, [by_id])) == [("line_status", {"line": "L1001-2"})]


def test_a_birth_date_is_never_taken_for_a_phone_number() -> None:
    slots = extract_slots("My name is Maya Patel and I was born 1988-03-14.")
    assert "phone" not in slots and slots["dob"] == "1988-03-14"
    assert extract_slots("born 14 March 1988")["dob"] == "14 March 1988"
    out = reply(BILLING, [HumanMessage("My name is Maya Patel and I was born 1988-03-14.")])
    assert calls(out) == [
        ("verify_customer", {"full_name": "Maya Patel", "date_of_birth": "1988-03-14"})
    ]


@pytest.mark.parametrize(
    "text", ["Please add 2 GB of data.", "I'm running out of data, can you add 2 GB?"]
)
def test_adding_gigabytes_is_a_refuel(text: str) -> None:
    assert calls(reply(PLANS, [HumanMessage(text)])) == [("refuel_data", {"gb": 2.0})]


def test_tool_call_ids_are_the_same_in_a_fresh_model_and_the_prompt_is_kept() -> None:
    prompt: list[BaseMessage] = [SYSTEM, HumanMessage("Explain bill B20003 please.")]
    first = ScriptedChatModel().bind_tools(BILLING)
    again = ScriptedChatModel().bind_tools(BILLING)
    one, two = first.invoke(prompt), again.invoke(prompt)
    assert isinstance(one, AIMessage) and isinstance(two, AIMessage)
    assert one.tool_calls[0]["id"] == two.tool_calls[0]["id"]
    assert str(one.tool_calls[0]["id"]).startswith("call_")
    assert isinstance(first, ScriptedChatModel) and first.last_prompt == prompt


def test_tool_results_are_quoted_verbatim() -> None:
    history = [HumanMessage("Show my bills."), *called("list_bills", {}, "B20003: $115.80")[:2]]
    assert "B20003: $115.80" in str(reply(BILLING, history).content)


class Verdict(BaseModel):
    intent: str
    act: str
    confidence: float


def test_structured_output_and_custom_responders() -> None:
    structured = ScriptedChatModel().with_structured_output(Verdict)
    verdict = structured.invoke([HumanMessage("Sorry, I meant the Unlimited plan.")])
    assert isinstance(verdict, Verdict)
    assert (verdict.intent, verdict.act) == ("plan_change", "correction")
    fixed = ScriptedChatModel(responder=lambda messages, tools: AIMessage("fixed"))
    assert fixed.invoke("hello").content == "fixed"
