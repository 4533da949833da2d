"""A chat model that adds a per-call timeout, retries with backoff and a fallback chain."""

from __future__ import annotations

import contextvars
import json
import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from typing import Any, TypeVar

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.messages.tool import tool_call_chunk
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable, RunnableConfig, RunnableLambda
from langchain_core.tools import BaseTool
from langsmith.run_helpers import tracing_context
from pydantic import BaseModel, ConfigDict, PrivateAttr

from llm.errors import ModelUnavailableError

T = TypeVar("T")
NOSTREAM_TAG = "nostream"
"""LangGraph's tag for runs whose tokens must not be streamed (the wrapper streams them)."""

_BOUND_CACHE_MAX = 64
"""Tool-bound copies one model keeps (agents x tool subsets x tool choices)."""

_TRANSIENT_NAMES = (
    "RateLimit",
    "Timeout",
    "Connection",
    "ConnectError",
    "InternalServer",
    "ServiceUnavailable",
    "Overloaded",
    "RemoteProtocol",
)


class ResilientChatModel(BaseChatModel):
    """Try each model in order; retry transient errors with exponential backoff; time out.

    ``bind_tools`` and ``with_structured_output`` are applied to every model in the chain, so
    the wrapper is a drop-in ``BaseChatModel``. When every model fails it raises
    ``ModelUnavailableError`` listing each failure.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    models: list[BaseChatModel]
    labels: list[str]
    timeouts: list[float | None]
    max_retries: int = 2
    backoff_s: float = 0.5
    backoff_max_s: float = 8.0

    _runnables: list[Runnable[Any, Any]] | None = PrivateAttr(default=None)
    _bound: dict[tuple[Any, ...], tuple[tuple[Any, ...], ResilientChatModel]] = PrivateAttr(
        default_factory=dict
    )
    """Tool-bound copies by (tool ids, tool choice, options), kept with their tools."""

    @property
    def _llm_type(self) -> str:
        return "switchboard-resilient"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"chain": list(self.labels), "timeouts": list(self.timeouts)}

    @property
    def primary(self) -> BaseChatModel:
        """The first model of the chain."""
        return self.models[0]

    def get_num_tokens(self, text: str) -> int:
        """Token count by the primary model's tokenizer."""
        return self.primary.get_num_tokens(text)

    def get_num_tokens_from_messages(
        self, messages: list[BaseMessage], tools: Sequence[Any] | None = None
    ) -> int:
        """Prompt tokens by the primary model's tokenizer."""
        return self.primary.get_num_tokens_from_messages(messages, tools)

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: Any = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Bind the tools to every model of the chain (errors surface now, not per call).

        The same tools and options give the same copy again: agents bind on every step, and
        a fresh copy would convert every tool schema and re-serialize the model each time.
        """
        key = (tuple(map(id, tools)), repr(tool_choice), repr(sorted(kwargs.items())))
        cached = self._bound.get(key)
        if cached is not None and all(a is b for a, b in zip(cached[0], tools, strict=True)):
            return cached[1]
        bound = [m.bind_tools(tools, tool_choice=tool_choice, **kwargs) for m in self.models]
        copy = self.model_copy()
        copy._runnables = bound
        copy._bound = {}
        if len(self._bound) >= _BOUND_CACHE_MAX:
            self._bound.clear()
        self._bound[key] = (tuple(tools), copy)
        return copy

    def with_structured_output(
        self, schema: dict[str, Any] | type, *, include_raw: bool = False, **kwargs: Any
    ) -> Runnable[LanguageModelInput, dict[str, Any] | BaseModel]:
        """Structured output from the first model that succeeds."""
        chain = [
            m.with_structured_output(schema, include_raw=include_raw, **kwargs) for m in self.models
        ]

        def invoke(value: Any, config: RunnableConfig) -> Any:
            inner = _inner_config(config.get("callbacks"))
            return self._first_success(chain, lambda runnable: runnable.invoke(value, inner))

        return RunnableLambda(invoke, name="resilient_structured_output")

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        message = self._first_success(
            self._chain(), lambda r: generate_once(r, messages, stop, kwargs)
        )
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        failures: list[str] = []
        for runnable, label, timeout in zip(self._chain(), self.labels, self.timeouts, strict=True):
            for attempt in range(self.max_retries + 1):
                stream = _TimedStream(
                    partial(stream_once, runnable, messages, stop, kwargs), timeout
                )
                try:
                    first = stream.next_chunk()
                except Exception as exc:
                    failures.append(f"{label}: {_describe(exc)}")
                    if not self._should_retry(exc, attempt):
                        break
                    continue
                yield from _forward(first, stream, label, run_manager)
                return
        raise _unavailable(failures)

    def _chain(self) -> list[Runnable[Any, Any]]:
        """The runnables to try: the tool-bound ones if tools were bound, else the models."""
        return list(self._runnables) if self._runnables is not None else list(self.models)

    def _first_success(self, chain: Sequence[Runnable[Any, Any]], call: Callable[[Any], T]) -> T:
        """Run call on each runnable in order, with timeout and retries; raise if all fail."""
        failures: list[str] = []
        for runnable, label, timeout in zip(chain, self.labels, self.timeouts, strict=True):
            for attempt in range(self.max_retries + 1):
                try:
                    return call_with_timeout(partial(call, runnable), timeout)
                except Exception as exc:
                    failures.append(f"{label}: {_describe(exc)}")
                    if not self._should_retry(exc, attempt):
                        break
        raise _unavailable(failures)

    def _should_retry(self, exc: BaseException, attempt: int) -> bool:
        """True (after sleeping the backoff) if exc is transient and retries remain."""
        if attempt >= self.max_retries or not is_transient(exc):
            return False
        delay = min(self.backoff_max_s, self.backoff_s * (2**attempt))
        if delay > 0:
            time.sleep(delay)
        return True


def generate_once(
    runnable: Runnable[Any, Any],
    messages: list[BaseMessage],
    stop: list[str] | None,
    kwargs: dict[str, Any],
) -> AIMessage:
    """One call of an inner model through its public ``invoke`` (so its cache and rate limiter
    apply); the resilient run reports it, so the inner call has no callbacks or trace."""
    with tracing_context(enabled=False):
        return _as_ai_message(runnable.invoke(messages, _quiet_config(), stop=stop, **kwargs))


def stream_once(
    runnable: Runnable[Any, Any],
    messages: list[BaseMessage],
    stop: list[str] | None,
    kwargs: dict[str, Any],
) -> Iterator[AIMessageChunk]:
    """Stream one call of an inner model through its public ``stream`` (a model that cannot
    stream yields its whole reply, tool calls included, as one final chunk)."""
    with tracing_context(enabled=False):
        for item in runnable.stream(messages, _quiet_config(), stop=stop, **kwargs):
            if isinstance(item, AIMessageChunk):
                yield _as_chunk(item)
            else:
                yield message_to_chunk(_as_ai_message(item))


def message_to_chunk(message: BaseMessage) -> AIMessageChunk:
    """A whole reply as one final stream chunk (tool calls as tool-call chunks)."""
    calls = [
        tool_call_chunk(name=call["name"], args=json.dumps(call["args"]), id=call["id"], index=i)
        for i, call in enumerate(getattr(message, "tool_calls", []))
    ]
    return AIMessageChunk(
        content=message.content,
        tool_call_chunks=calls,
        response_metadata=message.response_metadata,
        usage_metadata=getattr(message, "usage_metadata", None),
        chunk_position="last",
    )


def _as_ai_message(message: Any) -> AIMessage:
    """Check that an inner model returned an AIMessage."""
    if not isinstance(message, AIMessage):
        raise TypeError(f"the model returned {type(message).__name__}, not an AIMessage")
    return message


def is_transient(exc: BaseException) -> bool:
    """Errors worth retrying: timeouts, connection problems, rate limits, 5xx responses."""
    if isinstance(exc, TimeoutError | ConnectionError):
        return True
    status = getattr(exc, "status_code", None)
    if isinstance(status, int) and (status == 429 or status >= 500):
        return True
    names = [cls.__name__ for cls in type(exc).__mro__]
    return any(marker in name for name in names for marker in _TRANSIENT_NAMES)


def call_with_timeout(fn: Callable[[], T], timeout: float | None) -> T:
    """Run fn, raising TimeoutError if it takes longer than timeout seconds (None = no limit).

    The call runs in a daemon thread with the caller's context variables; a call that times
    out is abandoned, not killed (the local model also stops itself at its own deadline).
    """
    if timeout is None:
        return fn()
    results: queue.Queue[tuple[bool, Any]] = queue.Queue(maxsize=1)
    context = contextvars.copy_context()

    def run() -> None:
        try:
            results.put((True, context.run(fn)))
        except BaseException as exc:  # handed to the calling thread
            results.put((False, exc))

    threading.Thread(target=run, name="model-call", daemon=True).start()
    try:
        ok, value = results.get(timeout=timeout)
    except queue.Empty:
        raise TimeoutError(f"the model call took longer than {timeout:g}s") from None
    if not ok:
        raise value
    return value


class _TimedStream:
    """Iterate a stream in a worker thread; each chunk must arrive within the timeout.

    Without a timeout there is nothing to watch: the stream is read in the caller's thread.
    """

    _DONE = object()

    def __init__(self, start: Callable[[], Iterator[Any]], timeout: float | None) -> None:
        self._timeout = timeout
        self._items: queue.Queue[tuple[str, Any]] = queue.Queue()
        self._direct: Iterator[Any] | None = None
        if timeout is None:
            self._direct = start()
            return
        context = contextvars.copy_context()
        threading.Thread(
            target=context.run, args=(self._pump, start), name="model-stream", daemon=True
        ).start()

    def _pump(self, start: Callable[[], Iterator[Any]]) -> None:
        """Worker: move chunks (then an end marker or the error) onto the queue."""
        try:
            for item in start():
                self._items.put(("item", item))
            self._items.put(("end", self._DONE))
        except BaseException as exc:  # handed to the consuming thread
            self._items.put(("error", exc))

    def next_chunk(self) -> Any:
        """The next chunk, _DONE at the end; raises the stream's error or TimeoutError."""
        if self._direct is not None:
            return next(self._direct, self._DONE)
        try:
            kind, value = self._items.get(timeout=self._timeout)
        except queue.Empty:
            raise TimeoutError(f"no model output for {self._timeout:g}s") from None
        if kind == "error":
            raise value
        return value


def _forward(
    first: Any, stream: _TimedStream, label: str, run_manager: CallbackManagerForLLMRun | None
) -> Iterator[ChatGenerationChunk]:
    """Yield the chunks of a stream that has started; a failure now is final."""
    item = first
    while item is not _TimedStream._DONE:
        chunk = ChatGenerationChunk(message=item)
        if run_manager is not None and chunk.text:
            run_manager.on_llm_new_token(chunk.text, chunk=chunk)
        yield chunk
        try:
            item = stream.next_chunk()
        except Exception as exc:
            raise ModelUnavailableError(
                f"{label} failed in the middle of its reply: {_describe(exc)}", [label]
            ) from exc


def _as_chunk(item: Any) -> AIMessageChunk:
    """An inner stream item as an AIMessageChunk without the inner run's id."""
    if isinstance(item, AIMessageChunk):
        return item.model_copy(update={"id": None})
    return AIMessageChunk(content=str(getattr(item, "content", item)))


def _quiet_config() -> RunnableConfig:
    """Config for an inner model call: no callbacks of its own, never streamed by LangGraph."""
    return RunnableConfig(callbacks=[], tags=[NOSTREAM_TAG])


def _inner_config(callbacks: Any) -> RunnableConfig:
    """Config for an inner runnable call: never streamed twice by LangGraph."""
    return RunnableConfig(callbacks=callbacks, tags=[NOSTREAM_TAG])


def _describe(exc: BaseException) -> str:
    """One-line description of an error."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text[:300]}" if text else type(exc).__name__


def _unavailable(failures: list[str]) -> ModelUnavailableError:
    """The error raised when no model in the chain could answer."""
    detail = "; ".join(failures) if failures else "no model configured"
    return ModelUnavailableError(f"no model could answer ({detail})", failures)
