"""Turn a model spec (``local``, ``openai:gpt-4o-mini``, ``scripted`` ...) into a chat model."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from langchain.chat_models import init_chat_model
from langchain_core.language_models import BaseChatModel

from llm.errors import ModelConfigError
from llm.llamacpp_chat import LlamaCppChatModel
from llm.local_files import PINNED_MODELS, check_gguf, locate_parts
from llm.resilience import ResilientChatModel

DEFAULT_OPENAI = "openai:gpt-4o-mini"
DEFAULT_ANTHROPIC = "anthropic:claude-haiku-4-5"
HOSTED_TIMEOUT_S = 60.0
LOCAL_TIMEOUT_S = 600.0
DEFAULT_RETRIES = 2

VALID_FORMS = (
    "scripted | local | local:/path/to/model.gguf | local-0.5b | local-small | "
    "openai:<model> | anthropic:<model> | ollama:<model>"
)


@dataclass(frozen=True)
class Provider:
    """A hosted provider reached through ``init_chat_model``."""

    module: str
    install: str
    key_env: str | None


PROVIDERS = MappingProxyType(
    {
        "openai": Provider(
            "langchain_openai", "`uv sync` (langchain-openai is a dependency)", "OPENAI_API_KEY"
        ),
        "anthropic": Provider(
            "langchain_anthropic", "`uv sync --extra anthropic`", "ANTHROPIC_API_KEY"
        ),
        "ollama": Provider("langchain_ollama", "`uv sync --extra ollama`", None),
    }
)
SCRIPTED = "scripted"
"""Spec of the scripted stand-in: a rule-based test double for tests and offline demos."""


def _scripted(variant: str, opts: dict[str, Any]) -> BaseChatModel:
    """The scripted stand-in (``scripted`` or ``scripted:<behaviour>``), from ``testing/``."""
    # Lazy: testing/ holds test doubles; only a scripted spec loads it, never a real run.
    from testing.scripted_responders import scripted_model

    return scripted_model(variant, **opts)


STAND_INS: Mapping[str, Callable[[str, dict[str, Any]], BaseChatModel]] = MappingProxyType(
    {SCRIPTED: _scripted}
)
"""Models that are no language model (test doubles), by spec prefix: no timeout, and a bare
one plays a domain's scripted policy (``policy_model``)."""
LOCAL_MODELS = MappingProxyType(
    {
        "local": "qwen2.5-coder-1.5b",
        "local-0.5b": "qwen2.5-coder-0.5b",
        "local-small": "smollm2-135m",
    }
)


def make_model(spec: str | None = None, **opts: Any) -> BaseChatModel:
    """Build the chat model for spec (None/empty: the default), wrapped for resilience.

    Options: ``fallbacks`` (specs; default env SWITCHBOARD_FALLBACK_MODELS), ``timeout_s``
    (default env SWITCHBOARD_MODEL_TIMEOUT, else 60 s hosted / 600 s local / none scripted),
    ``max_retries`` (default env SWITCHBOARD_MODEL_RETRIES, else 2), ``backoff_s``,
    ``resilient=False`` for the bare model; anything else goes to the model's constructor.
    """
    resilient = bool(opts.pop("resilient", True))
    fallbacks = opts.pop("fallbacks", None)
    timeout = opts.pop("timeout_s", None)
    retries = opts.pop("max_retries", None)
    backoff = float(opts.pop("backoff_s", 0.5))
    primary_spec = resolve_spec(spec)
    if not resilient:
        return make_base_model(primary_spec, **opts)
    specs = [primary_spec, *[s for s in fallback_specs(fallbacks) if s != primary_spec]]
    timeouts = [_timeout_for(s, timeout) for s in specs]
    models = [
        make_base_model(s, **{**_timeout_opts(s, t), **(opts if i == 0 else {})})
        for i, (s, t) in enumerate(zip(specs, timeouts, strict=True))
    ]
    return ResilientChatModel(
        models=models,
        labels=specs,
        timeouts=timeouts,
        max_retries=_retries(retries),
        backoff_s=backoff,
    )


def is_stand_in(spec: str) -> bool:
    """Whether ``spec`` names a stand-in with its built-in policy (no language model at all)."""
    return spec.strip() in STAND_INS


def policy_model(spec: str, policy: str) -> BaseChatModel | None:
    """A stand-in playing the domain policy named ``policy`` (e.g. ``bookstore``,
    ``research:planner``; the stand-in's package registers them) when ``spec`` names a bare
    stand-in, else ``None`` (the caller uses a language model)."""
    if not is_stand_in(spec):
        return None
    return make_base_model(spec, policy=policy)


def resolve_spec(spec: str | None, env: Mapping[str, str] | None = None) -> str:
    """The spec to use: the given one, else SWITCHBOARD_MODEL, else by available keys."""
    environ = os.environ if env is None else env
    chosen = (spec or "").strip() or environ.get("SWITCHBOARD_MODEL", "").strip()
    if chosen:
        return chosen
    if environ.get("OPENAI_API_KEY", "").strip():
        return DEFAULT_OPENAI
    if environ.get("ANTHROPIC_API_KEY", "").strip():
        return DEFAULT_ANTHROPIC
    return "local"


def fallback_specs(fallbacks: Sequence[str] | str | None = None) -> list[str]:
    """Fallback specs from the argument or SWITCHBOARD_FALLBACK_MODELS (comma-separated)."""
    raw = os.environ.get("SWITCHBOARD_FALLBACK_MODELS", "") if fallbacks is None else fallbacks
    items = raw.split(",") if isinstance(raw, str) else list(raw)
    return [item.strip() for item in items if item.strip()]


def make_base_model(spec: str, **opts: Any) -> BaseChatModel:
    """Build the bare model for an explicit spec (no retries or fallbacks)."""
    spec = spec.strip()
    kind, _, variant = spec.partition(":")
    if kind in STAND_INS:
        return STAND_INS[kind](variant.strip(), opts)
    if spec in LOCAL_MODELS or spec.startswith("local:"):
        return _local_model(spec, opts)
    provider, _, name = spec.partition(":")
    if provider in PROVIDERS and name.strip():
        return _hosted_model(provider, name.strip(), opts)
    if provider in PROVIDERS:
        raise ModelConfigError(f"model spec {spec!r} names no model; use e.g. {provider}:<model>.")
    raise ModelConfigError(f"unknown model spec {spec!r}; valid forms: {VALID_FORMS}.")


def _local_model(spec: str, opts: dict[str, Any]) -> BaseChatModel:
    """An embedded llama.cpp model: pinned (checked now, assembled at first use) or a file."""
    if spec.startswith("local:"):
        raw = spec.removeprefix("local:").strip()
        if not raw:
            raise ModelConfigError("`local:` needs a path: use `local:/path/to/model.gguf`.")
        path = check_gguf(Path(raw).expanduser())
        return LlamaCppChatModel(model_path=str(path), model_name=f"local:{path.name}", **opts)
    key = LOCAL_MODELS[spec]
    locate_parts(PINNED_MODELS[key])
    return LlamaCppChatModel(pinned_model=key, model_name=spec, **opts)


def _hosted_model(provider: str, name: str, opts: dict[str, Any]) -> BaseChatModel:
    """A provider model through init_chat_model, after checking its package and key."""
    info = PROVIDERS[provider]
    if importlib.util.find_spec(info.module) is None:
        raise ModelConfigError(
            f"model {provider}:{name} needs the {info.module.replace('_', '-')} package; "
            f"install it with {info.install}."
        )
    if info.key_env and not os.environ.get(info.key_env, "").strip():
        raise ModelConfigError(
            f"model {provider}:{name} needs {info.key_env}; set it in the environment or .env, "
            "or choose another model (e.g. SWITCHBOARD_MODEL=local)."
        )

    try:
        return init_chat_model(name, model_provider=provider, **opts)
    except (ImportError, ValueError, TypeError) as exc:
        raise ModelConfigError(f"cannot create {provider}:{name}: {exc}") from exc


def _timeout_for(spec: str, override: float | None) -> float | None:
    """Per-call timeout: explicit, else SWITCHBOARD_MODEL_TIMEOUT, else by model kind."""
    if override is not None:
        return float(override)
    raw = os.environ.get("SWITCHBOARD_MODEL_TIMEOUT", "").strip()
    if raw:
        try:
            return float(raw)
        except ValueError as exc:
            raise ModelConfigError(
                f"SWITCHBOARD_MODEL_TIMEOUT={raw!r} is not a number of seconds; e.g. 60."
            ) from exc
    if is_stand_in(spec):
        return None
    return LOCAL_TIMEOUT_S if spec.startswith("local") else HOSTED_TIMEOUT_S


def _timeout_opts(spec: str, timeout: float | None) -> dict[str, Any]:
    """Constructor options so each model also stops on its own (and leaves retries to us)."""
    if spec.startswith("local"):
        return {"timeout_s": timeout}
    if spec.startswith(("openai:", "anthropic:")):
        return {"timeout": timeout, "max_retries": 0}
    return {}


def _retries(override: int | None) -> int:
    """Retries per model: explicit, else SWITCHBOARD_MODEL_RETRIES, else 2."""
    if override is not None:
        return int(override)
    raw = os.environ.get("SWITCHBOARD_MODEL_RETRIES", "").strip()
    if not raw:
        return DEFAULT_RETRIES
    if not raw.isdigit():
        raise ModelConfigError(f"SWITCHBOARD_MODEL_RETRIES={raw!r} must be a whole number, e.g. 2.")
    return int(raw)
