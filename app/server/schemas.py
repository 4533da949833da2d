"""Request and response bodies of the HTTP API (what the OpenAPI spec documents)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr


class Strict(BaseModel):
    """Request bodies: unknown fields and wrong types are refused with 422."""

    model_config = ConfigDict(extra="forbid", strict=True)


class ErrorDetail(BaseModel):
    """What went wrong, in words a client developer can act on."""

    code: str = Field(description="Machine-readable code, e.g. `thread_not_found`.")
    message: str = Field(description="What is wrong and how to fix it.")
    fields: list[str] = Field(
        default_factory=list, description="Request fields at fault (`body.text`, ...)."
    )


class ErrorBody(BaseModel):
    """Every 4xx/5xx response has this shape."""

    error: ErrorDetail


class DevLoginRequest(Strict):
    """Ask for a demo token (dev mode only)."""

    customer_id: StrictStr = Field(min_length=1, max_length=64, examples=["C1001"])


class TokenOut(BaseModel):
    """A bearer token and the customer it stands for."""

    token: str
    customer_id: str


class DemoCustomer(BaseModel):
    """A customer of the demo store (dev mode only)."""

    customer_id: str
    name: str


class CreateThreadRequest(Strict):
    """Start a conversation (the body may be empty or omitted)."""

    title: StrictStr | None = Field(default=None, max_length=200, description="Unused label.")


class MessageRequest(Strict):
    """A user message."""

    text: StrictStr = Field(description="What the customer types.", examples=["show my bills"])
    client_message_id: StrictStr | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description=(
            "Idempotency key: resending the same id after a dropped connection never runs the "
            "message twice; the stream reports the original outcome."
        ),
    )


class ConfirmRequest(Strict):
    """Answer the pending confirmation."""

    approve: StrictBool = Field(description="`true` to go ahead, `false` to cancel.")
    client_message_id: StrictStr | None = Field(default=None, min_length=1, max_length=100)


class ThreadOut(BaseModel):
    """A conversation thread."""

    thread_id: str
    customer_id: str | None
    graph: str
    created_at: float
    updated_at: float


class ThreadList(BaseModel):
    """The caller's threads, newest first."""

    threads: list[ThreadOut]


class TurnResultOut(BaseModel):
    """What one turn did."""

    thread: str
    turn: int
    intent: str | None
    act: str | None
    agent: str | None
    phase: str | None
    tool_calls: list[dict[str, Any]] = Field(default_factory=list)
    tool_results: list[dict[str, Any]] = Field(default_factory=list)
    reply: str = ""
    interrupt: dict[str, Any] | None = None
    ledger: dict[str, Any] | None = None
    stack: list[dict[str, Any]] = Field(default_factory=list)
    seq: int | None = Field(default=None, description="Inbox sequence number of the message.")
    recovered: bool = Field(
        default=False, description="The turn was finished after its worker stopped mid-turn."
    )
    cut_short: bool = Field(
        default=False, description="A newer message interrupted this turn (policy `interrupt`)."
    )


class MessageOut(BaseModel):
    """A message in the thread's recent window."""

    id: str | None
    role: Literal["user", "assistant", "tool", "system"]
    content: str
    name: str | None = None
    tool_calls: list[dict[str, Any]] = Field(default_factory=list)


class InboxEntryOut(BaseModel):
    """An accepted message and how its processing went."""

    seq: int
    kind: Literal["message", "answer"]
    status: Literal["queued", "running", "done", "failed", "rejected"]
    text: str | None = None
    approve: bool | None = None
    client_message_id: str | None = None
    turn: int | None = None
    attempts: int
    error: str | None = None


class StateOut(BaseModel):
    """The thread's checkpointed state: conversation, engine state and context ledger."""

    thread_id: str
    turn: int
    agent: str | None
    phase: str | None
    intent: str | None
    summary: str
    facts: dict[str, Any]
    stack: list[dict[str, Any]]
    pending_confirmation: dict[str, Any] | None
    pending_nodes: list[str] = Field(
        default_factory=list,
        description="Nodes the last checkpoint would run next (empty when the turn is complete).",
    )
    messages: list[MessageOut]
    ledger: list[dict[str, Any]]
    inbox: list[InboxEntryOut]


class HistoryOut(BaseModel):
    """Every user and assistant message the thread ever held, in processing order."""

    thread_id: str
    turn: int
    messages: list[MessageOut]
    checkpoints: int = Field(description="Checkpoints read to build the history.")


class Health(BaseModel):
    """Liveness or readiness."""

    status: Literal["ok", "unavailable"]
    checks: dict[str, str] = Field(default_factory=dict)
    worker: int | None = Field(default=None, description="process id of the answering worker")
