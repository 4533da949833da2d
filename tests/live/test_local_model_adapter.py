"""The embedded 1.5B model through the adapter: tool choice, structured output, streaming, reuse."""

from __future__ import annotations

from typing import Literal

import pytest
from langchain_core.messages import AIMessage, AnyMessage, HumanMessage, SystemMessage
from langchain_core.tools import tool
from pydantic import BaseModel

from llm.errors import ModelConfigError
from llm.llamacpp_chat import LlamaCppChatModel

pytestmark = [pytest.mark.live, pytest.mark.timeout(3600)]

SYSTEM = SystemMessage(
    "You are the support assistant of Bluebell Mobile. Use a tool whenever the customer's "
    "request needs account data or an action; otherwise answer briefly yourself."
)


@tool
def get_bills(limit: int = 3) -> str:
    """List the customer's recent bills with amount, due date and status."""
    return "[]"


@tool
def list_plans() -> str:
    """List the plans the customer can move to, with monthly price and data allowance."""
    return "[]"


@tool
def change_plan(plan_id: str) -> str:
    """Move the customer's line to another plan (plan ids look like P-ROAM20)."""
    return "ok"


@tool
def check_network_status(area: str = "") -> str:
    """Check for network outages or signal problems affecting the customer's line."""
    return "ok"


@tool
def transfer_to_human(reason: str) -> str:
    """Hand the conversation to a human agent with a short reason."""
    return "ok"


TOOLS = [get_bills, list_plans, change_plan, check_network_status, transfer_to_human]
CASES = [
    ("Why is my bill so high this month?", {"get_bills"}),
    ("Which plans could I switch to?", {"list_plans"}),
    ("Please move my line to plan P-ROAM20.", {"change_plan"}),
    ("My phone has had no signal since this morning.", {"check_network_status"}),
    ("I want to speak to a real person, please.", {"transfer_to_human"}),
    ("Hi there!", {"respond"}),
]


class Intent(BaseModel):
    """What the customer wants."""

    intent: Literal["billing", "plan_change", "tech_support", "other"]


INTENTS = [
    ("I was charged twice on my last invoice.", "billing"),
    ("I'd like a plan with more data.", "plan_change"),
    ("My mobile internet keeps dropping.", "tech_support"),
    ("What's the capital of France?", "other"),
]


CLASSIFY = SystemMessage(
    "Classify the customer's latest message for a mobile operator's support desk: billing "
    "(bills, charges, payments), plan_change (switching or comparing plans), tech_support "
    "(signal, data, device problems), other (anything else)."
)


@pytest.fixture(scope="module")
def model() -> LlamaCppChatModel:
    """The pinned 1.5B model (skips with the reason when it is not installed)."""
    from llm.factory import make_model

    try:
        built = make_model("local", resilient=False, max_tokens=128)
    except ModelConfigError as error:
        pytest.skip(f"the embedded local model is not available: {error}")
    assert isinstance(built, LlamaCppChatModel)
    return built


def ask(text: str) -> list[AnyMessage]:
    return [SYSTEM, HumanMessage(text)]


def decision(reply: AIMessage) -> str:
    return reply.tool_calls[0]["name"] if reply.tool_calls else "respond"


def test_the_1_5b_model_picks_the_right_tool(model: LlamaCppChatModel) -> None:
    bound = model.bind_tools(TOOLS)
    wrong = []
    for text, expected in CASES:
        reply = bound.invoke(ask(text))
        assert isinstance(reply, AIMessage)
        if decision(reply) not in expected:
            wrong.append(f"{text!r}: {decision(reply)} {reply.tool_calls or reply.text!r}")
    assert len(wrong) <= 1, wrong


def test_plan_change_arguments_come_from_the_message(model: LlamaCppChatModel) -> None:
    reply = model.bind_tools(TOOLS, tool_choice="change_plan").invoke(
        ask("Please move my line to plan P-ROAM20.")
    )
    assert reply.tool_calls[0]["args"] == {"plan_id": "P-ROAM20"}


def test_structured_intent_classification(model: LlamaCppChatModel) -> None:
    classify = model.with_structured_output(Intent)
    results = [classify.invoke([CLASSIFY, HumanMessage(text)]) for text, _ in INTENTS]
    right = sum(
        isinstance(r, Intent) and r.intent == want
        for r, (_, want) in zip(results, INTENTS, strict=True)
    )
    assert right >= 3, results


def test_reply_streams_and_the_next_turn_reuses_the_prefix(model: LlamaCppChatModel) -> None:
    bound = model.bind_tools(TOOLS, tool_choice="none")
    chunks = [str(c.content) for c in bound.stream(ask("Hi there!")) if c.content]
    assert len(chunks) > 1
    first = bound.invoke(ask("Hi there!"))
    later = [*ask("Hi there!"), first, HumanMessage("Thanks, that's all.")]
    second = bound.invoke(later)
    assert (
        second.response_metadata["prefix_reused_tokens"] >= first.response_metadata["prompt_tokens"]
    )
