"""Scripted chat model: deterministic, restart-safe, supports tools and structured output."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langchain_core.messages.ai import UsageMetadata
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import Runnable, RunnableLambda
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import BaseModel, ConfigDict, Field

from llm.stand_in import Responder, ToolSpec
from testing.scripted_policy import decide, fill_structured


def _tool_spec(tool: Any) -> ToolSpec:
    """Name and JSON-schema parameters of a bound tool (BaseTool, dict, function or schema)."""
    if isinstance(tool, BaseTool):
        schema = convert_to_openai_tool(tool)["function"]
    elif isinstance(tool, dict) and "function" in tool:
        schema = tool["function"]
    else:
        schema = convert_to_openai_tool(tool)["function"]
    return ToolSpec(name=schema["name"], parameters=schema.get("parameters", {}))


def _call_id(messages: Sequence[BaseMessage], name: str, index: int) -> str:
    """Deterministic tool-call id: the same conversation gives the same id in any process."""
    digest = hashlib.sha256()
    for message in messages:
        digest.update(message.type.encode())
        digest.update(str(message.content).encode())
    digest.update(f"{name}:{index}".encode())
    return "call_" + digest.hexdigest()[:20]


class ScriptedChatModel(BaseChatModel):
    """A chat model whose replies are a pure function of the prompt.

    With no ``responder`` it plays a competent rule-based support agent: it picks a bound tool
    from keywords in the newest user message, extracts arguments with patterns, and answers
    from tool results verbatim (so its replies are always grounded). Tests pass a
    ``responder`` to script anything else (a compromised model, a failing one).
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    responder: Responder | None = None
    """Optional custom policy replacing the built-in one."""
    tools: list[ToolSpec] = Field(default_factory=list)
    """Tools bound with ``bind_tools`` (name + JSON schema)."""
    tool_choice: str | None = None
    """Forced tool name, if any."""
    last_prompt: list[BaseMessage] | None = None
    """The most recent prompt (for benchmarks and tests that inspect what the model saw)."""

    @property
    def _llm_type(self) -> str:
        return "switchboard-scripted"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model": "scripted", "tools": [t.name for t in self.tools]}

    def bind_tools(
        self,
        tools: Sequence[Any],
        *,
        tool_choice: str | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Return a copy that may call ``tools`` (the copy shares the responder)."""
        return self.model_copy(
            update={"tools": [_tool_spec(t) for t in tools], "tool_choice": tool_choice}
        )

    def with_structured_output(
        self, schema: Any, *, include_raw: bool = False, **kwargs: Any
    ) -> Runnable[LanguageModelInput, Any]:
        """Fill ``schema`` deterministically from the newest user message."""

        def run(value: LanguageModelInput) -> Any:
            messages = self._convert_input(value).to_messages()
            data = fill_structured(schema, messages)
            if isinstance(schema, type) and issubclass(schema, BaseModel):
                return schema.model_validate(data)
            return data

        return RunnableLambda(run, name="ScriptedStructuredOutput")

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        object.__setattr__(self, "last_prompt", list(messages))
        if self.responder is not None:
            reply = self.responder(list(messages), self.tools)
        else:
            reply = decide(list(messages), self.tools, self.tool_choice)
        reply = self._finalize(messages, reply)
        return ChatResult(generations=[ChatGeneration(message=reply)])

    def _finalize(self, messages: Sequence[BaseMessage], reply: AIMessage) -> AIMessage:
        """Give tool calls deterministic ids and attach usage metadata."""
        calls = []
        for index, call in enumerate(reply.tool_calls):
            call_id = call.get("id") or _call_id(messages, call["name"], index)
            calls.append({**call, "id": call_id, "type": "tool_call"})
        prompt_chars = sum(len(str(m.content)) for m in messages)
        out_chars = len(str(reply.content)) + len(json.dumps([c["args"] for c in calls]))
        usage: UsageMetadata = {
            "input_tokens": max(1, prompt_chars // 4),
            "output_tokens": max(1, out_chars // 4),
            "total_tokens": max(1, prompt_chars // 4) + max(1, out_chars // 4),
        }
        return AIMessage(
            content=reply.content,
            tool_calls=calls,
            usage_metadata=usage,
            response_metadata={"model_name": "scripted", **reply.response_metadata},
            id=reply.id,
        )


def last_user_text(messages: Sequence[BaseMessage]) -> str:
    """Text of the newest human message ('' if none)."""
    for message in reversed(messages):
        if isinstance(message, HumanMessage):
            return str(message.content)
    return ""
