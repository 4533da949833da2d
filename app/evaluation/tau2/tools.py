"""τ²'s telecom tools as LangChain tools; each call is executed and logged as a τ² tool call."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, Protocol

from langchain_core.tools import BaseTool, InjectedToolCallId, StructuredTool
from pydantic import create_model

from tools.write_flow import AWAITING_KIND, parse_answer_id

Requestor = Literal["assistant", "user"]


class ToolExecutor(Protocol):
    """Runs one τ² tool call and returns the tool message content."""

    def __call__(self, name: str, arguments: dict[str, Any], requestor: Requestor) -> str: ...


@dataclass
class EnvironmentExecutor:
    """Executes calls directly on a τ² environment and records the τ² trajectory.

    The recorded messages are what τ²'s evaluator replays: a tool-calling message (assistant
    or user) followed by the tool's answer, exactly as τ²'s orchestrator would log them.
    """

    environment: Any
    messages: list[Any] = field(default_factory=list)
    _counter: int = 0

    def __call__(self, name: str, arguments: dict[str, Any], requestor: Requestor) -> str:
        # Lazy: tau2 is optional (the tau2 extra) and slow to import.
        from tau2.data_model.message import AssistantMessage, ToolCall, UserMessage

        self._counter += 1
        call = ToolCall(
            id=f"sb_{self._counter}", name=name, arguments=arguments, requestor=requestor
        )
        response = self.environment.get_response(call)
        caller = AssistantMessage if requestor == "assistant" else UserMessage
        self.messages.append(caller(role=requestor, content=None, tool_calls=[call]))
        self.messages.append(response)
        return str(response.content)


def _description(tool: Any) -> str:
    """The tool's description as τ² gives it to models (short + long)."""
    schema = tool.openai_schema["function"]
    return str(schema.get("description") or tool.name)


def _jsonable(value: Any) -> Any:
    """Validated argument values as plain JSON values (enums and models flattened)."""
    return json.loads(json.dumps(value, default=lambda v: getattr(v, "value", str(v))))


def as_langchain_tool(tool: Any, execute: ToolExecutor, requestor: Requestor) -> BaseTool:
    """One τ² tool as a LangChain ``StructuredTool`` with τ²'s name, description and schema."""
    name = str(tool.name)

    def run(**kwargs: Any) -> str:
        return execute(name, _jsonable(kwargs), requestor)

    return StructuredTool.from_function(
        func=run,
        name=name,
        description=_description(tool),
        args_schema=tool.params,
    )


def quote_summary(name: str, arguments: dict[str, Any]) -> str:
    """What a quoted write will do, in the words the confirmation question repeats."""
    shown = ", ".join(f"{key} {json.dumps(value)}" for key, value in arguments.items())
    return f"The change {name} is ready" + (f": {shown}." if shown else ".")


def as_confirmed_tool(tool: Any, execute: ToolExecutor, requestor: Requestor) -> BaseTool:
    """One τ² write tool on our confirmation path (see ``tools.write_flow``).

    The model's call (id ``X``) only quotes: nothing runs, and the tool message is an
    *awaiting* one whose artifact the engine turns into a yes/no question and a pause. The
    engine's answer call (``X:yes``) runs the call through ``execute``; ``X:no`` runs nothing.
    Same name, description and argument schema as τ²'s tool (the call id is injected).
    """
    name = str(tool.name)
    schema = create_model(
        tool.params.__name__,
        __base__=tool.params,
        tool_call_id=(Annotated[str, InjectedToolCallId], ...),
    )

    def run(tool_call_id: str, **kwargs: Any) -> tuple[str, dict[str, Any] | None]:
        arguments = _jsonable(kwargs)
        answer = parse_answer_id(tool_call_id)
        if answer is None:
            summary = quote_summary(name, arguments)
            artifact = {
                "kind": AWAITING_KIND,
                "tool": name,
                "call_id": tool_call_id,
                "summary": summary,
                "details": arguments,
            }
            return f"Quoted, not done yet: waiting for a yes or no. {summary}", artifact
        if not answer[1]:
            return f"Declined: {name} was not run. Nothing was changed.", None
        return execute(name, arguments, requestor), None

    return StructuredTool.from_function(
        func=run,
        name=name,
        description=_description(tool),
        args_schema=schema,
        response_format="content_and_artifact",
    )


def langchain_tools(
    tools: Sequence[Any],
    execute: ToolExecutor,
    requestor: Requestor = "assistant",
    confirm: frozenset[str] = frozenset(),
) -> list[BaseTool]:
    """LangChain wrappers of ``tools`` (τ² ``Tool`` objects), all routed to ``execute``; the
    tools named in ``confirm`` quote first and run only on a yes (``as_confirmed_tool``)."""
    return [
        as_confirmed_tool(tool, execute, requestor)
        if tool.name in confirm
        else as_langchain_tool(tool, execute, requestor)
        for tool in tools
    ]


def environment_tools(
    environment: Any, execute: ToolExecutor
) -> tuple[list[BaseTool], list[BaseTool]]:
    """(assistant tools, user tools) of a τ² environment, wrapped for LangChain."""
    assistant = langchain_tools(environment.get_tools(), execute, "assistant")
    user = langchain_tools(environment.get_user_tools(), execute, "user")
    return assistant, user


ToolFilter = Callable[[str], bool]
"""Selects tools by name (used to give each sub-agent its share of τ²'s tools)."""
