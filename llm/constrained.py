"""The constrained-decoding contract: choice schema, prompt instructions, parsing and repair."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator
from langchain_core.utils.json_schema import dereference_refs

RESPOND = "respond"


class MalformedOutput(ValueError):
    """Model output that is not a valid choice (bad JSON, unknown tool, wrong argument types)."""


@dataclass(frozen=True)
class ToolSpec:
    """A bound tool as the local model sees it: name, description, JSON-schema arguments."""

    name: str
    description: str
    parameters: dict[str, Any]


@dataclass(frozen=True)
class ToolChoice:
    """Which options the grammar allows: some tools, and whether a plain reply is allowed."""

    allowed: tuple[str, ...]
    allow_respond: bool


@dataclass(frozen=True)
class Choice:
    """A parsed decision: a tool call (name + args) or a reply (tool == RESPOND, text)."""

    tool: str
    args: dict[str, Any]
    text: str = ""


def tool_specs(tools: Sequence[Mapping[str, Any]]) -> list[ToolSpec]:
    """Convert OpenAI-format tool dicts into ToolSpecs with dereferenced parameter schemas."""
    specs = []
    for tool in tools:
        function = tool.get("function", tool)
        params = dict(function.get("parameters") or {"type": "object", "properties": {}})
        params = dereference_refs(params)
        params.pop("$defs", None)
        params.pop("definitions", None)
        params.setdefault("type", "object")
        params.setdefault("properties", {})
        specs.append(ToolSpec(function["name"], function.get("description", ""), params))
    return specs


def resolve_tool_choice(tool_choice: Any, specs: Sequence[ToolSpec]) -> ToolChoice:
    """Map LangChain/OpenAI ``tool_choice`` values onto the options the grammar allows."""
    names = tuple(spec.name for spec in specs)
    if tool_choice in (None, "auto"):
        return ToolChoice(names, allow_respond=True)
    if tool_choice in ("any", "required", True):
        return ToolChoice(names, allow_respond=not names)
    if tool_choice == "none":
        return ToolChoice((), allow_respond=True)
    name = _named_choice(tool_choice)
    if name not in names:
        raise ValueError(f"tool_choice names {name!r}, which is not a bound tool; bound: {names}")
    return ToolChoice((name,), allow_respond=False)


def choice_schema(specs: Sequence[ToolSpec], choice: ToolChoice) -> dict[str, Any]:
    """The JSON schema of one decision: anyOf over allowed tool calls plus the reply option."""
    options: list[dict[str, Any]] = [
        {
            "type": "object",
            "properties": {"tool": {"const": spec.name}, "args": spec.parameters},
            "required": ["tool", "args"],
        }
        for spec in specs
        if spec.name in choice.allowed
    ]
    if choice.allow_respond or not options:
        options.append(
            {
                "type": "object",
                "properties": {"tool": {"const": RESPOND}, "text": {"type": "string"}},
                "required": ["tool", "text"],
            }
        )
    return options[0] if len(options) == 1 else {"anyOf": options}


def tools_instructions(specs: Sequence[ToolSpec]) -> str:
    """Stable system-prompt text telling the model how to call the bound tools."""
    lines = [
        "# Tools",
        "Every reply is exactly one JSON object, either",
        '{"tool": "<tool name>", "args": {<arguments>}} to call one tool, or',
        f'{{"tool": "{RESPOND}", "text": "<your reply>"}} to answer the customer directly.',
        "Call a tool when you need data or must act; answer directly otherwise.",
        "Available tools:",
    ]
    lines.extend(
        f"- {spec.name}({_describe_params(spec.parameters)}): {spec.description}" for spec in specs
    )
    return "\n".join(lines)


def schema_instructions(schema: Mapping[str, Any]) -> str:
    """Stable system-prompt text for structured output."""
    compact = json.dumps(schema, separators=(",", ":"), ensure_ascii=False)
    return (
        f"# Output format\nReply with exactly one JSON object matching this JSON schema:\n{compact}"
    )


def parse_choice(raw: str, specs: Sequence[ToolSpec], choice: ToolChoice) -> Choice:
    """Parse and validate one decision; raise MalformedOutput when it cannot be repaired."""
    try:
        obj = json.loads(raw)
    except json.JSONDecodeError as exc:
        salvaged = salvage_reply(raw)
        if salvaged:
            return Choice(RESPOND, {}, salvaged)
        raise MalformedOutput(f"invalid JSON ({exc.msg}): {raw[:200]!r}") from exc
    if not isinstance(obj, dict):
        raise MalformedOutput(f"expected a JSON object, got {type(obj).__name__}")
    name = obj.get("tool")
    if name == RESPOND:
        text = obj.get("text")
        if not isinstance(text, str) or not text.strip():
            raise MalformedOutput("a reply without text")
        return Choice(RESPOND, {}, text.lstrip())
    spec = next((s for s in specs if s.name == name and name in choice.allowed), None)
    if spec is None:
        raise MalformedOutput(f"unknown or disallowed tool {name!r}")
    args = obj.get("args", {})
    if not isinstance(args, dict):
        raise MalformedOutput(f"arguments of {name} are not an object")
    return Choice(spec.name, validate_args(spec, args))


def validate_args(spec: ToolSpec, args: dict[str, Any]) -> dict[str, Any]:
    """Coerce obvious type slips (\"5\" for 5), then validate against the tool's schema."""
    fixed = coerce_args(args, spec.parameters)
    errors = sorted(Draft202012Validator(spec.parameters).iter_errors(fixed), key=str)
    if errors:
        raise MalformedOutput(
            f"arguments of {spec.name} do not match its schema: {errors[0].message}"
        )
    return fixed


def validate_json(raw: str, schema: Mapping[str, Any]) -> Any:
    """Parse structured output and validate it against its schema (MalformedOutput if not)."""
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise MalformedOutput(f"invalid JSON ({exc.msg}): {raw[:200]!r}") from exc
    errors = sorted(Draft202012Validator(dict(schema)).iter_errors(value), key=str)
    if errors:
        raise MalformedOutput(f"output does not match the schema: {errors[0].message}")
    return value


def coerce_args(args: dict[str, Any], parameters: Mapping[str, Any]) -> dict[str, Any]:
    """Return args with scalar values converted to their declared top-level types when safe."""
    properties = parameters.get("properties", {})
    return {
        key: _coerce(value, _declared_type(properties.get(key, {}))) for key, value in args.items()
    }


def salvage_reply(raw: str) -> str:
    """The reply text of a truncated ``{"tool": "respond", "text": "...`` output, else ''."""
    streamer = ReplyStreamer()
    streamer.feed(raw)
    text = streamer.text.lstrip()
    return text if text.strip() else ""


_REPLY_OPEN = re.compile(r'\s*\{\s*"tool"\s*:\s*"respond"\s*,\s*"text"\s*:\s*"')


class ReplyStreamer:
    """Incrementally extracts the decoded reply text from grammar output as it is generated."""

    def __init__(self) -> None:
        self._raw = ""
        self._pos: int | None = None
        self.done = False
        self.text = ""

    def feed(self, piece: str) -> str:
        """Add raw output; return the newly decoded reply characters (may be empty)."""
        self._raw += piece
        if self._pos is None:
            match = _REPLY_OPEN.match(self._raw)
            if match is None:
                return ""
            self._pos = match.end()
        new = self._decode_available()
        self.text += new
        return new

    def _decode_available(self) -> str:
        """Decode string characters up to the closing quote or an incomplete escape."""
        out: list[str] = []
        raw = self._raw
        pos = self._pos or 0
        while not self.done and pos < len(raw):
            char = raw[pos]
            if char == '"':
                self.done = True
                break
            if char != "\\":
                out.append(char)
                pos += 1
                continue
            length = _escape_length(raw, pos)
            if length is None:
                break
            out.append(_decode_escape(raw[pos : pos + length]))
            pos += length
        self._pos = pos
        return "".join(out)


def _escape_length(raw: str, pos: int) -> int | None:
    """Length of the escape sequence at pos, or None if it is not complete yet."""
    if pos + 1 >= len(raw):
        return None
    if raw[pos + 1] != "u":
        return 2
    if pos + 6 > len(raw):
        return None
    high = raw[pos + 2 : pos + 6].lower()
    if "d800" <= high <= "dbff":
        return 12 if pos + 12 <= len(raw) else None
    return 6


def _decode_escape(sequence: str) -> str:
    """Decode one JSON escape sequence (a bad one becomes U+FFFD)."""
    try:
        return str(json.loads(f'"{sequence}"'))
    except ValueError:
        return "\ufffd"


def _named_choice(tool_choice: Any) -> str:
    """The tool name in a string or dict tool_choice."""
    if isinstance(tool_choice, str):
        return tool_choice
    if isinstance(tool_choice, dict):
        function = tool_choice.get("function")
        if isinstance(function, dict) and "name" in function:
            return str(function["name"])
        if "name" in tool_choice:
            return str(tool_choice["name"])
    raise ValueError(f"unsupported tool_choice {tool_choice!r}")


def _describe_params(parameters: Mapping[str, Any]) -> str:
    """Compact argument list: ``month: string, limit?: integer``."""
    required = set(parameters.get("required", []))
    parts = []
    for name, schema in parameters.get("properties", {}).items():
        kind = _declared_type(schema) or "any"
        parts.append(f"{name}{'' if name in required else '?'}: {kind}")
    return ", ".join(parts)


def _declared_type(schema: Mapping[str, Any]) -> str | None:
    """The first non-null JSON type of a property schema, or an enum's literal list."""
    if "enum" in schema:
        return " | ".join(json.dumps(v) for v in schema["enum"])
    kind = schema.get("type")
    if isinstance(kind, str):
        return kind
    if isinstance(kind, list):
        return next((k for k in kind if k != "null"), None)
    for option in schema.get("anyOf", []):
        found = _declared_type(option)
        if found and found != "null":
            return found
    return None


def _coerce(value: Any, kind: str | None) -> Any:
    """Convert a scalar to the declared type when the conversion is lossless."""
    if kind == "integer" and isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        return int(value)
    if kind == "integer" and isinstance(value, float) and value.is_integer():
        return int(value)
    if kind == "number" and isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    if kind == "string" and isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    if kind == "boolean" and isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value
