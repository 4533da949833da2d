"""The research plan: strict parsing, deterministic repair, re-asking, and the fallback."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import pytest
from langchain_core.messages import AIMessage, BaseMessage

from agents.research.plan import (
    PlanError,
    fallback_plan,
    parse_plan,
    question_focus,
    repair_plan,
)
from agents.research.planner import obtain_plan
from testing.research_policies import planner as scripted_planner
from testing.scripted import ScriptedChatModel

COMPANIES = ["Contoso Telecom", "Fabrikam Wireless", "Northwind Mobile", "Tailspin Networks"]
QUESTION = "Compare Northwind Mobile and Contoso Telecom, focusing on AI strategy"
VALID = {
    "focus": "AI strategy",
    "tasks": [
        {
            "id": "research_company_a",
            "kind": "research_company",
            "company": "Northwind Mobile",
            "focus": "AI strategy",
        },
        {
            "id": "research_company_b",
            "kind": "research_company",
            "company": "Contoso Telecom",
            "focus": "AI strategy",
        },
        {
            "id": "comparative_analysis",
            "kind": "comparative_analysis",
            "company": None,
            "focus": "compare",
        },
    ],
}


def test_a_valid_plan_parses_even_inside_a_code_fence() -> None:
    plan = parse_plan(f"Here you go:\n```json\n{json.dumps(VALID)}\n```", COMPANIES)
    assert [t.company for t in plan.research_tasks] == ["Northwind Mobile", "Contoso Telecom"]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("no json here", "no JSON object"),
        ('{"focus": "xy", "tasks": [}', "invalid JSON"),
        (json.dumps({**VALID, "tasks": VALID["tasks"][:2]}), "comparative_analysis"),
        (
            json.dumps(
                {
                    "focus": "xy",
                    "tasks": [{**VALID["tasks"][0], "company": "Acme"}, VALID["tasks"][2]],
                }
            ),
            "Acme",
        ),
        (
            json.dumps(
                {"focus": "xy", "tasks": [{**VALID["tasks"][0], "extra": 1}, VALID["tasks"][2]]}
            ),
            "schema errors",
        ),
    ],
)
def test_invalid_plans_are_rejected_with_a_reason(text: str, problem: str) -> None:
    with pytest.raises(PlanError, match=problem):
        parse_plan(text, COMPANIES)


def test_repair_fixes_trailing_commas_loose_kinds_and_company_spelling() -> None:
    messy = """{'focus': 'AI strategy', 'tasks': [
        {'id': 'Research Northwind', 'kind': 'research', 'company': 'northwind'},
        {'id': 'contoso', 'type': 'research', 'company': 'Contoso', 'focus': 'AI',},
        {'id': 'contoso again', 'kind': 'research', 'company': 'Contoso Telecom'},
        {'id': 'compare', 'kind': 'analysis'},
    ]}"""
    plan = repair_plan(messy, QUESTION, COMPANIES)
    assert [t.company for t in plan.research_tasks] == ["Northwind Mobile", "Contoso Telecom"]
    assert plan.tasks[-1].kind == "comparative_analysis"
    assert len({t.id for t in plan.tasks}) == len(plan.tasks)


def test_repair_gives_up_on_text_without_a_plan() -> None:
    with pytest.raises(PlanError):
        repair_plan("I cannot help with that.", QUESTION, COMPANIES)


def test_fallback_plan_follows_the_question() -> None:
    plan = fallback_plan(QUESTION, COMPANIES)
    assert [t.company for t in plan.research_tasks] == ["Northwind Mobile", "Contoso Telecom"]
    assert "ai strategy" in plan.focus
    market = fallback_plan("How is the market doing?", COMPANIES)
    assert [t.kind for t in market.tasks] == ["research_market", "comparative_analysis"]
    assert question_focus("What do they charge for plans?") == "pricing"


def scripted(*answers: str | Exception) -> Callable[[], ScriptedChatModel]:
    """A model that gives ``answers`` in turn (by how many times it was asked in the prompt)."""

    def respond(messages: list[BaseMessage], tools: list) -> AIMessage:
        asked = sum(1 for m in messages if m.type == "human")
        answer = answers[min(asked, len(answers)) - 1]
        if isinstance(answer, Exception):
            raise answer
        return AIMessage(content=answer)

    return lambda: ScriptedChatModel(responder=respond)


def test_the_scripted_planner_gives_a_valid_plan_first_time() -> None:
    plan, events = obtain_plan(
        lambda: ScriptedChatModel(responder=scripted_planner), QUESTION, COMPANIES
    )
    assert events == ["attempt 1: valid plan"]
    assert {t.company for t in plan.research_tasks} >= {"Northwind Mobile", "Contoso Telecom"}


def test_an_unrepairable_plan_is_re_asked_with_the_error() -> None:
    plan, events = obtain_plan(
        scripted("Sure! Let me think.", json.dumps(VALID)), QUESTION, COMPANIES
    )
    assert events[0].startswith("attempt 1: invalid plan")
    assert "re-asking" in events[1]
    assert events[-1] == "attempt 2: valid plan"
    assert len(plan.research_tasks) == 2


def test_a_repairable_plan_is_repaired_without_asking_again() -> None:
    broken = json.dumps(VALID).replace('"Contoso Telecom"', '"contoso"')
    plan, events = obtain_plan(scripted(broken), QUESTION, COMPANIES)
    assert events[-1] == "attempt 1: repaired"
    assert plan.research_tasks[1].company == "Contoso Telecom"


def test_a_failing_or_hopeless_planner_falls_back_without_crashing() -> None:
    plan, events = obtain_plan(scripted(RuntimeError("boom"), "nope"), QUESTION, COMPANIES)
    assert "model failed" in events[0]
    assert events[-1].startswith("fallback")
    assert [t.company for t in plan.research_tasks] == ["Northwind Mobile", "Contoso Telecom"]


def test_no_attempt_is_made_once_the_planning_time_is_up() -> None:
    plan, events = obtain_plan(scripted(json.dumps(VALID)), QUESTION, COMPANIES, time.time() - 1)
    assert events == [
        "attempt 1: skipped, the planning time is up",
        "fallback: plan derived from the question",
    ]
    assert [t.company for t in plan.research_tasks] == ["Northwind Mobile", "Contoso Telecom"]


def test_a_planner_slower_than_its_time_falls_back() -> None:
    def slow() -> ScriptedChatModel:
        def respond(messages: list[BaseMessage], tools: list) -> AIMessage:
            time.sleep(2)
            return AIMessage(content=json.dumps(VALID))

        return ScriptedChatModel(responder=respond)

    _, events = obtain_plan(slow, QUESTION, COMPANIES, time.time() + 0.2)
    assert "DeadlineExceeded" in events[0]
    assert events[-1].startswith("fallback")
