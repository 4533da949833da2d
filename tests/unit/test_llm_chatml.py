"""ChatML rendering: instructions in the stable system block, tool calls, prefix stability."""

from __future__ import annotations

from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage

from llm.chatml import RAW_KEY, render_chatml

SYSTEM = SystemMessage("You are the billing agent.")
CALL = AIMessage(
    content="", tool_calls=[{"name": "get_bill", "args": {"month": "May"}, "id": "c1"}]
)
RESULT = ToolMessage("Total 42.00", tool_call_id="c1", name="get_bill")


def test_instructions_open_the_first_system_block() -> None:
    prompt = render_chatml([SYSTEM, HumanMessage("hi")], "# Tools\n- get_bill")
    assert prompt.startswith(
        "<|im_start|>system\n# Tools\n- get_bill\n\nYou are the billing agent."
    )
    assert prompt.endswith("<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n")


def test_instructions_without_a_system_message_get_their_own_block() -> None:
    prompt = render_chatml([HumanMessage("hi")], "RULES")
    assert prompt.startswith("<|im_start|>system\nRULES<|im_end|>\n<|im_start|>user\nhi")


def test_tool_calls_and_results_are_rendered_deterministically() -> None:
    prompt = render_chatml([SYSTEM, HumanMessage("bill?"), CALL, RESULT])
    assert (
        '<|im_start|>assistant\n{"tool": "get_bill", "args": {"month": "May"}}<|im_end|>' in prompt
    )
    assert '<tool_response name="get_bill">\nTotal 42.00\n</tool_response>' in prompt


def test_consecutive_turns_share_the_whole_previous_prompt_as_prefix() -> None:
    history = [SYSTEM, HumanMessage("bill?"), CALL, RESULT]
    earlier = render_chatml(history, "RULES")
    later = render_chatml([*history, AIMessage("It is 42.00."), HumanMessage("thanks")], "RULES")
    opener = "<|im_start|>assistant\n"
    assert later.startswith(earlier.removesuffix(opener))


def test_replay_renders_a_local_reply_exactly_as_decoded() -> None:
    raw = '{ "tool": "get_bill", "args": { "month": "May" } }'
    call = AIMessage(
        content="",
        tool_calls=[{"name": "get_bill", "args": {"month": "May"}, "id": "c1"}],
        additional_kwargs={RAW_KEY: raw},
    )
    assert f"<|im_start|>assistant\n{raw}<|im_end|>" in render_chatml([call], replay_raw=True)
    assert raw not in render_chatml([call])
