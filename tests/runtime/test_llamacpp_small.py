"""The real llama.cpp runtime with SmolLM2-135M: adapter mechanics, not answer quality."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Annotated, Any, Literal

import pytest
from jsonschema import Draft202012Validator
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    AnyMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.tools import tool
from langchain_core.utils.function_calling import convert_to_openai_tool
from langgraph.graph import START, StateGraph
from langgraph.graph.message import add_messages
from langgraph.prebuilt import ToolNode
from pydantic import BaseModel
from typing_extensions import TypedDict

from llm.chatml import render_chatml
from llm.constrained import choice_schema, resolve_tool_choice, tool_specs, tools_instructions
from llm.errors import ModelFileError
from llm.factory import make_model
from llm.llama_runtime import DecodeRequest, decode, reset_cache
from llm.llamacpp_chat import LlamaCppChatModel
from llm.local_files import SMOLLM2_135M, ensure_model, verify_file

pytestmark = pytest.mark.runtime

SYSTEM = SystemMessage("You are a telco support agent. Use the tools to look up account data.")


@tool
def get_bill(month: str) -> str:
    """Get the customer's bill for a month."""
    return f"The bill for {month} is 42.50 EUR."


@tool
def change_plan(plan_name: str, line_number: int) -> str:
    """Move a phone line to another plan."""
    return f"Line {line_number} moves to {plan_name}."


TOOLS = [get_bill, change_plan]


class Intent(BaseModel):
    """The customer's intent."""

    intent: Literal["billing", "plan_change", "tech_support", "other"]
    confident: bool


class Summary(TypedDict):
    """A one-line summary."""

    topic: str
    resolved: bool


class State(TypedDict):
    """Minimal graph state."""

    messages: Annotated[list[AnyMessage], add_messages]


@pytest.fixture(scope="module")
def model() -> LlamaCppChatModel:
    """SmolLM2-135M with a small context (fast to load, shared by the module)."""
    return LlamaCppChatModel(pinned_model="smollm2-135m", n_ctx=2048, max_tokens=96)


def ask(text: str) -> list[AnyMessage]:
    return [SYSTEM, HumanMessage(text)]


def test_forced_tool_choice_returns_tool_calls_valid_against_the_schema(
    model: LlamaCppChatModel,
) -> None:
    reply = model.bind_tools(TOOLS, tool_choice="any").invoke(ask("What is my bill for March?"))
    assert isinstance(reply, AIMessage)
    assert len(reply.tool_calls) == 1
    call = reply.tool_calls[0]
    schemas = {t.name: convert_to_openai_tool(t)["function"]["parameters"] for t in TOOLS}
    assert call["name"] in schemas
    assert not list(Draft202012Validator(schemas[call["name"]]).iter_errors(call["args"]))
    assert call["id"] and call["id"].startswith("call_")


def test_tool_node_runs_the_call_unchanged(model: LlamaCppChatModel) -> None:
    reply = model.bind_tools([get_bill], tool_choice="get_bill").invoke(ask("Bill for May?"))
    graph = StateGraph(State)
    graph.add_node("tools", ToolNode([get_bill]))
    graph.add_edge(START, "tools")
    result = graph.compile().invoke({"messages": [reply]})
    tool_message = result["messages"][-1]
    assert tool_message.tool_call_id == reply.tool_calls[0]["id"]
    assert "42.50 EUR" in tool_message.content


def test_tool_call_ids_are_deterministic(model: LlamaCppChatModel) -> None:
    bound = model.bind_tools(TOOLS, tool_choice="any")
    first = bound.invoke(ask("Change line 2 to the Max plan"))
    second = bound.invoke(ask("Change line 2 to the Max plan"))
    assert first.tool_calls == second.tool_calls


def test_auto_choice_gives_a_tool_call_or_text(model: LlamaCppChatModel) -> None:
    reply = model.bind_tools(TOOLS).invoke(ask("Hello!"))
    assert bool(reply.tool_calls) != bool(reply.text.strip())


def test_structured_output_parses_into_the_pydantic_model(model: LlamaCppChatModel) -> None:
    result = model.with_structured_output(Intent).invoke(ask("I want a cheaper plan"))
    assert isinstance(result, Intent)


def test_structured_output_with_typed_dict_and_raw(model: LlamaCppChatModel) -> None:
    result = model.with_structured_output(Summary, include_raw=True).invoke(ask("My bill is wrong"))
    assert isinstance(result, dict)
    assert result["parsing_error"] is None
    assert set(result["parsed"]) == {"topic", "resolved"}
    assert isinstance(result["parsed"]["resolved"], bool)
    assert result["raw"].response_metadata["prompt_tokens"] > 0


def test_streaming_yields_the_reply_token_by_token(model: LlamaCppChatModel) -> None:
    # Both runs start from a cold cache: a reused prefix re-evaluates the prompt's last token
    # in a batch of one, and llama.cpp's float sums then differ enough to flip a near-tie.
    bound = model.bind_tools(TOOLS, tool_choice="none")
    reset_cache(model.load())
    chunks = list(bound.stream(ask("Say hello to the customer.")))
    texts = [str(c.content) for c in chunks if c.content]
    assert len(texts) > 1
    reset_cache(model.load())
    whole = bound.invoke(ask("Say hello to the customer."))
    assert "".join(texts) == whole.text
    assert chunks[-1].usage_metadata is not None


def test_streaming_a_tool_call_aggregates_to_tool_calls(model: LlamaCppChatModel) -> None:
    chunks = list(model.bind_tools(TOOLS, tool_choice="any").stream(ask("Bill for June?")))
    total: Any = chunks[0]
    for chunk in chunks[1:]:
        total = total + chunk
    assert isinstance(total, AIMessageChunk)
    assert len(total.tool_calls) == 1 and total.tool_calls[0]["name"] in {"get_bill", "change_plan"}


def test_second_call_reuses_the_shared_prefix(model: LlamaCppChatModel) -> None:
    bound = model.bind_tools(TOOLS)
    first = bound.invoke(ask("What is my bill for March?"))
    history = [
        *ask("What is my bill for March?"),
        AIMessage("It is 42.50 EUR."),
        HumanMessage("Thanks"),
    ]
    second = bound.invoke(history)
    meta = second.response_metadata
    assert meta["prefix_reused_tokens"] >= first.response_metadata["prompt_tokens"] - 8
    assert meta["prefix_reused_tokens"] < meta["prompt_tokens"]
    assert second.usage_metadata is not None
    assert (
        second.usage_metadata["input_token_details"]["cache_read"] == meta["prefix_reused_tokens"]
    )
    for key in ("prompt_eval_s", "generation_s", "completion_tokens"):
        assert meta[key] >= 0


def test_the_decoded_tool_call_is_replayed_from_the_kv_cache(model: LlamaCppChatModel) -> None:
    first = model.bind_tools([get_bill], tool_choice="get_bill").invoke(ask("Bill for May?"))
    result = ToolMessage("The bill for May is 42.50 EUR.", tool_call_id=first.tool_calls[0]["id"])
    second = model.bind_tools([get_bill]).invoke([*ask("Bill for May?"), first, result])
    assert (
        second.response_metadata["prefix_reused_tokens"] > first.response_metadata["prompt_tokens"]
    )


def test_truncated_output_is_repaired_never_raised() -> None:
    tiny = LlamaCppChatModel(pinned_model="smollm2-135m", n_ctx=2048, max_tokens=4)
    reply = tiny.bind_tools(TOOLS, tool_choice="any").invoke(ask("Change line 2 to Max"))
    assert isinstance(reply, AIMessage)
    assert reply.text.strip() and not reply.tool_calls
    assert reply.response_metadata["decode_attempts"] == 3
    assert reply.response_metadata["repairs"]


def test_graph_messages_stream_emits_each_token_once() -> None:
    model = make_model("local-small", n_ctx=2048, max_tokens=64)
    bound = model.bind_tools(TOOLS, tool_choice="none")

    def agent(state: State) -> dict[str, Any]:
        return {"messages": [bound.invoke([SYSTEM, *state["messages"]])]}

    graph = StateGraph(State)
    graph.add_node("agent", agent)
    graph.add_edge(START, "agent")
    app = graph.compile()
    events: Any = app.stream(
        {"messages": [HumanMessage("Hi!")]}, stream_mode=["messages", "values"]
    )
    streamed: list[str] = []
    final: Any = None
    for mode, payload in events:  # tokens and the stored reply of the same run
        if mode == "messages" and payload[0].content:
            streamed.append(str(payload[0].content))
        if mode == "values":
            final = payload["messages"][-1]
    assert len(streamed) > 1
    assert "".join(streamed) == final.text


def test_pinned_small_model_is_verified_in_place() -> None:
    path = ensure_model("smollm2-135m", progress=False)
    assert path.name == SMOLLM2_135M.filename
    assert path.stat().st_size == SMOLLM2_135M.size


def test_a_short_copy_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    source = ensure_model("smollm2-135m", progress=False)
    short = tmp_path / "short.gguf"
    with source.open("rb") as src, short.open("wb") as out:
        out.write(src.read(1_000_000))
    with pytest.raises(ModelFileError, match="incomplete or corrupted and was refused"):
        verify_file(short, SMOLLM2_135M, tmp_path, progress=False)


def test_a_corrupted_copy_is_refused_by_its_hash(tmp_path: Path) -> None:
    source = ensure_model("smollm2-135m", progress=False)
    corrupted = tmp_path / "corrupted.gguf"
    shutil.copyfile(source, corrupted)
    with corrupted.open("r+b") as handle:
        handle.seek(50_000_000)
        byte = handle.read(1)
        handle.seek(50_000_000)
        handle.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(ModelFileError, match=f"expected {SMOLLM2_135M.sha256}"):
        verify_file(corrupted, SMOLLM2_135M, tmp_path, progress=False)


def test_token_counts_match_what_the_model_evaluated(model: LlamaCppChatModel) -> None:
    messages = ask("What is my bill for March?")
    reply = model.bind_tools(TOOLS).invoke(messages)
    counted = model.get_num_tokens_from_messages(list(messages), tools=TOOLS)
    assert counted == reply.response_metadata["prompt_tokens"]
    assert model.get_num_tokens("hello world") >= 2


def test_top_k_grammar_sampling_equals_full_vocabulary_masking(model: LlamaCppChatModel) -> None:
    import llama_cpp

    specs = tool_specs([convert_to_openai_tool(t) for t in TOOLS])
    prompt = render_chatml(ask("Change line 3 to the Max plan"), tools_instructions(specs))
    schema = choice_schema(specs, resolve_tool_choice(None, specs))
    loaded = model.load()
    text, _ = decode(loaded, DecodeRequest(prompt, schema, max_tokens=60))
    with loaded.lock:
        llama = loaded.llama
        llama.reset()
        reference: list[int] = []
        grammar = llama_cpp.LlamaGrammar.from_json_schema(json.dumps(schema), verbose=False)
        add_bos = bool(llama._model.add_bos_token())
        tokens = llama.tokenize(prompt.encode(), add_bos=add_bos, special=True)
        for token in llama.generate(tokens, temp=0.0, grammar=grammar):
            if llama_cpp.llama_vocab_is_eog(llama._model.vocab, token) or len(reference) >= 60:
                break
            reference.append(token)
    assert text == llama.detokenize(reference).decode("utf-8")
    assert json.loads(text)["tool"] in {"get_bill", "change_plan", "respond"}
