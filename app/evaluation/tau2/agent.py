"""Our support graph as a τ² agent: τ²'s tools in our sub-agents, τ²'s policy as our policy.

Tool calls leave the graph as LangGraph interrupts: the agent hands each one to τ²'s
orchestrator (so τ² executes it on its environment and logs it in the trajectory its
evaluator replays) and resumes the graph with the result.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import BaseTool
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command, interrupt
from tau2.agent.base import LocalAgent
from tau2.data_model.message import AssistantMessage, MultiToolMessage, ToolCall, UserMessage

from agents.context import Context
from agents.roster import support_roster
from agents.spec import AgentSpec
from app.evaluation.tau2.policy import agent_policies
from app.evaluation.tau2.tools import Requestor, langchain_tools
from graphs.support import compile_graph

INTERRUPT_KIND = "tau2_tool"
LOOKUP_TOOLS = frozenset(
    {
        "get_customer_by_phone",
        "get_customer_by_id",
        "get_customer_by_name",
        "get_details_by_id",
        "transfer_to_human_agents",
    }
)
AGENT_TOOLS: dict[str, frozenset[str] | None] = {
    "billing": LOOKUP_TOOLS
    | {"get_bills_for_customer", "send_payment_request", "resume_line", "suspend_line"}
    | {"check_payment_request", "make_payment"},
    "plan_change": LOOKUP_TOOLS
    | {"get_data_usage", "refuel_data", "enable_roaming", "disable_roaming"},
    "tech_support": None,
    "out_of_scope": LOOKUP_TOOLS,
}
"""τ² tools for the agent that takes each triage intent (``None`` = all of them). In solo mode
the device's tools join them: the payment ones go to billing, the rest only to tech_support."""
DEFAULT_CONTEXT = {"token_budget": 12000, "window_budget": 4000, "summary_budget": 600}
"""Budgets for τ² runs: the policy documents are several thousand tokens long."""
FALLBACK_REPLY = "Could you tell me a bit more about the problem?"


def hand_to_orchestrator(name: str, arguments: dict[str, Any], requestor: Requestor) -> str:
    """Tool executor: pause the graph; τ²'s orchestrator runs the call and resumes with it."""
    result = interrupt({"kind": INTERRUPT_KIND, "name": name, "arguments": arguments})
    return str(result)


def tau2_agent_specs(
    tau2_tools: list[Any], policy: str, write_tools: frozenset[str] = frozenset()
) -> list[AgentSpec]:
    """Our roster's sub-agents with τ²'s tools and their share of τ²'s policy (by the
    triage intent each agent takes). Tools named in ``write_tools`` are our agents' write
    tools: they quote and wait for a confirmation before τ² runs them (solo mode)."""
    wrapped: list[BaseTool] = langchain_tools(
        tau2_tools, hand_to_orchestrator, "assistant", confirm=write_tools
    )
    policies = agent_policies(policy)
    specs = []
    for spec in support_roster():
        (intent,) = sorted(spec.intents & set(AGENT_TOOLS))
        names = AGENT_TOOLS[intent]
        tools = tuple(t for t in wrapped if names is None or t.name in names)
        writes = frozenset(t.name for t in tools if t.name in write_tools)
        specs.append(
            # τ²'s tool results are JSON for the agent to act on, often with further calls.
            replace(
                spec,
                tools=tools,
                write_tools=writes,
                policy=policies[intent],
                states_results=False,
            )
        )
    return specs


@dataclass
class GraphAgentState:
    """What the τ² orchestrator keeps for our agent between steps."""

    thread_id: str = field(default_factory=lambda: f"tau2-{uuid.uuid4().hex[:12]}")
    model_calls: int = 0


class SwitchboardTau2Agent(LocalAgent):
    """A τ² ``LocalAgent`` whose replies come from our support graph."""

    def __init__(
        self,
        tools: list[Any],
        domain_policy: str,
        model: str,
        callbacks: Sequence[BaseCallbackHandler] = (),
        **context: Any,
    ) -> None:
        super().__init__(tools=tools, domain_policy=domain_policy)
        self.graph = compile_graph(InMemorySaver(), agents=tau2_agent_specs(tools, domain_policy))
        settings = {**DEFAULT_CONTEXT, **context}
        self.context = Context(customer_id=None, model=model, **settings)
        self.callbacks = list(callbacks)

    def get_init_state(self, message_history: list[Any] | None = None) -> GraphAgentState:
        return GraphAgentState()

    def _config(self, state: GraphAgentState) -> RunnableConfig:
        config: RunnableConfig = {
            "configurable": {"thread_id": state.thread_id},
            "recursion_limit": 60,
        }
        if self.callbacks:
            config["callbacks"] = list(self.callbacks)
        return config

    def _pending(self, state: GraphAgentState) -> list[Any]:
        snapshot = self.graph.get_state(self._config(state))
        return [
            item
            for task in snapshot.tasks
            for item in task.interrupts
            if isinstance(item.value, dict) and item.value.get("kind") == INTERRUPT_KIND
        ]

    def generate_next_message(
        self, message: Any, state: GraphAgentState
    ) -> tuple[AssistantMessage, GraphAgentState]:
        if isinstance(message, UserMessage):
            payload: Any = {"messages": [HumanMessage(content=message.content or "")]}
        else:
            results = message.tool_messages if isinstance(message, MultiToolMessage) else [message]
            payload = Command(resume={result.id: result.content for result in results})
        self.graph.invoke(payload, self._config(state), context=self.context)
        pending = self._pending(state)
        if pending:
            first = pending[0]
            call = ToolCall(
                id=first.id,
                name=first.value["name"],
                arguments=dict(first.value["arguments"]),
                requestor="assistant",
            )
            return AssistantMessage(role="assistant", content=None, tool_calls=[call]), state
        values = self.graph.get_state(self._config(state)).values
        last = (values.get("messages") or [None])[-1]
        text = str(last.content).strip() if isinstance(last, AIMessage) else ""
        return AssistantMessage(role="assistant", content=text or FALLBACK_REPLY), state
