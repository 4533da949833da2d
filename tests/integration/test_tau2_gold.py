"""τ²-bench telecom gold replay through our tool layer reproduces τ²'s reward on all base tasks,
in dual mode (agent and customer) and in solo mode (the agent alone, writes confirmed)."""

from __future__ import annotations

import os
from typing import Any

import pytest
from langchain_core.messages import AIMessage

from app.evaluation.tau2.domain import INSTALL_HINT, tau2_installed

if not tau2_installed():
    if os.environ.get("SWITCHBOARD_REQUIRE_SERVICES") == "1":
        pytest.fail(INSTALL_HINT, pytrace=False)
    pytest.skip(INSTALL_HINT, allow_module_level=True)

from app.evaluation.tau2.domain import (
    agent_tools,
    load_tasks,
    prepare_environment,
    write_tool_names,
)
from app.evaluation.tau2.replay import (
    replay_task,
    replay_through_tau2,
    score,
    tool_graph,
)
from app.evaluation.tau2.tools import EnvironmentExecutor, langchain_tools
from tools.write_flow import AWAITING_KIND, answer_call_id


@pytest.fixture(scope="module")
def base_tasks() -> list[Any]:
    return load_tasks("base")


def test_base_split_has_the_114_tasks_of_train_plus_test(base_tasks: list[Any]) -> None:
    ids = {task.id for task in base_tasks}
    assert len(base_tasks) == 114
    assert ids == {t.id for t in load_tasks("train")} | {t.id for t in load_tasks("test")}


def test_gold_replay_through_our_tools_reproduces_tau2_reward_on_all_base_tasks(
    base_tasks: list[Any],
) -> None:
    results = [replay_task(task) for task in base_tasks]
    disagreements = [r.as_dict() for r in results if not r.agrees]
    assert not disagreements, disagreements
    assert sum(r.reward_ours for r in results) == 114.0


def test_our_wrappers_keep_names_schemas_and_arguments(base_tasks: list[Any]) -> None:
    task = next(
        t
        for t in base_tasks
        if any(a.arguments and a.requestor == "assistant" for a in t.evaluation_criteria.actions)
    )
    environment = prepare_environment(task)
    executor = EnvironmentExecutor(environment)
    tools = langchain_tools(environment.get_tools(), executor, "assistant")
    originals = {tool.name: tool for tool in environment.get_tools()}
    assert {tool.name for tool in tools} == set(originals)
    for tool in tools:
        expected = originals[tool.name].openai_schema["function"]["parameters"]["properties"]
        assert set(tool.args) == set(expected)

    action = next(
        a for a in task.evaluation_criteria.actions if a.arguments and a.requestor == "assistant"
    )
    call = {"name": action.name, "args": dict(action.arguments), "id": "c1", "type": "tool_call"}
    tool_graph(tools).invoke({"messages": [AIMessage(content="", tool_calls=[call])]})
    recorded = executor.messages[0].tool_calls[0]
    assert (recorded.name, recorded.arguments, recorded.requestor) == (
        action.name,
        dict(action.arguments),
        "assistant",
    )


def test_replay_can_fail_when_an_action_is_missing(base_tasks: list[Any]) -> None:
    """The check is not vacuous: dropping the gold actions loses the reward."""
    task = next(t for t in base_tasks if t.evaluation_criteria.actions)
    assert replay_through_tau2(task) == 1.0
    assert score(task, []) == 0.0


def test_solo_gold_replay_through_our_tools_reproduces_tau2_reward_on_all_base_tasks(
    base_tasks: list[Any],
) -> None:
    results = [replay_task(task, solo=True) for task in base_tasks]
    disagreements = [r.as_dict() for r in results if not r.agrees]
    assert not disagreements, disagreements
    assert sum(r.reward_ours for r in results) == 114.0
    assert all(r.solo for r in results)


def _solo_write_task(base_tasks: list[Any]) -> tuple[Any, Any]:
    for task in base_tasks:
        environment = prepare_environment(task, solo_mode=True)
        writes = write_tool_names(environment)
        action = next((a for a in task.evaluation_criteria.actions if a.name in writes), None)
        if action is not None:
            return task, action
    raise AssertionError("no base task has a write action")


def test_solo_writes_quote_first_and_run_once_on_yes(base_tasks: list[Any]) -> None:
    task, action = _solo_write_task(base_tasks)
    environment = prepare_environment(task, solo_mode=True)
    executor = EnvironmentExecutor(environment)
    writes = write_tool_names(environment)
    assert {"toggle_airplane_mode", "refuel_data", "make_payment"} <= writes
    assert "get_customer_by_phone" not in writes
    graph = tool_graph(langchain_tools(agent_tools(environment), executor, confirm=writes))
    call = {"name": action.name, "args": dict(action.arguments), "id": "w1", "type": "tool_call"}

    def run(call_id: str) -> Any:
        message = AIMessage(content="", tool_calls=[{**call, "id": call_id}])
        return graph.invoke({"messages": [message]})["messages"][-1]

    quoted = run("w1")
    assert quoted.artifact["kind"] == AWAITING_KIND and quoted.artifact["tool"] == action.name
    assert executor.messages == []
    assert "Declined" in run(answer_call_id("w1", False)).content
    assert executor.messages == []
    run(answer_call_id("w1", True))
    recorded = executor.messages[0].tool_calls[0]
    assert (recorded.name, recorded.arguments, recorded.requestor) == (
        action.name,
        dict(action.arguments),
        "assistant",
    )


def test_solo_replay_fails_when_the_writes_are_only_quoted(base_tasks: list[Any]) -> None:
    """Not vacuous: writes that are quoted but never confirmed lose the reward."""
    task, _ = _solo_write_task(base_tasks)
    environment = prepare_environment(task, solo_mode=True)
    executor = EnvironmentExecutor(environment)
    writes = write_tool_names(environment)
    graph = tool_graph(langchain_tools(agent_tools(environment), executor, confirm=writes))
    for index, action in enumerate(task.evaluation_criteria.actions):
        call = {"name": action.name, "args": dict(action.arguments), "id": f"q{index}"}
        graph.invoke(
            {"messages": [AIMessage(content="", tool_calls=[{**call, "type": "tool_call"}])]}
        )
    assert score(task, executor.messages, solo_mode=True) == 0.0
    assert replay_through_tau2(task, solo_mode=True) == 1.0
