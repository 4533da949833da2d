"""Model calls and prompt tokens of one agent's run, counted from the LangChain run tree."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.observability.runtree import RunTreeRecorder, TurnTrace


@dataclass
class ModelUsage:
    """What one agent spent on one task: model calls and prompt tokens (both agents are
    counted the same way: every chat-model run under the handler, with its reported usage)."""

    calls: int = 0
    prompt_tokens: int = 0
    text_as_stop: int = 0
    """Replies in plain text where a tool call was required, taken as the agent's stop."""
    recorder: RunTreeRecorder = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.recorder = RunTreeRecorder([self.add])

    def add(self, trace: TurnTrace) -> None:
        """Count the model runs of one finished run tree."""
        for run in trace.model_runs():
            self.calls += 1
            self.prompt_tokens += int(run.usage.get("input_tokens", 0) or 0)
