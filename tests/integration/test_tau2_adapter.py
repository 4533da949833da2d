"""τ² telecom adapter: policy split, model routing, reference agent and our graph as a τ² agent."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from typing import Any

import pytest
from langchain_core.messages import AIMessage, BaseMessage, ToolMessage

from app.evaluation.tau2.domain import INSTALL_HINT, require_tau2, tau2_installed

if not tau2_installed():
    if os.environ.get("SWITCHBOARD_REQUIRE_SERVICES") == "1":
        pytest.fail(INSTALL_HINT, pytrace=False)
    pytest.skip(INSTALL_HINT, allow_module_level=True)

from app.evaluation.tau2.domain import load_tasks, make_environment, policy_text
from app.evaluation.tau2.models import tau2_models, to_langchain, to_tau2
from app.evaluation.tau2.policy import AGENT_SECTIONS, agent_policies
from app.evaluation.tau2.run import run_solo_task, run_task
from testing.scripted import ScriptedChatModel
from testing.scripted_policy import ToolSpec


@pytest.fixture(autouse=True, scope="module")
def offline_tau2() -> None:
    """τ²'s LiteLLM is kept offline before any test imports τ² (some import it themselves)."""
    require_tau2()


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
        models,
        "make_generate",
        lambda spec, instance="", usage=None: made.setdefault(instance, spec),
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

    args = [
        "--gold",
        "--mode",
        "dual",
        "--split",
        "small",
        "--limit",
        "0",
        "--json",
        "--no-progress",
    ]
    assert main(args) == 0
    result: dict[str, Any] = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["tasks"] == 20 and result["agree"] == 20


def test_reference_solo_agent_runs_a_test_task_offline_and_is_scored_by_tau2() -> None:
    task = load_tasks("test")[0]
    outcome = run_solo_task(task, "reference", "scripted", max_steps=8)
    assert outcome.error is None, outcome.error
    assert outcome.ending.startswith(("agent_stop:", "max_steps", "too_many_errors"))
    assert outcome.model_calls >= 1 and outcome.prompt_tokens > 0
    assert outcome.reward in (0.0, 1.0)


def test_text_where_a_tool_call_is_required_is_taken_as_the_solo_stop() -> None:
    from tau2.data_model.message import UserMessage
    from tau2.environment.tool import as_tool

    from app.evaluation.tau2.models import STOP_TOOL, make_generate
    from app.evaluation.tau2.usage import ModelUsage

    def done() -> str:
        """Stop."""
        return "###STOP###"

    usage = ModelUsage()
    generate = make_generate("scripted", usage=usage)
    history = [UserMessage(role="user", content="hello")]
    reply = generate("ignored", history, tools=[as_tool(done)], tool_choice="required")
    assert [call.name for call in reply.tool_calls] == [STOP_TOOL]
    assert usage.text_as_stop == 1 and usage.calls == 1
    plain = generate("ignored", history, tools=[as_tool(done)])
    assert not plain.is_tool_call() and usage.text_as_stop == 1


def device_fixer(messages: Sequence[BaseMessage], tools: Sequence[ToolSpec]) -> AIMessage:
    """A model that makes the two device fixes of the first train task, then answers."""
    names = {tool.name for tool in tools}
    ran = {
        m.name for m in messages if isinstance(m, ToolMessage) and "Quoted" not in str(m.content)
    }
    for fix in ("toggle_airplane_mode", "toggle_roaming"):
        if fix in names and fix not in ran:
            return AIMessage(content="", tool_calls=[{"name": fix, "args": {}, "id": fix}])
    return AIMessage(content="Airplane mode is off and roaming is on: your data works again.")


def test_our_graph_solves_a_solo_task_with_each_write_confirmed_for_the_ticket(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import agents.base
    import agents.models
    import app.evaluation.tau2.solo as solo

    model = ScriptedChatModel(responder=device_fixer)
    for module in (agents.models, agents.base):
        monkeypatch.setattr(module, "chat_model", lambda spec: model)
    agents_made: list[Any] = []
    original = solo.SwitchboardSoloAgent.get_init_state

    def remember(self: Any, message_history: Any = None) -> Any:
        agents_made.append(self)
        return original(self, message_history)

    monkeypatch.setattr(solo.SwitchboardSoloAgent, "get_init_state", remember)
    task = load_tasks("train")[0]
    assert [a.name for a in task.evaluation_criteria.actions] == [
        "toggle_airplane_mode",
        "toggle_roaming",
    ]
    outcome = run_solo_task(task, "switchboard", "scripted")
    assert outcome.error is None, outcome.error
    assert outcome.ending == "agent_stop:reply"
    assert outcome.reward == 1.0
    assert outcome.calls == ("toggle_airplane_mode", "toggle_roaming") and outcome.missed == ()
    assert outcome.model_calls >= 3 and outcome.prompt_tokens > 0
    (agent,) = agents_made
    assert agent.last_state.confirmations == 2
    values = agent.graph.get_state(agent._config(agent.last_state)).values
    asked = [m for m in values["messages"] if "Shall I go ahead" in str(m.content)]
    assert len(asked) == 2


def test_solo_bench_prints_both_agents_side_by_side(capsys: pytest.CaptureFixture[str]) -> None:
    from benchmarks.tau2_telecom import main

    assert main(["--model", "scripted", "--split", "train", "--limit", "1", "--json"]) == 0
    captured = capsys.readouterr()
    result: dict[str, Any] = json.loads(captured.out.strip().splitlines()[-1])
    assert (result["mode"], result["split"], result["tasks"], result["model"]) == (
        "solo",
        "train",
        1,
        "scripted",
    )
    for agent in ("switchboard", "reference"):
        row = result["agents"][agent]
        for key in (
            "pass_at_1",
            "pass_at_k",
            "seconds_per_task",
            "model_calls_per_task",
            "prompt_tokens_per_task",
            "crashes",
        ):
            assert key in row
        assert row["crashes"] == 0
    assert "[2/2]" in captured.err
