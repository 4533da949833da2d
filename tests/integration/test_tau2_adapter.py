"""τ² telecom adapter: policy split, model routing, reference agent and our graph as a τ² agent."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from typing import Any

import pytest
from langchain_core.messages import AIMessage, BaseMessage, ToolMessage

from app.evaluation.tau2.domain import INSTALL_HINT, tau2_installed

if not tau2_installed():
    if os.environ.get("SWITCHBOARD_REQUIRE_SERVICES") == "1":
        pytest.fail(INSTALL_HINT, pytrace=False)
    pytest.skip(INSTALL_HINT, allow_module_level=True)

from app.evaluation.tau2.domain import load_tasks, make_environment, policy_text
from app.evaluation.tau2.models import tau2_models, to_langchain, to_tau2
from app.evaluation.tau2.policy import AGENT_SECTIONS, agent_policies
from app.evaluation.tau2.run import run_task
from testing.scripted import ScriptedChatModel
from testing.scripted_policy import ToolSpec


def test_each_sub_agent_gets_its_sections_of_tau2_policy() -> None:
    full = policy_text()
    policies = agent_policies(full)
    assert set(policies) == set(AGENT_SECTIONS)
    for agent, headings in AGENT_SECTIONS.items():
        assert all(f"## {h}" in policies[agent] for h in headings)
        assert "Telecom Agent Policy" in policies[agent]
    assert "## Overdue Bill Payment" not in policies["plan_change"]
    assert "Technical support manual" in policies["tech_support"]
    assert len(policies["billing"]) < len(full) / 3


def test_messages_convert_both_ways() -> None:
    from tau2.data_model.message import AssistantMessage, SystemMessage, ToolCall, UserMessage
    from tau2.data_model.message import ToolMessage as Tau2ToolMessage

    call = ToolCall(id="c1", name="get_customer_by_phone", arguments={"phone_number": "555"})
    history = [
        SystemMessage(role="system", content="policy"),
        UserMessage(role="user", content="hi"),
        AssistantMessage(role="assistant", content=None, tool_calls=[call]),
        Tau2ToolMessage(role="tool", id="c1", content='{"customer_id": "C1001"}'),
    ]
    converted = to_langchain(history)
    assert [m.type for m in converted] == ["system", "human", "ai", "tool"]
    assert isinstance(converted[2], AIMessage) and converted[2].tool_calls[0]["id"] == "c1"
    assert isinstance(converted[3], ToolMessage) and converted[3].tool_call_id == "c1"
    reply = to_tau2(AIMessage(content="", tool_calls=[{"name": "x", "args": {}, "id": "z"}]))
    assert reply.is_tool_call() and reply.content is None
    assert to_tau2(AIMessage(content="Hello")).content == "Hello"


def test_tau2_model_calls_are_routed_while_the_block_runs() -> None:
    import tau2.agent.llm_agent as llm_agent
    import tau2.user.user_simulator as user_simulator

    before = (llm_agent.generate, user_simulator.generate)
    with tau2_models("scripted", "scripted"):
        assert llm_agent.generate is not before[0]
        assert user_simulator.generate is not before[1]
    assert (llm_agent.generate, user_simulator.generate) == before


def test_the_user_simulator_gets_its_own_llama_context(monkeypatch: pytest.MonkeyPatch) -> None:
    import app.evaluation.tau2.models as models

    made: dict[str, str] = {}
    monkeypatch.setattr(
        models, "make_generate", lambda spec, instance="": made.setdefault(instance, spec)
    )
    with tau2_models("local", "local"):
        pass
    assert made == {"": "local", models.USER_INSTANCE: "local"}


def test_reference_agent_runs_a_test_task_offline_and_is_scored_by_tau2() -> None:
    task = load_tasks("test")[0]
    outcome = run_task(task, "reference", "scripted", "scripted", max_steps=8)
    assert outcome.error is None, outcome.error
    assert outcome.termination in {"max_steps", "user_stop", "agent_stop", "too_many_errors"}
    assert outcome.messages > 2 and outcome.duration_s > 0
    assert outcome.reward in (0.0, 1.0)


def phone_lookup(messages: Sequence[BaseMessage], tools: Sequence[ToolSpec]) -> AIMessage:
    """A model that looks the customer up by the phone number it is given, then answers."""
    last = messages[-1]
    if isinstance(last, ToolMessage):
        return AIMessage(content=f"Found you: {last.content}")
    names = {tool.name for tool in tools}
    if "get_customer_by_phone" in names and "555-123-2002" in str(last.content):
        call = {"name": "get_customer_by_phone", "args": {"phone_number": "555-123-2002"}}
        return AIMessage(content="", tool_calls=[{**call, "id": "lookup-1"}])
    return AIMessage(content="How can I help?")


def test_our_graph_hands_tau2_tool_calls_to_the_orchestrator(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tau2.data_model.message import UserMessage

    import agents.base
    import agents.models
    from app.evaluation.tau2.agent import SwitchboardTau2Agent

    model = ScriptedChatModel(responder=phone_lookup)
    for module in (agents.models, agents.base):
        monkeypatch.setattr(module, "chat_model", lambda spec: model)
    environment = make_environment()
    agent = SwitchboardTau2Agent(
        environment.get_tools(), environment.get_policy(), model="scripted"
    )
    state = agent.get_init_state()
    asked, state = agent.generate_next_message(
        UserMessage(role="user", content="My data is not working, my number is 555-123-2002"),
        state,
    )
    assert asked.is_tool_call()
    call = asked.tool_calls[0]
    assert call.name == "get_customer_by_phone"
    assert call.arguments == {"phone_number": "555-123-2002"}
    result = environment.get_response(call)
    assert "C1001" in result.content
    answered, state = agent.generate_next_message(result, state)
    assert not answered.is_tool_call()
    assert "C1001" in (answered.content or "")
    assert json.loads(result.content)["customer_id"] == "C1001"


def test_gold_replay_command_on_the_small_split(capsys: pytest.CaptureFixture[str]) -> None:
    from benchmarks.tau2_telecom import main

    assert main(["--gold", "--split", "small", "--limit", "0", "--json", "--no-progress"]) == 0
    result: dict[str, Any] = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["tasks"] == 20 and result["agree"] == 20
