"""What a stand-in model (a test double, no language model) and a domain's scripted policy share."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage


@dataclass(frozen=True)
class ToolSpec:
    """A bound tool as a stand-in model sees it: its name and JSON-schema parameters."""

    name: str
    parameters: dict[str, Any] = field(default_factory=dict)

    @property
    def properties(self) -> dict[str, Any]:
        """JSON-schema properties of the tool's arguments."""
        props = self.parameters.get("properties", {})
        return props if isinstance(props, dict) else {}

    @property
    def required(self) -> list[str]:
        """Required argument names."""
        return list(self.parameters.get("required", []))


Responder = Callable[[list[BaseMessage], list[ToolSpec]], AIMessage]
"""A scripted policy: (messages, bound tools) → reply. Must be a pure function of its input."""
