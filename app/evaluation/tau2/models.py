"""Run τ²'s own LLM callers (reference agent, user simulator) on our models.

τ² calls models through ``tau2.utils.llm_utils.generate`` (LiteLLM). To compare agents on the
*same* model, the benchmark routes those calls to our model factory instead (the embedded
local model, the scripted one, or a hosted model): τ²'s messages and tool schemas are
converted to LangChain, and the reply back to a τ² ``AssistantMessage``. τ²'s agent and user
code stay untouched; only the ``generate`` name they call is swapped while a run lasts.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.runnables import RunnableConfig

from agents.models import chat_model
from app.evaluation.tau2.domain import require_tau2
from app.evaluation.tau2.usage import ModelUsage
from llm.factory import make_model

CALLERS = ("tau2.agent.llm_agent", "tau2.user.user_simulator")
"""τ² modules whose ``generate`` is routed to our models."""
USER_INSTANCE = "tau2-user"
"""The llama.cpp context of τ²'s user simulator when it runs on the embedded model."""
STOP_TOOL = "done"
"""The stop tool of τ²'s ``LLMSoloAgent``."""
TEXT_AS_STOP_ID = "text_as_stop"
"""Id of the stop call that stands for a plain-text reply where a tool call was required."""


def to_langchain(messages: Sequence[Any]) -> list[BaseMessage]:
    """τ² messages (system/user/assistant/tool) as LangChain messages."""
    converted: list[BaseMessage] = []
    for message in messages:
        role = getattr(message, "role", "")
        content = message.content or ""
        if role == "system":
            converted.append(SystemMessage(content=content))
        elif role == "user":
            converted.append(HumanMessage(content=content))
        elif role == "assistant":
            calls = [
                {"name": c.name, "args": dict(c.arguments), "id": c.id, "type": "tool_call"}
                for c in (message.tool_calls or [])
            ]
            converted.append(AIMessage(content=content, tool_calls=calls))
        elif role == "tool":
            converted.append(ToolMessage(content=content, tool_call_id=message.id))
    return converted


def to_tau2(reply: AIMessage) -> Any:
    """A LangChain reply as a τ² ``AssistantMessage`` (text or tool calls, never both empty)."""
    # Lazy: tau2 is optional (the tau2 extra) and slow to import.
    from tau2.data_model.message import AssistantMessage, ToolCall

    calls = [
        ToolCall(id=str(c.get("id") or f"call_{i}"), name=c["name"], arguments=dict(c["args"]))
        for i, c in enumerate(reply.tool_calls)
    ]
    text = reply.content if isinstance(reply.content, str) else json.dumps(reply.content)
    usage: dict[str, Any] = dict(reply.usage_metadata or {})
    return AssistantMessage(
        role="assistant",
        content=None if calls else (text or "..."),
        tool_calls=calls or None,
        usage={
            "prompt_tokens": int(usage.get("input_tokens", 0)),
            "completion_tokens": int(usage.get("output_tokens", 0)),
        },
        cost=0.0,
    )


def text_as_stop(reply: AIMessage, tools: Sequence[Any] | None, tool_choice: str | None) -> bool:
    """Whether ``reply`` is plain text where τ² required a tool call and offered its stop tool
    (the solo agent): such a reply is taken as the agent's stop, as our graph's reply is."""
    names = {tool.name for tool in tools or ()}
    return tool_choice == "required" and not reply.tool_calls and STOP_TOOL in names


def make_generate(
    model_spec: str, instance: str = "", usage: ModelUsage | None = None
) -> Callable[..., Any]:
    """A drop-in for τ²'s ``generate`` that calls our model for ``model_spec``.

    τ² passes its own model name (``llm=``); it is ignored in favour of ``model_spec`` so the
    agent and the user simulator run on the model chosen for the benchmark. A non-empty
    ``instance`` gives an embedded model its own llama.cpp context (its own KV cache).
    τ²'s ``tool_choice`` goes to our model (``required``: the embedded model's grammar leaves
    out the plain-text option); calls and prompt tokens are counted in ``usage``.
    """

    def generate(
        model: str | None,
        messages: Sequence[Any],
        tools: Sequence[Any] | None = None,
        tool_choice: str | None = None,
        **kwargs: Any,
    ) -> Any:
        llm: Any = (
            make_model(model_spec, instance=instance)
            if instance and model_spec.startswith("local")
            else chat_model(model_spec)
        )
        if tools:
            llm = llm.bind_tools([tool.openai_schema for tool in tools], tool_choice=tool_choice)
        config: RunnableConfig = {"callbacks": [usage.recorder]} if usage is not None else {}
        reply = llm.invoke(to_langchain(messages), config=config)
        if not isinstance(reply, AIMessage):
            reply = AIMessage(content=str(getattr(reply, "content", reply)))
        if text_as_stop(reply, tools, tool_choice):
            if usage is not None:
                usage.text_as_stop += 1
            stop = {"name": STOP_TOOL, "args": {}, "id": TEXT_AS_STOP_ID, "type": "tool_call"}
            reply = AIMessage(content="", tool_calls=[stop], usage_metadata=reply.usage_metadata)
        return to_tau2(reply)

    return generate


@contextmanager
def tau2_models(
    agent_model: str, user_model: str, usage: ModelUsage | None = None
) -> Iterator[None]:
    """Route τ²'s reference agent to ``agent_model`` and its user simulator to ``user_model``;
    the reference agent's calls are counted in ``usage``."""
    require_tau2()
    modules: list[Any] = [importlib.import_module(name) for name in CALLERS]
    saved = [module.generate for module in modules]
    specs = {"tau2.agent.llm_agent": agent_model, "tau2.user.user_simulator": user_model}
    # The user simulator gets its own llama.cpp context: sharing one would make every agent
    # call re-read τ²'s long policy, since the two prompts never share a prefix.
    instances = {"tau2.agent.llm_agent": "", "tau2.user.user_simulator": USER_INSTANCE}
    try:
        for module in modules:
            name = module.__name__
            counted = usage if name == "tau2.agent.llm_agent" else None
            module.generate = make_generate(specs[name], instances[name], counted)
        yield
    finally:
        for module, original in zip(modules, saved, strict=True):
            module.generate = original
