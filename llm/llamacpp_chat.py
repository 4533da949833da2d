"""A LangChain chat model over llama-cpp-python with JSON-schema-constrained tools and output."""

from __future__ import annotations

import hashlib
import json
import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from operator import itemgetter
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.exceptions import OutputParserException
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.messages.ai import UsageMetadata
from langchain_core.messages.tool import tool_call_chunk
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable, RunnableLambda, RunnableMap, RunnablePassthrough
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_json_schema, convert_to_openai_tool
from langchain_core.utils.json_schema import dereference_refs
from pydantic import BaseModel, Field, PrivateAttr

from llm.chatml import RAW_KEY, render_chatml
from llm.constrained import (
    RESPOND,
    Choice,
    MalformedOutput,
    ReplyStreamer,
    ToolChoice,
    ToolSpec,
    choice_schema,
    parse_choice,
    resolve_tool_choice,
    schema_instructions,
    tool_specs,
    tools_instructions,
    validate_json,
)
from llm.errors import ModelConfigError
from llm.llama_runtime import (
    DecodeRequest,
    DecodeStats,
    LoadedLlama,
    count_tokens,
    decode,
    env_ctx,
    env_threads,
    load_llama,
)
from llm.local_files import check_gguf, ensure_model

Emit = Callable[[str], None]
FALLBACK_REPLY = "Sorry, I could not put an answer together just now. Could you rephrase that?"


class LlamaCppChatModel(BaseChatModel):
    """Chat model running a GGUF file in-process; tools and structured output are constrained.

    ``bind_tools`` turns every call into one grammar-constrained decode over
    ``anyOf`` {tool call per bound tool} + {"tool": "respond", "text": ...}; the result is an
    ``AIMessage`` with ``tool_calls`` (ToolNode-ready) or with text. Each reply carries
    ``prompt_tokens``, ``completion_tokens``, ``prefix_reused_tokens``, ``prompt_eval_s`` and
    ``generation_s`` in ``response_metadata`` (and standard ``usage_metadata``).
    """

    model_path: str | None = None
    """An explicit GGUF file (``local:/path.gguf``)."""
    pinned_model: str | None = None
    """A key of ``llm.local_files.PINNED_MODELS``, assembled and verified on first use."""
    model_name: str = "local"
    n_ctx: int = Field(default_factory=env_ctx)
    n_threads: int = Field(default_factory=env_threads)
    max_tokens: int = 512
    temperature: float = 0.0
    repeat_penalty: float = 1.0
    seed: int = 0
    timeout_s: float | None = None
    """Cooperative per-call deadline, checked between generated tokens."""
    max_attempts: int = 2
    """Constrained decodes tried before falling back to a plain reply."""
    instance: str = ""
    """Non-empty: use a separate llama.cpp context (own KV cache, own memory) for this model."""

    _resolved_path: str | None = PrivateAttr(default=None)

    @property
    def _llm_type(self) -> str:
        return "switchboard-llamacpp"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {
            "model_name": self.model_name,
            "model_path": self.model_path,
            "pinned_model": self.pinned_model,
            "n_ctx": self.n_ctx,
            "n_threads": self.n_threads,
            "temperature": self.temperature,
        }

    def resolve_path(self) -> str:
        """The GGUF path, assembling and verifying a pinned model on first use."""
        if self._resolved_path is None:
            if self.model_path:
                path = check_gguf(Path(self.model_path).expanduser())
            elif self.pinned_model:
                path = ensure_model(self.pinned_model)
            else:
                raise ModelConfigError("LlamaCppChatModel needs model_path or pinned_model.")
            self._resolved_path = str(path)
        return self._resolved_path

    def load(self) -> LoadedLlama:
        """The shared loaded model (loading it once per process)."""
        return load_llama(self.resolve_path(), self.n_ctx, self.n_threads, self.instance)

    def get_num_tokens(self, text: str) -> int:
        """Exact token count with the model's own tokenizer (loads the model)."""
        return count_tokens(self.load(), text)

    def get_num_tokens_from_messages(
        self, messages: list[BaseMessage], tools: Sequence[Any] | None = None
    ) -> int:
        """Tokens of the rendered ChatML prompt (with tool instructions when tools are given)."""
        specs = tool_specs([convert_to_openai_tool(t) for t in tools or []])
        return self.get_num_tokens(
            render_chatml(messages, tools_instructions(specs) if specs else "")
        )

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: Any = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Bind tools; every call then makes one constrained decision (tool call or reply)."""
        formatted = [convert_to_openai_tool(tool) for tool in tools]
        resolve_tool_choice(tool_choice, tool_specs(formatted))
        return self.bind(tools=formatted, tool_choice=tool_choice, **kwargs)

    def with_structured_output(
        self, schema: dict[str, Any] | type, *, include_raw: bool = False, **kwargs: Any
    ) -> Runnable[LanguageModelInput, dict[str, Any] | BaseModel]:
        """Constrain output to a JSON schema (pydantic model, TypedDict or JSON schema)."""
        json_schema = json_schema_of(schema)
        bound = self.bind(
            response_schema=json_schema,
            ls_structured_output_format={
                "kwargs": {"method": "json_schema"},
                "schema": json_schema,
            },
        )
        parser = RunnableLambda(partial(parse_structured, schema=schema))
        if not include_raw:
            return bound | parser
        parse_raw = RunnablePassthrough.assign(
            parsed=itemgetter("raw") | parser, parsing_error=lambda _: None
        )
        on_error = RunnablePassthrough.assign(parsed=lambda _: None)
        return RunnableMap(raw=bound) | parse_raw.with_fallbacks(
            [on_error], exception_key="parsing_error"
        )

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        message = self.respond(messages, kwargs, emit=None)
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        events: queue.Queue[tuple[str, Any]] = queue.Queue()

        def work() -> None:
            try:
                events.put(
                    ("final", self.respond(messages, kwargs, emit=partial(_put_text, events)))
                )
            except BaseException as exc:  # handed to the consuming thread
                events.put(("error", exc))

        threading.Thread(target=work, name="llamacpp-decode", daemon=True).start()
        streamed = ""
        while True:
            kind, value = events.get()
            if kind == "error":
                raise value
            if kind == "final":
                yield _final_chunk(value, streamed)
                return
            streamed += value
            chunk = ChatGenerationChunk(message=AIMessageChunk(content=value))
            if run_manager is not None:
                run_manager.on_llm_new_token(value, chunk=chunk)
            yield chunk

    def respond(
        self, messages: Sequence[BaseMessage], options: dict[str, Any], emit: Emit | None
    ) -> AIMessage:
        """Decode one reply in the mode the options select: structured, tools or plain text."""
        loaded = self.load()
        deadline = time.perf_counter() + self.timeout_s if self.timeout_s else None
        schema = options.get("response_schema")
        if schema is not None:
            return self._structured(loaded, messages, schema, emit, deadline)
        tools = options.get("tools")
        if tools:
            specs = tool_specs(tools)
            choice = resolve_tool_choice(options.get("tool_choice"), specs)
            return self._decide(loaded, messages, specs, choice, emit, deadline)
        return self._plain(loaded, messages, emit, deadline)

    def _request(
        self, prompt: str, schema: dict[str, Any] | None, attempt: int, deadline: float | None
    ) -> DecodeRequest:
        """Sampling for an attempt: the configured settings first, then a seeded retry."""
        temperature = self.temperature if attempt == 0 else max(self.temperature, 0.7)
        return DecodeRequest(
            prompt=prompt,
            schema=schema,
            max_tokens=self.max_tokens,
            temperature=temperature,
            repeat_penalty=self.repeat_penalty,
            seed=self.seed + attempt,
            deadline=deadline,
        )

    def _plain(
        self,
        loaded: LoadedLlama,
        messages: Sequence[BaseMessage],
        emit: Emit | None,
        deadline: float | None,
    ) -> AIMessage:
        """Unconstrained text reply."""
        prompt = render_chatml(messages)
        text, stats = decode(loaded, self._request(prompt, None, 0, deadline), emit)
        return self._message(text, [], [stats], [])

    def _decide(
        self,
        loaded: LoadedLlama,
        messages: Sequence[BaseMessage],
        specs: list[ToolSpec],
        choice: ToolChoice,
        emit: Emit | None,
        deadline: float | None,
    ) -> AIMessage:
        """One constrained decision, validated; retried, then a plain reply as the last resort."""
        prompt = render_chatml(messages, tools_instructions(specs), replay_raw=True)
        schema = choice_schema(specs, choice)
        attempts: list[DecodeStats] = []
        problems: list[str] = []
        for attempt in range(self.max_attempts):
            raw, stats = decode(
                loaded, self._request(prompt, schema, attempt, deadline), _reply_emitter(emit)
            )
            attempts.append(stats)
            try:
                parsed = parse_choice(raw, specs, choice)
                return self._choice_message(parsed, prompt, attempts, problems, raw)
            except MalformedOutput as exc:
                problems.append(str(exc))
        reply_only = ToolChoice((), allow_respond=True)
        raw, stats = decode(
            loaded,
            self._request(prompt, choice_schema([], reply_only), 0, deadline),
            _reply_emitter(emit),
        )
        attempts.append(stats)
        try:
            fallback = parse_choice(raw, [], reply_only)
        except MalformedOutput as exc:
            problems.append(str(exc))
            fallback = Choice(RESPOND, {}, FALLBACK_REPLY)
        return self._choice_message(fallback, prompt, attempts, problems, raw)

    def _structured(
        self,
        loaded: LoadedLlama,
        messages: Sequence[BaseMessage],
        schema: dict[str, Any],
        emit: Emit | None,
        deadline: float | None,
    ) -> AIMessage:
        """JSON constrained to schema, validated and retried once; the last raw text otherwise."""
        prompt = render_chatml(messages, schema_instructions(schema))
        attempts: list[DecodeStats] = []
        problems: list[str] = []
        raw = ""
        for attempt in range(self.max_attempts):
            raw, stats = decode(
                loaded,
                self._request(prompt, schema, attempt, deadline),
                emit if attempt == 0 else None,
            )
            attempts.append(stats)
            try:
                validate_json(raw, schema)
                break
            except MalformedOutput as exc:
                problems.append(str(exc))
        return self._message(raw, [], attempts, problems)

    def _choice_message(
        self,
        choice: Choice,
        prompt: str,
        attempts: list[DecodeStats],
        problems: list[str],
        raw: str = "",
    ) -> AIMessage:
        """An AIMessage for a parsed decision: text, or one tool call with a deterministic id."""
        replay = raw if raw_matches(raw, choice) else None
        if choice.tool == RESPOND:
            return self._message(choice.text, [], attempts, problems, replay)
        call = {
            "name": choice.tool,
            "args": choice.args,
            "id": tool_call_id(prompt, choice, 0),
            "type": "tool_call",
        }
        return self._message("", [call], attempts, problems, replay)

    def _message(
        self,
        text: str,
        calls: list[dict[str, Any]],
        attempts: list[DecodeStats],
        problems: list[str],
        raw: str | None = None,
    ) -> AIMessage:
        """Attach per-call measurements (and the exact decoded text, for replay) to the reply."""
        first = attempts[0]
        completion = sum(s.completion_tokens for s in attempts)
        metadata = {
            "model_name": self.model_name,
            "model_provider": "llamacpp",
            "finish_reason": attempts[-1].finish_reason,
            "prompt_tokens": first.prompt_tokens,
            "completion_tokens": completion,
            "prefix_reused_tokens": first.prefix_reused_tokens,
            "prompt_eval_s": round(sum(s.prompt_eval_s for s in attempts), 4),
            "generation_s": round(sum(s.generation_s for s in attempts), 4),
            "decode_attempts": len(attempts),
            "repairs": problems,
        }
        usage = UsageMetadata(
            input_tokens=first.prompt_tokens,
            output_tokens=completion,
            total_tokens=first.prompt_tokens + completion,
            input_token_details={"cache_read": first.prefix_reused_tokens},
        )
        return AIMessage(
            content=text,
            tool_calls=calls,
            additional_kwargs={RAW_KEY: raw} if raw else {},
            response_metadata=metadata,
            usage_metadata=usage,
        )


def raw_matches(raw: str, choice: Choice) -> bool:
    """True if raw is complete JSON saying exactly what choice says (safe to replay as is)."""
    try:
        obj = json.loads(raw)
    except ValueError:
        return False
    if not isinstance(obj, dict):
        return False
    if choice.tool == RESPOND:
        return obj.get("tool") == RESPOND and str(obj.get("text", "")).lstrip() == choice.text
    return obj == {"tool": choice.tool, "args": choice.args}


def tool_call_id(prompt: str, choice: Choice, index: int) -> str:
    """A deterministic tool-call id: the same prompt, call and position give the same id."""
    call = json.dumps([choice.tool, choice.args], sort_keys=True, ensure_ascii=False)
    digest = hashlib.sha256(f"{prompt}\x00{call}\x00{index}".encode())
    return "call_" + digest.hexdigest()[:24]


def json_schema_of(schema: dict[str, Any] | type) -> dict[str, Any]:
    """A dereferenced JSON schema for a pydantic model, TypedDict, tool dict or JSON schema."""
    if isinstance(schema, dict) and _is_plain_json_schema(schema):
        result = dereference_refs(dict(schema))
    else:
        result = convert_to_json_schema(schema)
    result.pop("$defs", None)
    result.pop("definitions", None)
    return dict(result)


def _is_plain_json_schema(schema: dict[str, Any]) -> bool:
    """True for a JSON schema (as opposed to an OpenAI tool/function dict)."""
    keys = schema.keys()
    return not ({"function", "parameters"} & keys) and bool(
        {"properties", "type", "anyOf", "oneOf"} & keys
    )


def parse_structured(message: AIMessage, schema: dict[str, Any] | type) -> Any:
    """Parse a structured reply into the schema's pydantic model, or a dict."""
    try:
        value = json.loads(message.text)
        if isinstance(schema, type) and issubclass(schema, BaseModel):
            return schema.model_validate(value)
        return value
    except ValueError as exc:
        raise OutputParserException(
            f"structured output did not parse: {exc}", llm_output=message.text
        ) from exc


def _reply_emitter(emit: Emit | None) -> Emit | None:
    """Wrap emit so that only the reply text of a constrained decision is streamed."""
    if emit is None:
        return None
    streamer = ReplyStreamer()
    started = False

    def feed(piece: str) -> None:
        nonlocal started
        text = streamer.feed(piece)
        if not started:
            text = text.lstrip()
            started = bool(text)
        if text:
            emit(text)

    return feed


def _put_text(events: queue.Queue[tuple[str, Any]], text: str) -> None:
    """Queue one streamed text piece."""
    events.put(("text", text))


def _final_chunk(message: AIMessage, streamed: str) -> ChatGenerationChunk:
    """The last stream chunk: unstreamed text, tool-call chunks and the call's measurements."""
    text = message.text
    rest = text[len(streamed) :] if text.startswith(streamed) else ""
    calls = [
        tool_call_chunk(name=call["name"], args=json.dumps(call["args"]), id=call["id"], index=i)
        for i, call in enumerate(message.tool_calls)
    ]
    chunk = AIMessageChunk(
        content=rest,
        tool_call_chunks=calls,
        additional_kwargs=message.additional_kwargs,
        response_metadata=message.response_metadata,
        usage_metadata=message.usage_metadata,
        chunk_position="last",
    )
    return ChatGenerationChunk(message=chunk)
