"""A call held back for one missing value is completed by the answer, in code."""

from __future__ import annotations

from langchain_core.messages import AIMessage, ToolMessage

from agents.argument_rules import support_argument_rules
from agents.arguments import Account, Known, complete_held
from agents.report import held_by
from agents.state import HeldCall
from tools.tech_support import run_diagnostic


def _known(text: str, facts: dict, turn: int = 2) -> Known:
    return Known(facts=facts, turn=turn, text=text, account=Account(None, ""))


def test_a_result_that_asks_which_line_holds_its_call() -> None:
    call = {"name": "run_diagnostic", "args": {"problem": "slow_data"}, "id": "c1"}
    messages = [
        AIMessage(content="", tool_calls=[call]),
        ToolMessage(
            content="Which line? This account has 2 lines: L1006-1, active; L1006-2, active.",
            tool_call_id="c1",
            name="run_diagnostic",
        ),
    ]
    held = held_by([messages[1]], messages, "tech_support")
    assert held == HeldCall(
        tool="run_diagnostic", args={"problem": "slow_data"}, slot="line", agent="tech_support"
    )


def test_a_plain_result_holds_nothing() -> None:
    result = ToolMessage(content="Line L1001-1 is active.", tool_call_id="c1", name="line_status")
    assert held_by([result], [result], "tech_support") is None


def test_the_answer_that_names_the_line_completes_the_call() -> None:
    held = HeldCall(tool="run_diagnostic", args={"problem": "slow_data"}, slot="line", agent="t")
    facts = {"line": {"value": "+12025550110", "turn": 2}}
    call = complete_held(
        held, run_diagnostic, _known("it's +12025550110", facts), support_argument_rules()
    )
    assert call is not None
    assert call["args"] == {"problem": "slow_data", "line": "+12025550110"}


def test_an_answer_without_the_value_leaves_the_turn_to_the_model() -> None:
    held = HeldCall(tool="run_diagnostic", args={"problem": "slow_data"}, slot="line", agent="t")
    facts = {"line": {"value": "+12025550110", "turn": 1}}  # named before, not in this answer
    assert (
        complete_held(
            held, run_diagnostic, _known("why is it slow?", facts), support_argument_rules()
        )
        is None
    )
