"""Run one τ² telecom task with an agent (ours or τ²'s reference) and score it with τ²."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any, Literal

from app.evaluation.tau2.domain import DOMAIN, make_environment, require_tau2
from app.evaluation.tau2.models import tau2_models

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

    @property
    def success(self) -> bool:
        """τ² counts a task as solved when its reward is 1."""
        return self.reward >= 1.0 - 1e-9

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {**asdict(self), "success": self.success}


def make_agent(kind: AgentKind, environment: Any, model: str, context: dict[str, Any]) -> Any:
    """Our graph as a τ² agent, or τ²'s reference ``LLMAgent`` (its calls go to ``model``)."""
    if kind == "switchboard":
        # Lazy: this module imports tau2 (optional, heavy); run_task has already required it.
        from app.evaluation.tau2.agent import SwitchboardTau2Agent

        return SwitchboardTau2Agent(
            tools=environment.get_tools(),
            domain_policy=environment.get_policy(),
            model=model,
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

    started = time.perf_counter()
    with tau2_models(model, user_model):
        environment = make_environment()
        try:
            agent = make_agent(kind, environment, model, context or {})
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
            )
    return TaskOutcome(
        task_id=str(task.id),
        agent=kind,
        trial=trial,
        reward=float(reward),
        termination=str(
            getattr(simulation.termination_reason, "value", simulation.termination_reason)
        ),
        duration_s=time.perf_counter() - started,
        messages=len(simulation.messages),
    )


def _termination(simulation: Any) -> str:
    """Why the simulation ended (τ²'s termination reason as text)."""
    reason = simulation.termination_reason
    return str(getattr(reason, "value", reason))
