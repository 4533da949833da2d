"""Constrained decoding: choice schema, tool_choice, parsing, repair and reply streaming."""

from __future__ import annotations

import json

import pytest
from langchain_core.tools import tool
from langchain_core.utils.function_calling import convert_to_openai_tool

from llm.constrained import (
    RESPOND,
    MalformedOutput,
    ReplyStreamer,
    ToolChoice,
    choice_schema,
    parse_choice,
    resolve_tool_choice,
    salvage_reply,
    tool_specs,
    tools_instructions,
)


@tool
def get_bill(month: str) -> str:
    """Get the bill for a month."""
    return month


@tool
def change_plan(plan_name: str, line: int, confirm: bool = False) -> str:
    """Change the plan of a line."""
    return plan_name


SPECS = tool_specs([convert_to_openai_tool(get_bill), convert_to_openai_tool(change_plan)])
AUTO = resolve_tool_choice(None, SPECS)


def test_auto_choice_schema_is_any_of_each_tool_plus_respond() -> None:
    schema = choice_schema(SPECS, AUTO)
    options = schema["anyOf"]
    names = [option["properties"]["tool"]["const"] for option in options]
    assert names == ["get_bill", "change_plan", RESPOND]
    assert options[1]["properties"]["args"]["properties"]["line"]["type"] == "integer"
    assert options[2]["required"] == ["tool", "text"]


@pytest.mark.parametrize(
    ("tool_choice", "allowed", "respond"),
    [
        ("auto", ("get_bill", "change_plan"), True),
        ("any", ("get_bill", "change_plan"), False),
        ("required", ("get_bill", "change_plan"), False),
        ("none", (), True),
        ("change_plan", ("change_plan",), False),
        ({"type": "function", "function": {"name": "get_bill"}}, ("get_bill",), False),
    ],
)
def test_tool_choice_variants(tool_choice: object, allowed: tuple[str, ...], respond: bool) -> None:
    choice = resolve_tool_choice(tool_choice, SPECS)
    assert choice == ToolChoice(allowed, respond)


def test_tool_choice_naming_an_unbound_tool_is_rejected() -> None:
    with pytest.raises(ValueError, match="not a bound tool"):
        resolve_tool_choice("refund", SPECS)


def test_single_option_schema_is_not_wrapped() -> None:
    schema = choice_schema(SPECS, resolve_tool_choice("get_bill", SPECS))
    assert "anyOf" not in schema
    assert schema["properties"]["tool"] == {"const": "get_bill"}


def test_instructions_list_every_tool_with_its_arguments() -> None:
    text = tools_instructions(SPECS)
    assert "- get_bill(month: string): Get the bill for a month." in text
    assert "change_plan(plan_name: string, line: integer, confirm?: boolean)" in text
    assert '"tool": "respond"' in text


def test_parse_a_valid_tool_call() -> None:
    raw = '{"tool": "change_plan", "args": {"plan_name": "Max", "line": 2}}'
    choice = parse_choice(raw, SPECS, AUTO)
    assert (choice.tool, choice.args) == ("change_plan", {"plan_name": "Max", "line": 2})


def test_wrong_but_lossless_argument_types_are_repaired() -> None:
    raw = '{"tool": "change_plan", "args": {"plan_name": "Max", "line": "2", "confirm": "true"}}'
    choice = parse_choice(raw, SPECS, AUTO)
    assert choice.args == {"plan_name": "Max", "line": 2, "confirm": True}


def test_wrong_argument_types_that_cannot_be_repaired_are_malformed() -> None:
    raw = '{"tool": "change_plan", "args": {"plan_name": "Max", "line": "two"}}'
    with pytest.raises(MalformedOutput, match="do not match its schema"):
        parse_choice(raw, SPECS, AUTO)


def test_missing_required_argument_is_malformed() -> None:
    with pytest.raises(MalformedOutput, match="required"):
        parse_choice('{"tool": "get_bill", "args": {}}', SPECS, AUTO)


def test_unknown_tool_is_malformed() -> None:
    with pytest.raises(MalformedOutput, match="unknown or disallowed tool 'refund'"):
        parse_choice('{"tool": "refund", "args": {}}', SPECS, AUTO)


def test_tool_outside_the_forced_choice_is_malformed() -> None:
    forced = resolve_tool_choice("get_bill", SPECS)
    with pytest.raises(MalformedOutput):
        parse_choice(
            '{"tool": "change_plan", "args": {"plan_name": "A", "line": 1}}', SPECS, forced
        )


def test_invalid_json_is_malformed() -> None:
    with pytest.raises(MalformedOutput, match="invalid JSON"):
        parse_choice('{"tool": "get_bill", "args": {"mon', SPECS, AUTO)


def test_reply_is_parsed_and_leading_space_dropped() -> None:
    choice = parse_choice('{"tool": "respond", "text": "  Hello there"}', SPECS, AUTO)
    assert (choice.tool, choice.text) == (RESPOND, "Hello there")


def test_empty_reply_is_malformed() -> None:
    with pytest.raises(MalformedOutput, match="without text"):
        parse_choice('{"tool": "respond", "text": "   "}', SPECS, AUTO)


def test_truncated_reply_is_salvaged() -> None:
    raw = '{"tool": "respond", "text": "Your bill is \\"due\\" on the 5th and'
    choice = parse_choice(raw, SPECS, AUTO)
    assert choice.text == 'Your bill is "due" on the 5th and'
    assert salvage_reply('{"tool": "get_bill", "args": {"month": "Ma') == ""


def test_reply_streamer_decodes_escapes_split_across_pieces() -> None:
    text = 'Line one\nsays "hi" \\ café 😀 done'
    raw = json.dumps({"tool": "respond", "text": text})
    streamer = ReplyStreamer()
    pieces = [streamer.feed(raw[i : i + 3]) for i in range(0, len(raw), 3)]
    assert "".join(pieces) == text
    assert streamer.done
    assert sum(1 for p in pieces if p) > 5


def test_reply_streamer_ignores_tool_calls() -> None:
    streamer = ReplyStreamer()
    assert streamer.feed('{"tool": "get_bill", "args": {"month": "May"}}') == ""
    assert streamer.text == ""


def test_raw_is_replayed_only_when_it_says_exactly_what_was_parsed() -> None:
    from llm.llamacpp_chat import raw_matches

    exact = '{ "tool": "change_plan", "args": { "plan_name": "Max", "line": 2 } }'
    coerced = '{"tool": "change_plan", "args": {"plan_name": "Max", "line": "2"}}'
    assert raw_matches(exact, parse_choice(exact, SPECS, AUTO))
    assert not raw_matches(coerced, parse_choice(coerced, SPECS, AUTO))
    truncated = '{"tool": "respond", "text": "Hello'
    assert not raw_matches(truncated, parse_choice(truncated, SPECS, AUTO))
    reply = '{"tool": "respond", "text": " Hi"}'
    assert raw_matches(reply, parse_choice(reply, SPECS, AUTO))
