"""τ²'s telecom tools as LangChain tools; each call is executed and logged as a τ² tool call."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from langchain_core.tools import BaseTool, StructuredTool

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


def langchain_tools(
    tools: Sequence[Any], execute: ToolExecutor, requestor: Requestor = "assistant"
) -> list[BaseTool]:
    """LangChain wrappers of ``tools`` (τ² ``Tool`` objects), all routed to ``execute``."""
    return [as_langchain_tool(tool, execute, requestor) for tool in tools]


def environment_tools(
    environment: Any, execute: ToolExecutor
) -> tuple[list[BaseTool], list[BaseTool]]:
    """(assistant tools, user tools) of a τ² environment, wrapped for LangChain."""
    assistant = langchain_tools(environment.get_tools(), execute, "assistant")
    user = langchain_tools(environment.get_user_tools(), execute, "user")
    return assistant, user


ToolFilter = Callable[[str], bool]
"""Selects tools by name (used to give each sub-agent its share of τ²'s tools)."""
