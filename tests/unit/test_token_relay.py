"""The token relay: a streaming callback that reports reply chunks by graph node."""

from __future__ import annotations

from typing import Any

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage

from app.token_relay import TokenRelay


def model() -> GenericFakeChatModel:
    return GenericFakeChatModel(messages=iter([AIMessage(content="Your bill is 42.00 EUR")]))


def relayed(metadata: dict[str, Any], tags: list[str] | None = None) -> list[tuple[str, str]]:
    seen: list[tuple[str, str]] = []
    relay = TokenRelay(lambda node, text: seen.append((node, text)))
    reply = model().invoke(
        "how much?", config={"callbacks": [relay], "metadata": metadata, "tags": tags or []}
    )
    assert reply.content == "Your bill is 42.00 EUR"
    assert not relay.nodes  # every finished call is forgotten
    return seen


def test_a_top_level_node_s_model_streams_its_tokens_through_the_relay() -> None:
    seen = relayed({"langgraph_node": "billing", "langgraph_checkpoint_ns": "billing:1"})
    assert len(seen) > 1  # attaching the relay made the model stream
    assert {node for node, _ in seen} == {"billing"}
    assert "".join(text for _, text in seen) == "Your bill is 42.00 EUR"


def test_nostream_calls_subgraph_calls_and_calls_outside_a_graph_are_not_relayed() -> None:
    assert relayed({"langgraph_node": "billing"}, tags=["nostream"]) == []
    assert relayed({"langgraph_node": "inner", "langgraph_checkpoint_ns": "a:1|inner:2"}) == []
    assert relayed({}) == []


def test_the_relay_skips_chain_events() -> None:
    relay = TokenRelay(lambda node, text: None)
    assert relay.ignore_chain and relay.ignore_retriever and relay.ignore_custom_event
    assert not relay.ignore_llm
