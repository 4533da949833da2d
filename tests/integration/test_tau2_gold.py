"""τ²-bench telecom gold replay through our tool layer reproduces τ²'s reward on all base tasks."""

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

from app.evaluation.tau2.domain import load_tasks, prepare_environment
from app.evaluation.tau2.replay import (
    replay_task,
    replay_through_tau2,
    score,
    tool_graph,
)
from app.evaluation.tau2.tools import EnvironmentExecutor, langchain_tools


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
