"""Model factory: spec parsing, default selection from the environment, fix-it error messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from llm import factory
from llm.errors import ModelConfigError
from llm.factory import make_model, resolve_spec
from llm.llamacpp_chat import LlamaCppChatModel
from llm.resilience import ResilientChatModel

KEYS = ("SWITCHBOARD_MODEL", "OPENAI_API_KEY", "ANTHROPIC_API_KEY", "SWITCHBOARD_FALLBACK_MODELS")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No model-related variables leak in from the developer's shell."""
    for key in (*KEYS, "SWITCHBOARD_MODEL_TIMEOUT", "SWITCHBOARD_MODEL_RETRIES"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.delenv("SWITCHBOARD_LOCAL_THREADS", raising=False)
    monkeypatch.delenv("SWITCHBOARD_LOCAL_CTX", raising=False)


@pytest.mark.parametrize(
    ("spec", "env", "expected"),
    [
        ("scripted", {"SWITCHBOARD_MODEL": "local", "OPENAI_API_KEY": "k"}, "scripted"),
        (None, {"SWITCHBOARD_MODEL": "ollama:qwen2.5", "OPENAI_API_KEY": "k"}, "ollama:qwen2.5"),
        ("", {"OPENAI_API_KEY": "k", "ANTHROPIC_API_KEY": "k"}, "openai:gpt-4o-mini"),
        (None, {"ANTHROPIC_API_KEY": "k"}, factory.DEFAULT_ANTHROPIC),
        (None, {"OPENAI_API_KEY": "  "}, "local"),
        (None, {}, "local"),
        ("  local-small ", {}, "local-small"),
    ],
)
def test_resolve_spec_picks_explicit_then_env_then_keys_then_local(
    spec: str | None, env: dict[str, str], expected: str
) -> None:
    assert resolve_spec(spec, env) == expected


def test_default_without_keys_is_the_embedded_model() -> None:
    model = make_model()
    assert isinstance(model, ResilientChatModel)
    assert model.labels == ["local"]
    assert isinstance(model.primary, LlamaCppChatModel)
    assert model.primary.pinned_model == "qwen2.5-coder-1.5b"


def test_local_variants_map_to_pinned_models() -> None:
    small = make_model("local-small", resilient=False)
    half = make_model("local-0.5b", resilient=False)
    assert isinstance(small, LlamaCppChatModel) and small.pinned_model == "smollm2-135m"
    assert isinstance(half, LlamaCppChatModel) and half.pinned_model == "qwen2.5-coder-0.5b"


def test_local_threads_and_context_come_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SWITCHBOARD_LOCAL_THREADS", "3")
    monkeypatch.setenv("SWITCHBOARD_LOCAL_CTX", "4096")
    model = make_model("local-small", resilient=False)
    assert isinstance(model, LlamaCppChatModel)
    assert (model.n_threads, model.n_ctx) == (3, 4096)


def test_bad_thread_count_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SWITCHBOARD_LOCAL_THREADS", "many")
    with pytest.raises(ModelConfigError, match="SWITCHBOARD_LOCAL_THREADS"):
        make_model("local-small")


def test_local_path_must_exist(tmp_path: Path) -> None:
    with pytest.raises(ModelConfigError, match="does not exist"):
        make_model(f"local:{tmp_path / 'missing.gguf'}")


def test_local_path_must_be_gguf(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.gguf"
    bogus.write_text("hello")
    with pytest.raises(ModelConfigError, match="not a GGUF"):
        make_model(f"local:{bogus}")


def test_local_path_to_a_gguf_is_accepted(tmp_path: Path) -> None:
    fake = tmp_path / "tiny.gguf"
    fake.write_bytes(b"GGUF" + bytes(16))
    model = make_model(f"local:{fake}", resilient=False)
    assert isinstance(model, LlamaCppChatModel)
    assert model.model_path == str(fake) and model.model_name == "local:tiny.gguf"


def test_empty_local_path_explains_the_form() -> None:
    with pytest.raises(ModelConfigError, match=r"local:/path/to/model\.gguf"):
        make_model("local:")


def test_unknown_spec_lists_valid_forms() -> None:
    with pytest.raises(ModelConfigError) as info:
        make_model("gemini:pro")
    message = str(info.value)
    assert "gemini:pro" in message
    for form in ("scripted", "local:/path/to/model.gguf", "openai:<model>", "ollama:<model>"):
        assert form in message


def test_provider_without_model_name() -> None:
    with pytest.raises(ModelConfigError, match="names no model"):
        make_model("openai:")


def test_missing_openai_key_names_the_variable() -> None:
    with pytest.raises(ModelConfigError, match="OPENAI_API_KEY"):
        make_model("openai:gpt-4o-mini")


def test_missing_integration_package_names_the_install_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    real_find_spec = factory.importlib.util.find_spec

    def without_anthropic(name: str, *args: object) -> object:
        return None if name == "langchain_anthropic" else real_find_spec(name)

    monkeypatch.setattr(factory.importlib.util, "find_spec", without_anthropic)
    with pytest.raises(ModelConfigError, match=r"langchain-anthropic.*uv sync --extra anthropic"):
        make_model("anthropic:claude-haiku-4-5")


def test_openai_model_is_built_with_our_timeout_and_no_inner_retries(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-used")
    model = make_model()
    assert isinstance(model, ResilientChatModel)
    assert model.labels == ["openai:gpt-4o-mini"]
    assert model.timeouts == [factory.HOSTED_TIMEOUT_S]
    inner = model.primary
    assert type(inner).__name__ == "ChatOpenAI"
    assert getattr(inner, "max_retries", None) == 0
    assert getattr(inner, "model_name", None) == "gpt-4o-mini"


def test_scripted_spec_builds_the_scripted_model_without_timeout() -> None:
    model = make_model("scripted")
    assert isinstance(model, ResilientChatModel)
    assert type(model.primary).__name__ == "ScriptedChatModel"
    assert model.timeouts == [None]


def test_fallbacks_come_from_env_and_skip_the_primary(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SWITCHBOARD_FALLBACK_MODELS", " scripted , local-small,scripted")
    model = make_model("scripted")
    assert isinstance(model, ResilientChatModel)
    assert model.labels == ["scripted", "local-small"]
    assert model.timeouts == [None, factory.LOCAL_TIMEOUT_S]


def test_a_misconfigured_fallback_fails_at_construction(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SWITCHBOARD_FALLBACK_MODELS", "openai:gpt-4o-mini")
    with pytest.raises(ModelConfigError, match="OPENAI_API_KEY"):
        make_model("scripted")


def test_timeout_and_retries_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SWITCHBOARD_MODEL_TIMEOUT", "12.5")
    monkeypatch.setenv("SWITCHBOARD_MODEL_RETRIES", "4")
    model = make_model("local-small")
    assert isinstance(model, ResilientChatModel)
    assert model.timeouts == [12.5] and model.max_retries == 4
    assert isinstance(model.primary, LlamaCppChatModel) and model.primary.timeout_s == 12.5


def test_bad_timeout_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SWITCHBOARD_MODEL_TIMEOUT", "soon")
    with pytest.raises(ModelConfigError, match="SWITCHBOARD_MODEL_TIMEOUT"):
        make_model("scripted")


def test_every_model_supports_tools_and_structured_output() -> None:
    model = make_model("scripted")
    assert model.bind_tools([]) is not None
    assert model.with_structured_output({"type": "object", "properties": {}}) is not None
