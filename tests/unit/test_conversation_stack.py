"""Dialog stack: digressions, resume with slots intact, cancel, policies, queueing."""

from __future__ import annotations

import pytest

from conversation.stack import (
    ask_first_line,
    decide_digression,
    enqueue,
    find,
    new_frame,
    next_task,
    pop,
    push,
    resume_line,
    split_requests,
    top,
    update_top,
)


def test_billing_interrupted_by_tech_support_resumes_with_slots_intact() -> None:
    stack = push([], new_frame("billing", "bill question", 1))
    stack = update_top(stack, slots={"bill_month": "March", "amount": "42.10"})
    assert decide_digression(top(stack), "allow") == "push"
    stack = push(stack, new_frame("tech_support", "internet problem", 3))
    assert top(stack)["agent"] == "tech_support"  # type: ignore[index]
    stack, done = pop(stack)
    assert done is not None and done["agent"] == "tech_support"
    resumed = top(stack)
    assert resumed is not None
    assert resumed["slots"] == {"bill_month": "March", "amount": "42.10"}
    assert resume_line(resumed, "bill question for March") == (
        "Back to your bill question for March."
    )


def test_cancel_pops_the_current_frame_only() -> None:
    stack = push(push([], new_frame("billing", "bill", 1)), new_frame("plan_change", "plan", 2))
    stack, cancelled = pop(stack)
    assert cancelled is not None and cancelled["agent"] == "plan_change"
    assert [f["agent"] for f in stack] == ["billing"]
    assert pop([]) == ([], None)


@pytest.mark.parametrize(
    ("policy", "decision"), [("allow", "push"), ("ask_first", "ask_first"), ("defer", "defer")]
)
def test_the_policy_decides_while_a_confirmation_is_pending(policy: str, decision: str) -> None:
    stack = push([], new_frame("plan_change", "plan change", 1))
    stack = update_top(stack, step="confirming", pending_action={"summary": "the switch to Max 50"})
    assert decide_digression(top(stack), policy) == decision  # type: ignore[arg-type]


def test_asking_first_about_a_pending_change_names_it_and_the_new_request() -> None:
    frame = new_frame("plan_change", "plan change", 1)
    frame["pending_action"] = {"summary": "the switch to Max 50"}
    line = ask_first_line(frame, "plan change to Max 50", "your billing question")
    assert "your plan change to Max 50 is still waiting for your yes or no" in line
    assert line.endswith("come back to your plan change to Max 50 afterwards?")


@pytest.mark.parametrize(
    ("policy", "decision"), [("allow", "push"), ("ask_first", "ask_first"), ("defer", "defer")]
)
def test_policy_decides_while_a_frame_waits_for_an_answer(policy: str, decision: str) -> None:
    current = new_frame("billing", "bill", 1)
    assert decide_digression(current, policy) == decision  # type: ignore[arg-type]
    assert decide_digression(None, policy) == "push"  # type: ignore[arg-type]
    answered = update_top([current], step="resolving")[-1]
    assert decide_digression(answered, policy) == "push"  # type: ignore[arg-type]


def test_resume_line_asks_again_about_a_pending_action() -> None:
    frame = new_frame("plan_change", "plan change", 1)
    frame["pending_action"] = {"summary": "the switch to Max 50"}
    assert resume_line(frame, "plan change to Max 50") == (
        "Back to your plan change to Max 50: shall I go ahead?"
    )


def test_update_top_merges_slots_and_leaves_the_input_untouched() -> None:
    stack = update_top(push([], new_frame("billing", "bill", 1)), slots={"a": "1"})
    updated = update_top(stack, slots={"b": "2"}, step="resolving")
    assert updated[-1]["slots"] == {"a": "1", "b": "2"} and updated[-1]["step"] == "resolving"
    assert stack[-1]["slots"] == {"a": "1"}
    with pytest.raises(ValueError, match="open frame"):
        update_top([], step="x")


def test_find_returns_the_innermost_frame_of_an_agent() -> None:
    stack = push(push([], new_frame("billing", "a", 1)), new_frame("billing", "b", 2))
    assert find(stack, "billing")["task"] == "b"  # type: ignore[index]
    assert find(stack, "general") is None


def test_multi_intent_queue() -> None:
    parts = split_requests("I want to check my bill and also change my plan. Thanks.")
    assert parts == ["I want to check my bill", "change my plan. Thanks."]
    queue = enqueue([], parts[1:])
    queue = enqueue(queue, parts[1:])
    assert queue == ["change my plan. Thanks."]
    task, queue = next_task(queue)
    assert task == "change my plan. Thanks." and queue == []
    assert next_task([]) == (None, [])
