"""Resilience wrapper: retries on transient errors, fallbacks, timeouts, tools pass through."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable, RunnableLambda
from langchain_core.tools import tool
from pydantic import BaseModel, ConfigDict

from llm.errors import ModelUnavailableError
from llm.resilience import ResilientChatModel, call_with_timeout, is_transient


class RateLimitError(Exception):
    """Named like a provider's rate-limit error."""


class FakeModel(BaseChatModel):
    """Replies from a script of outcomes (exceptions are raised); records what it was asked."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    outcomes: list[Any]
    calls: list[dict[str, Any]]
    block: threading.Event | None = None

    @property
    def _llm_type(self) -> str:
        return "fake"

    def bind_tools(
        self, tools: Sequence[Any], *, tool_choice: Any = None, **kwargs: Any
    ) -> Runnable[LanguageModelInput, AIMessage]:
        return self.bind(tools=[t.name for t in tools], tool_choice=tool_choice)

    def with_structured_output(
        self, schema: Any, *, include_raw: bool = False, **kwargs: Any
    ) -> Runnable[LanguageModelInput, Any]:
        def run(value: Any) -> Any:
            return {"text": self._next({}).text}

        return RunnableLambda(run)

    def _next(self, kwargs: dict[str, Any]) -> AIMessage:
        self.calls.append(kwargs)
        if self.block is not None:
            self.block.wait(5)
        outcome = self.outcomes.pop(0) if len(self.outcomes) > 1 else self.outcomes[0]
        if isinstance(outcome, BaseException):
            raise outcome
        return AIMessage(content=outcome)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=self._next(kwargs))])


class StreamingFake(FakeModel):
    """Streams its reply word by word."""

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        text = self._next(kwargs).text
        for word in text.split(" "):
            yield ChatGenerationChunk(message=AIMessageChunk(content=word + " "))


def fake(*outcomes: Any, cls: type[FakeModel] = FakeModel, **extra: Any) -> FakeModel:
    return cls(outcomes=list(outcomes), calls=[], **extra)


def chain(*models: BaseChatModel, timeouts: list[float | None] | None = None) -> ResilientChatModel:
    return ResilientChatModel(
        models=list(models),
        labels=[f"m{i}" for i in range(len(models))],
        timeouts=timeouts or [None] * len(models),
        max_retries=2,
        backoff_s=0.0,
    )


def test_transient_error_is_retried_then_succeeds() -> None:
    flaky = fake(ConnectionError("reset"), "hello")
    reply = chain(flaky).invoke([HumanMessage("hi")])
    assert reply.content == "hello"
    assert len(flaky.calls) == 2


def test_non_transient_error_goes_straight_to_the_fallback() -> None:
    broken = fake(ValueError("bad request"))
    backup = fake("from backup")
    reply = chain(broken, backup).invoke([HumanMessage("hi")])
    assert reply.content == "from backup"
    assert len(broken.calls) == 1


def test_every_model_failing_raises_model_unavailable_with_each_failure() -> None:
    first = fake(RateLimitError("slow down"))
    second = fake(RuntimeError("boom"))
    with pytest.raises(ModelUnavailableError) as info:
        chain(first, second).invoke([HumanMessage("hi")])
    assert len(first.calls) == 3  # one call + two retries
    assert len(second.calls) == 1
    assert info.value.failures[-1] == "m1: RuntimeError: boom"
    assert "m0: RateLimitError: slow down" in str(info.value)


def test_timeout_moves_on_to_the_fallback() -> None:
    gate = threading.Event()
    stuck = fake("too late", block=gate)
    backup = fake("in time")
    model = chain(stuck, backup, timeouts=[0.05, None])
    model.max_retries = 0
    try:
        reply = model.invoke([HumanMessage("hi")])
    finally:
        gate.set()
    assert reply.content == "in time"


def test_bound_tools_reach_every_model_in_the_chain() -> None:
    @tool
    def get_bill(month: str) -> str:
        """Bill for a month."""
        return month

    broken = fake(ValueError("nope"))
    backup = fake("ok")
    bound = chain(broken, backup).bind_tools([get_bill], tool_choice="any")
    assert isinstance(bound, ResilientChatModel)
    assert bound.invoke([HumanMessage("bill?")]).content == "ok"
    assert broken.calls[0]["tools"] == ["get_bill"]
    assert backup.calls[0] == {"tools": ["get_bill"], "tool_choice": "any"}


def test_structured_output_falls_back_too() -> None:
    runnable = chain(fake(ValueError("nope")), fake("parsed")).with_structured_output(dict)
    assert runnable.invoke("x") == {"text": "parsed"}


def test_stream_falls_back_before_the_first_chunk() -> None:
    broken = fake(ConnectionError("down"), cls=StreamingFake)
    backup = fake("three little words", cls=StreamingFake)
    model = chain(broken, backup)
    chunks = list(model.stream([HumanMessage("hi")]))
    assert len(chunks) >= 3
    assert "".join(str(c.content) for c in chunks).strip() == "three little words"


def test_stream_of_a_non_streaming_model_yields_its_reply() -> None:
    chunks = list(chain(fake("whole reply")).stream([HumanMessage("hi")]))
    assert "".join(str(c.content) for c in chunks) == "whole reply"


def test_stream_with_every_model_failing_raises() -> None:
    with pytest.raises(ModelUnavailableError):
        list(chain(fake(RuntimeError("x"), cls=StreamingFake)).stream([HumanMessage("hi")]))


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (TimeoutError(), True),
        (ConnectionError(), True),
        (RateLimitError(), True),
        (ValueError(), False),
        (KeyError(), False),
    ],
)
def test_transient_classification(error: BaseException, expected: bool) -> None:
    assert is_transient(error) is expected


def test_http_status_decides_transience() -> None:
    class StatusError(Exception):
        def __init__(self, status_code: int) -> None:
            super().__init__(str(status_code))
            self.status_code = status_code

    assert is_transient(StatusError(503)) and is_transient(StatusError(429))
    assert not is_transient(StatusError(401))


def test_call_with_timeout_returns_and_reraises() -> None:
    assert call_with_timeout(lambda: 7, 5.0) == 7
    boom: Callable[[], int] = lambda: int("x")  # noqa: E731
    with pytest.raises(ValueError):
        call_with_timeout(boom, 5.0)


def test_pydantic_structured_output_schema_is_accepted() -> None:
    class Out(BaseModel):
        text: str

    runnable = chain(fake("x")).with_structured_output(Out)
    assert runnable.invoke("q") == {"text": "x"}


def test_async_invoke_and_stream_use_the_same_chain() -> None:
    import asyncio

    async def run() -> tuple[str, list[str]]:
        model = chain(
            fake(ConnectionError("down"), cls=StreamingFake), fake("a b", cls=StreamingFake)
        )
        reply = await model.ainvoke([HumanMessage("hi")])
        chunks = [str(c.content) async for c in model.astream([HumanMessage("hi")])]
        return str(reply.content), chunks

    reply, chunks = asyncio.run(run())
    assert reply == "a b"
    assert "".join(chunks).strip() == "a b"
