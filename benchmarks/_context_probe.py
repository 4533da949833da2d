"""Measuring instruments for the context benchmark: prompts seen, model time, checkpoint bytes."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import BaseMessage

from conversation.tokens import TokenCounter, message_text
from data_access import Database, file_url, open_database


@dataclass
class ModelCall:
    """One chat-model call as the graph made it."""

    node: str
    messages: list[BaseMessage]


@dataclass
class PromptRecorder(BaseCallbackHandler):
    """Records every outermost chat-model call (node and prompt) and the time spent in it.

    Wrapper models (fallback chains) call an inner model; only the outermost call counts.
    """

    calls: list[ModelCall] = field(default_factory=list)
    model_seconds: float = 0.0
    model_cpu_seconds: float = 0.0
    _started: dict[UUID, tuple[float, float]] = field(default_factory=dict)
    _chat_runs: set[UUID] = field(default_factory=set)

    def on_chat_model_start(
        self,
        serialized: dict[str, Any],
        messages: list[list[BaseMessage]],
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        """Remember the prompt of an outermost call and when it started."""
        self._chat_runs.add(run_id)
        if parent_run_id in self._chat_runs:
            return
        node = str((metadata or {}).get("langgraph_node", ""))
        self.calls.append(ModelCall(node, list(messages[0]) if messages else []))
        self._started[run_id] = (time.perf_counter(), time.process_time())

    def take(self) -> list[ModelCall]:
        """The calls recorded since the previous ``take`` (memory stays bounded)."""
        calls, self.calls = self.calls, []
        self._chat_runs.clear()
        return calls

    def _finish(self, run_id: UUID) -> None:
        """Add the call's wall-clock and CPU duration to the model time."""
        started = self._started.pop(run_id, None)
        if started is not None:
            self.model_seconds += time.perf_counter() - started[0]
            self.model_cpu_seconds += time.process_time() - started[1]

    def on_llm_end(self, response: Any, *, run_id: UUID, **kwargs: Any) -> None:
        """End of a call."""
        self._finish(run_id)

    def on_llm_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        """A failed call still took model time."""
        self._finish(run_id)


def prompt_text(messages: Sequence[BaseMessage]) -> str:
    """A prompt flattened the way a chat template would lay it out (role, text, tool calls)."""
    parts = []
    for message in messages:
        calls = getattr(message, "tool_calls", None) or []
        args = json.dumps([[c["name"], c.get("args", {})] for c in calls]) if calls else ""
        parts.append(f"<|{message.type}|>{message_text(message)}{args}\n")
    return "".join(parts)


def common_prefix_len(a: str, b: str) -> int:
    """Length of the common prefix of two strings."""
    limit = min(len(a), len(b))
    low, high = 0, limit
    while low < high:
        mid = (low + high + 1) // 2
        if a[:mid] == b[:mid]:
            low = mid
        else:
            high = mid - 1
    return low


@dataclass
class PrefixReuse:
    """Token-weighted share of each prompt that repeats the previous prompt of the same node
    (what a prompt cache or llama.cpp's KV cache can reuse)."""

    counter: TokenCounter
    reused: int = 0
    total: int = 0
    _previous: dict[str, str] = field(default_factory=dict)

    def add(self, call: ModelCall) -> None:
        """Account one call against the previous call of its node."""
        text = prompt_text(call.messages)
        before = self._previous.get(call.node)
        if before is not None:
            self.reused += self.counter.count(text[: common_prefix_len(before, text)])
            self.total += self.counter.count(text)
        self._previous[call.node] = text

    @property
    def share(self) -> float:
        """Reused tokens over prompt tokens (0 before the second call)."""
        return self.reused / self.total if self.total else 0.0


@dataclass
class CheckpointMeter:
    """Bytes a SQLite checkpointer has written for a thread (checkpoint + metadata + writes)."""

    path: str
    thread_id: str
    _seen: dict[str, int] = field(default_factory=lambda: {"checkpoints": 0, "writes": 0})
    total: int = 0
    _db: Database = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._db = open_database(file_url(Path(self.path)), "checkpoint file")

    def new_bytes(self) -> int:
        """Bytes written since the previous call (rows are append-only, read by rowid)."""
        queries = {
            "checkpoints": "SELECT MAX(rowid), SUM(LENGTH(checkpoint) + LENGTH(metadata)) "
            "FROM checkpoints WHERE thread_id = ? AND rowid > ?",
            "writes": "SELECT MAX(rowid), SUM(LENGTH(value)) FROM writes "
            "WHERE thread_id = ? AND rowid > ?",
        }
        added = 0
        with self._db.read() as tx:
            for table, sql in queries.items():
                row = tx.one(sql, (self.thread_id, self._seen[table])) or {}
                last, size = tuple(row.values()) or (None, None)
                if last is not None:
                    self._seen[table] = last
                    added += int(size or 0)
        self.total += added
        return added

    def clone(self, checkpoint_id: str, thread_id: str) -> None:
        """Copy one checkpoint (and its pending writes) to a new thread, as its only one."""
        with self._db.transaction() as tx:
            tx.execute(
                "INSERT INTO checkpoints (thread_id, checkpoint_ns, checkpoint_id, "
                "parent_checkpoint_id, type, checkpoint, metadata) SELECT ?, checkpoint_ns, "
                "checkpoint_id, NULL, type, checkpoint, metadata FROM checkpoints "
                "WHERE thread_id = ? AND checkpoint_id = ?",
                (thread_id, self.thread_id, checkpoint_id),
            )
            tx.execute(
                "INSERT INTO writes (thread_id, checkpoint_ns, checkpoint_id, task_id, idx, "
                "channel, type, value, task_path) SELECT ?, checkpoint_ns, checkpoint_id, "
                "task_id, idx, channel, type, value, task_path FROM writes "
                "WHERE thread_id = ? AND checkpoint_id = ?",
                (thread_id, self.thread_id, checkpoint_id),
            )

    def latest_checkpoint_bytes(self) -> int:
        """Size of the thread's newest checkpoint (checkpoint + metadata blobs)."""
        with self._db.read() as tx:
            size = tx.scalar(
                "SELECT LENGTH(checkpoint) + LENGTH(metadata) FROM checkpoints "
                "WHERE thread_id = ? AND checkpoint_ns = '' ORDER BY checkpoint_id DESC LIMIT 1",
                (self.thread_id,),
            )
        return int(size) if size is not None else 0
