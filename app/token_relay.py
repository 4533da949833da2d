"""Relay a turn's reply tokens from its chat-model callbacks, without LangGraph's messages mode.

LangGraph's ``stream_mode="messages"`` runs every node on a pool thread and keeps a waiter
thread per step so that tokens can be yielded while a node runs. A callback reaches the same
tokens in the model's own thread, so with it the graph keeps its inline single-task path: a
scripted server turn costs about a quarter less CPU (docs/service.md, "Token streaming").
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, TypeVar
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.outputs import ChatGenerationChunk, GenerationChunk

from llm.resilience import NOSTREAM_TAG

T = TypeVar("T")
_NS_SEP = "|"


class TokenRelay(BaseCallbackHandler):
    """Calls ``on_token(node, text)`` for each streamed chunk of a top-level node's model.

    Having ``tap_output_iter``/``tap_output_aiter`` makes it a streaming handler in
    LangChain's eyes, so chat models that can stream do so while it is attached.
    """

    run_inline = True

    def __init__(self, on_token: Callable[[str, str], None]) -> None:
        self.on_token = on_token
        self.nodes: dict[UUID, str] = {}
        """Node of each model call in flight, by run id."""

    @property
    def ignore_chain(self) -> bool:
        """Chain (node, router) events carry no tokens: skip them."""
        return True

    @property
    def ignore_retriever(self) -> bool:
        """Retriever events carry no tokens: skip them."""
        return True

    @property
    def ignore_custom_event(self) -> bool:
        """Custom events carry no tokens: skip them."""
        return True

    def tap_output_iter(self, run_id: UUID, output: Iterator[T]) -> Iterator[T]:
        """Pass a streamed output through unchanged."""
        return output

    def tap_output_aiter(self, run_id: UUID, output: AsyncIterator[T]) -> AsyncIterator[T]:
        """Pass a streamed output through unchanged."""
        return output

    def on_chat_model_start(
        self,
        serialized: dict[str, Any],
        messages: list[list[Any]],
        *,
        run_id: UUID,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        """Remember which node this model call belongs to (top-level graph nodes only)."""
        metadata = metadata or {}
        node = metadata.get("langgraph_node")
        namespace = str(metadata.get("langgraph_checkpoint_ns", ""))
        if node and NOSTREAM_TAG not in (tags or ()) and _NS_SEP not in namespace:
            self.nodes[run_id] = str(node)

    def on_llm_new_token(
        self,
        token: str | list[str | dict[str, Any]],
        *,
        chunk: GenerationChunk | ChatGenerationChunk | None = None,
        run_id: UUID,
        **kwargs: Any,
    ) -> None:
        """Relay one chunk's text."""
        node = self.nodes.get(run_id)
        if node is None or not isinstance(chunk, ChatGenerationChunk):
            return
        content = chunk.message.content
        if content:
            self.on_token(node, content if isinstance(content, str) else str(content))

    def on_llm_end(self, response: Any, *, run_id: UUID, **kwargs: Any) -> None:
        """Forget a finished model call."""
        self.nodes.pop(run_id, None)

    def on_llm_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        """Forget a failed model call."""
        self.nodes.pop(run_id, None)
