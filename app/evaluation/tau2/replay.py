"""Gold replay: run each task's reference actions through our tool layer and score with τ².

In solo mode (no customer) the agent makes every call, the device's too, and each write goes
through our confirmation path: the call quotes, then its ``:yes`` answer call runs it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from langchain_core.messages import AIMessage
from langchain_core.tools import BaseTool
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.prebuilt import ToolNode

from app.evaluation.tau2.domain import (
    DOMAIN,
    agent_tools,
    prepare_environment,
    write_tool_names,
)
from app.evaluation.tau2.tools import EnvironmentExecutor, Requestor, langchain_tools
from tools.write_flow import answer_call_id


@dataclass(frozen=True)
class ReplayResult:
    """One task's gold replay: τ²'s reward through our tools and through τ²'s own calls."""

    task_id: str
    actions: int
    reward_ours: float
    reward_tau2: float
    solo: bool = False

    @property
    def agrees(self) -> bool:
        """Our tool layer reproduced τ²'s reward."""
        return self.reward_ours == self.reward_tau2

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {**asdict(self), "agrees": self.agrees}


def tool_graph(tools: Sequence[BaseTool]) -> CompiledStateGraph:
    """A one-node graph running ``tools`` in a ``ToolNode``, as the support graph runs them."""
    builder = StateGraph(MessagesState)
    builder.add_node("tools", ToolNode(list(tools), handle_tool_errors=True))
    builder.add_edge(START, "tools")
    builder.add_edge("tools", END)
    return builder.compile(name="tau2_tools")


def score(task: Any, messages: list[Any], solo_mode: bool = False) -> float:
    """τ²'s reward for a finished conversation ``messages`` on ``task`` (all evaluators)."""
    # Lazy: tau2 is optional (the tau2 extra) and slow to import.
    from tau2.data_model.simulation import SimulationRun, TerminationReason
    from tau2.evaluator.evaluator import EvaluationType, evaluate_simulation

    now = datetime.now(UTC).isoformat()
    simulation = SimulationRun(
        id=f"replay-{task.id}",
        task_id=task.id,
        start_time=now,
        end_time=now,
        duration=0.0,
        termination_reason=TerminationReason.AGENT_STOP,
        messages=messages,
    )
    info = evaluate_simulation(
        simulation=simulation,
        task=task,
        evaluation_type=EvaluationType.ALL,
        solo_mode=solo_mode,
        domain=DOMAIN,
    )
    return float(info.reward)


def _gold_actions(task: Any) -> list[Any]:
    criteria = task.evaluation_criteria
    return list(criteria.actions or []) if criteria is not None else []


def _history(task: Any) -> list[Any]:
    initial = task.initial_state
    return list(initial.message_history or []) if initial is not None else []


def replay_through_our_tools(task: Any) -> float:
    """Reward when the gold actions run through our LangChain wrappers inside a ToolNode."""
    environment = prepare_environment(task)
    executor = EnvironmentExecutor(environment)
    graphs: dict[Requestor, CompiledStateGraph] = {
        "assistant": tool_graph(langchain_tools(environment.get_tools(), executor, "assistant")),
        "user": tool_graph(langchain_tools(environment.get_user_tools(), executor, "user")),
    }
    for index, action in enumerate(_gold_actions(task)):
        call = {"name": action.name, "args": dict(action.arguments), "id": f"gold_{index}"}
        graphs[action.requestor].invoke(
            {"messages": [AIMessage(content="", tool_calls=[{**call, "type": "tool_call"}])]}
        )
    return score(task, _history(task) + executor.messages)


def _call_message(index: int, name: str, arguments: dict[str, Any]) -> AIMessage:
    call = {"name": name, "args": arguments, "id": f"gold_{index}", "type": "tool_call"}
    return AIMessage(content="", tool_calls=[call])


def replay_solo_through_our_tools(task: Any) -> float:
    """Solo-mode reward when the agent makes every gold call through our wrappers in a
    ToolNode, each write quoted first and run by its ``:yes`` answer call."""
    environment = prepare_environment(task, solo_mode=True)
    executor = EnvironmentExecutor(environment)
    writes = write_tool_names(environment)
    graph = tool_graph(
        langchain_tools(agent_tools(environment), executor, "assistant", confirm=writes)
    )
    for index, action in enumerate(_gold_actions(task)):
        message = _call_message(index, action.name, dict(action.arguments))
        before = len(executor.messages)
        result = graph.invoke({"messages": [message]})["messages"][-1]
        if action.name not in writes:
            continue
        if len(executor.messages) != before or not getattr(result, "artifact", None):
            raise AssertionError(f"{action.name} ran before it was confirmed")
        call = message.tool_calls[0]
        answer = {**call, "id": answer_call_id(str(call["id"]), True)}
        graph.invoke({"messages": [AIMessage(content="", tool_calls=[answer])]})
    return score(task, _history(task) + executor.messages, solo_mode=True)


def replay_through_tau2(task: Any, solo_mode: bool = False) -> float:
    """Reward when τ²'s own environment executes the gold actions (the reference); in solo
    mode the agent makes every call, as ``LLMSoloAgent`` would."""
    # Lazy: tau2 is optional (the tau2 extra) and slow to import.
    from tau2.data_model.message import AssistantMessage, ToolCall, UserMessage

    environment = prepare_environment(task, solo_mode=solo_mode)
    messages: list[Any] = []
    for index, action in enumerate(_gold_actions(task)):
        requestor = "assistant" if solo_mode else action.requestor
        call = ToolCall(
            id=f"gold_{index}",
            name=action.name,
            arguments=dict(action.arguments),
            requestor=requestor,
        )
        caller = AssistantMessage if requestor == "assistant" else UserMessage
        messages.append(caller(role=requestor, content=None, tool_calls=[call]))
        messages.append(environment.get_response(call))
    return score(task, _history(task) + messages, solo_mode=solo_mode)


def replay_task(task: Any, solo: bool = False) -> ReplayResult:
    """Both replays of one task (dual mode, or solo mode with ``solo``)."""
    ours = replay_solo_through_our_tools(task) if solo else replay_through_our_tools(task)
    return ReplayResult(
        task_id=str(task.id),
        actions=len(_gold_actions(task)),
        reward_ours=ours,
        reward_tau2=replay_through_tau2(task, solo_mode=solo),
        solo=solo,
    )


def replay_tasks(tasks: Sequence[Any], solo: bool = False) -> Iterator[ReplayResult]:
    """Replay every task in order."""
    for task in tasks:
        yield replay_task(task, solo=solo)
