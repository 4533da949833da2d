"""Run one τ² telecom task with an agent (ours or τ²'s reference) and score it with τ².

Dual mode: τ²'s user simulator plays the customer. Solo mode: no customer — the agent gets the
ticket and the device tools, τ²'s ``DummyUser`` stands in, and τ²'s evaluator scores the
trajectory with ``solo_mode=True``, exactly as ``tau2.run`` does for ``llm_agent_solo``.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any, Literal

from app.evaluation.tau2.domain import (
    DOMAIN,
    agent_tools,
    make_environment,
    require_tau2,
    write_tool_names,
)
from app.evaluation.tau2.models import tau2_models
from app.evaluation.tau2.usage import ModelUsage

AgentKind = Literal["switchboard", "reference"]
AGENT_KINDS: tuple[AgentKind, ...] = ("switchboard", "reference")


@dataclass(frozen=True)
class TaskOutcome:
    """One simulation of one task by one agent."""

    task_id: str
    agent: str
    trial: int
    reward: float
    termination: str
    duration_s: float
    messages: int
    error: str | None = None
    model_calls: int = 0
    prompt_tokens: int = 0
    ending: str = ""
    calls: tuple[str, ...] = ()
    """The τ² tool calls the agent made, by name, in order."""
    missed: tuple[str, ...] = ()
    """The task's reference actions no call of the run matched (τ²'s action check)."""
    """How the run ended: τ²'s termination reason, and after a colon what the agent did
    (``reply``/``question``: our graph answered; ``done``: the reference called its stop
    tool; ``text``: a plain-text reply taken as the stop)."""

    @property
    def success(self) -> bool:
        """τ² counts a task as solved when its reward is 1."""
        return self.reward >= 1.0 - 1e-9

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {**asdict(self), "success": self.success}


def make_agent(
    kind: AgentKind,
    environment: Any,
    model: str,
    context: dict[str, Any],
    usage: ModelUsage | None = None,
) -> Any:
    """Our graph as a τ² agent, or τ²'s reference ``LLMAgent`` (its calls go to ``model``)."""
    if kind == "switchboard":
        # Lazy: this module imports tau2 (optional, heavy); run_task has already required it.
        from app.evaluation.tau2.agent import SwitchboardTau2Agent

        return SwitchboardTau2Agent(
            tools=environment.get_tools(),
            domain_policy=environment.get_policy(),
            model=model,
            callbacks=[usage.recorder] if usage is not None else [],
            **context,
        )
    # Lazy: tau2 is optional (the tau2 extra) and slow to import.
    from tau2.agent.llm_agent import LLMAgent

    return LLMAgent(
        tools=environment.get_tools(),
        domain_policy=environment.get_policy(),
        llm=model,
        llm_args={"temperature": 0.0},
    )


def run_task(
    task: Any,
    kind: AgentKind,
    model: str,
    user_model: str,
    *,
    trial: int = 0,
    max_steps: int = 100,
    max_errors: int = 10,
    seed: int = 300,
    context: dict[str, Any] | None = None,
) -> TaskOutcome:
    """Simulate ``task`` with τ²'s user simulator and orchestrator; reward from τ²'s evaluator."""
    require_tau2()
    # Lazy: tau2 is optional (the tau2 extra) and slow to import.
    from tau2.evaluator.evaluator import EvaluationType, evaluate_simulation
    from tau2.orchestrator.orchestrator import Orchestrator
    from tau2.user.user_simulator import UserSimulator

    usage = ModelUsage()
    started = time.perf_counter()
    with tau2_models(model, user_model, usage):
        environment = make_environment()
        try:
            agent = make_agent(kind, environment, model, context or {}, usage)
            user = UserSimulator(
                tools=environment.get_user_tools(),
                instructions=str(task.user_scenario),
                llm=user_model,
                llm_args={"temperature": 0.0},
            )
            orchestrator = Orchestrator(
                domain=DOMAIN,
                agent=agent,
                user=user,
                environment=environment,
                task=task,
                max_steps=max_steps,
                max_errors=max_errors,
                seed=seed + trial,
            )
            simulation = orchestrator.run()
            reward = evaluate_simulation(
                simulation=simulation,
                task=task,
                evaluation_type=EvaluationType.ALL,
                solo_mode=False,
                domain=DOMAIN,
            ).reward
        except Exception as error:  # a crashed simulation scores 0 and the run goes on
            return TaskOutcome(
                task_id=str(task.id),
                agent=kind,
                trial=trial,
                reward=0.0,
                termination="crash",
                duration_s=time.perf_counter() - started,
                messages=0,
                error=f"{type(error).__name__}: {error}",
                model_calls=usage.calls,
                prompt_tokens=usage.prompt_tokens,
                ending=f"crash:{type(error).__name__}",
            )
    calls, missed = _calls_and_missed(task, simulation)
    return TaskOutcome(
        task_id=str(task.id),
        agent=kind,
        trial=trial,
        reward=float(reward),
        termination=_termination(simulation),
        duration_s=time.perf_counter() - started,
        messages=len(simulation.messages),
        model_calls=usage.calls,
        prompt_tokens=usage.prompt_tokens,
        calls=calls,
        missed=missed,
    )


def _calls_and_missed(task: Any, simulation: Any) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The run's tool calls by name, and the reference actions none of them matched."""
    # Lazy: tau2 is optional (the tau2 extra) and slow to import.
    from tau2.evaluator.evaluator_action import ActionEvaluator

    calls = tuple(
        call.name
        for message in simulation.messages
        for call in (getattr(message, "tool_calls", None) or [])
        if getattr(message, "role", "") == "assistant"
    )
    criteria = task.evaluation_criteria
    gold = list(criteria.actions or []) if criteria is not None else []
    checks = ActionEvaluator.evaluate_actions(simulation.messages, gold)
    missed = tuple(check.action.name for check in checks if not check.action_match)
    return calls, missed


def _termination(simulation: Any) -> str:
    """Why the simulation ended (τ²'s termination reason as text)."""
    reason = simulation.termination_reason
    return str(getattr(reason, "value", reason))


def make_solo_agent(
    kind: AgentKind, environment: Any, task: Any, model: str, usage: ModelUsage, **context: Any
) -> Any:
    """Our graph as τ²'s solo agent, or τ²'s ``LLMSoloAgent`` itself (its calls go to
    ``model``); both get the agent's and the device's tools and τ²'s solo policy."""
    if kind == "switchboard":
        # Lazy: this module subclasses tau2's agents (optional, heavy); tau2 is required here.
        from app.evaluation.tau2.solo import SwitchboardSoloAgent

        return SwitchboardSoloAgent(
            tools=agent_tools(environment),
            domain_policy=environment.get_policy(),
            task=task,
            model=model,
            write_tools=write_tool_names(environment),
            callbacks=[usage.recorder],
            **context,
        )
    # Lazy: tau2 is optional (the tau2 extra) and slow to import.
    from tau2.agent.llm_agent import LLMSoloAgent

    return LLMSoloAgent(
        tools=agent_tools(environment),
        domain_policy=environment.get_policy(),
        task=task,
        llm=model,
        llm_args={"temperature": 0.0},
    )


def _solo_ending(agent: Any, simulation: Any, usage: ModelUsage) -> str:
    """τ²'s termination reason, with what the agent did to end the run."""
    reason = _termination(simulation)
    state = getattr(agent, "last_state", None)
    ending = str(getattr(state, "ending", "") or "")
    if ending:
        return f"{reason}:{ending}"
    if reason == "agent_stop":
        return f"{reason}:{'text' if usage.text_as_stop else 'done'}"
    return reason


def run_solo_task(
    task: Any,
    kind: AgentKind,
    model: str,
    *,
    trial: int = 0,
    max_steps: int = 100,
    max_errors: int = 10,
    seed: int = 300,
    context: dict[str, Any] | None = None,
) -> TaskOutcome:
    """Run ``task`` in τ²'s solo mode (no customer); reward from τ²'s evaluator."""
    require_tau2()
    # Lazy: tau2 is optional (the tau2 extra) and slow to import.
    from tau2.evaluator.evaluator import EvaluationType, evaluate_simulation
    from tau2.orchestrator.orchestrator import Orchestrator
    from tau2.user.user_simulator import DummyUser

    usage = ModelUsage()
    started = time.perf_counter()
    with tau2_models(model, model, usage):
        environment = make_environment(solo_mode=True)
        try:
            agent = make_solo_agent(kind, environment, task, model, usage, **(context or {}))
            user = DummyUser(
                tools=environment.get_user_tools(),
                instructions=str(task.user_scenario),
                llm=None,
            )
            orchestrator = Orchestrator(
                domain=DOMAIN,
                agent=agent,
                user=user,
                environment=environment,
                task=task,
                max_steps=max_steps,
                max_errors=max_errors,
                seed=seed + trial,
                solo_mode=True,
            )
            simulation = orchestrator.run()
            reward = evaluate_simulation(
                simulation=simulation,
                task=task,
                evaluation_type=EvaluationType.ALL,
                solo_mode=True,
                domain=DOMAIN,
            ).reward
        except Exception as error:  # a crashed simulation scores 0 and the run goes on
            return TaskOutcome(
                task_id=str(task.id),
                agent=kind,
                trial=trial,
                reward=0.0,
                termination="crash",
                duration_s=time.perf_counter() - started,
                messages=0,
                error=f"{type(error).__name__}: {error}",
                model_calls=usage.calls,
                prompt_tokens=usage.prompt_tokens,
                ending=f"crash:{type(error).__name__}",
            )
    calls, missed = _calls_and_missed(task, simulation)
    return TaskOutcome(
        task_id=str(task.id),
        agent=kind,
        trial=trial,
        reward=float(reward),
        termination=_termination(simulation),
        duration_s=time.perf_counter() - started,
        messages=len(simulation.messages),
        model_calls=usage.calls,
        prompt_tokens=usage.prompt_tokens,
        ending=_solo_ending(agent, simulation, usage),
        calls=calls,
        missed=missed,
    )
