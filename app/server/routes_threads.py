"""Thread endpoints: create, list, get, and read the checkpointed state with its context ledger."""

from __future__ import annotations

from typing import Annotated, Any

from anyio import to_thread
from fastapi import APIRouter, Body, Path
from fastapi.encoders import jsonable_encoder
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage

from app.server.deps import CustomerDep, ServiceDep
from app.server.errors import responses
from app.server.inbox import Entry
from app.server.schemas import (
    CreateThreadRequest,
    HistoryOut,
    InboxEntryOut,
    MessageOut,
    StateOut,
    ThreadList,
    ThreadOut,
)
from app.threads import ThreadInfo

router = APIRouter(tags=["threads"])
ThreadId = Annotated[
    str,
    Path(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9_.:-]+$",
        description="Thread id from POST /v1/threads.",
    ),
]


def _thread(info: ThreadInfo) -> ThreadOut:
    return ThreadOut(
        thread_id=info.thread_id,
        customer_id=info.customer_id,
        graph=info.graph,
        created_at=info.created_at,
        updated_at=info.updated_at,
    )


@router.post(
    "/threads",
    status_code=201,
    response_model=ThreadOut,
    responses=responses(401, 413, 415, 422, 429),
    summary="Start a conversation",
)
async def create_thread(
    service: ServiceDep,
    customer: CustomerDep,
    body: Annotated[CreateThreadRequest | None, Body()] = None,
) -> ThreadOut:
    """Create a thread owned by the caller."""
    del body
    thread_id = await to_thread.run_sync(service.registry.create, customer, service.settings.graph)
    return _thread(await to_thread.run_sync(service.registry.get, thread_id))


@router.get(
    "/threads",
    response_model=ThreadList,
    responses=responses(401, 429),
    summary="List your conversations",
)
async def list_threads(service: ServiceDep, customer: CustomerDep) -> ThreadList:
    """The caller's threads, newest first."""
    infos = await to_thread.run_sync(
        lambda: service.registry.list(customer_id=customer, graph=service.settings.graph)
    )
    return ThreadList(threads=[_thread(info) for info in infos])


@router.get(
    "/threads/{thread_id}",
    response_model=ThreadOut,
    responses=responses(401, 403, 404, 422, 429),
    summary="Get a conversation",
)
async def get_thread(thread_id: ThreadId, service: ServiceDep, customer: CustomerDep) -> ThreadOut:
    """One of the caller's threads."""
    info = await to_thread.run_sync(service.registry.authorize, thread_id, customer)
    return _thread(info)


@router.get(
    "/threads/{thread_id}/state",
    response_model=StateOut,
    responses=responses(401, 403, 404, 422, 429),
    summary="Read the conversation state and context ledger",
)
async def get_state(thread_id: ThreadId, service: ServiceDep, customer: CustomerDep) -> StateOut:
    """Messages of the recent window, engine state, the context ledger and the inbox."""
    await service.authorize(thread_id, customer)
    snapshot = await to_thread.run_sync(
        service.graph.get_state, {"configurable": {"thread_id": thread_id}}
    )
    entries = await to_thread.run_sync(service.inbox.history, thread_id)
    return state_out(thread_id, snapshot, entries)


@router.get(
    "/threads/{thread_id}/history",
    response_model=HistoryOut,
    responses=responses(401, 403, 404, 422, 429),
    summary="Read the full message history (including folded turns)",
)
async def get_history(
    thread_id: ThreadId, service: ServiceDep, customer: CustomerDep
) -> HistoryOut:
    """User and assistant messages in the order they entered the thread, from every checkpoint.

    The state keeps only a recent window (older turns are folded into the summary); the
    checkpoint history still holds them, so this is the audit view of the conversation.
    """
    await service.authorize(thread_id, customer)
    return await to_thread.run_sync(history_out, service.graph, thread_id)


def history_out(graph: Any, thread_id: str) -> HistoryOut:
    """Messages by first appearance across the thread's checkpoints (oldest first)."""
    config: Any = {"configurable": {"thread_id": thread_id}}
    snapshots = list(graph.get_state_history(config))
    seen: dict[str, MessageOut] = {}
    for snapshot in reversed(snapshots):
        for message in (snapshot.values or {}).get("messages") or []:
            if message.id and message.id not in seen:
                out = _message(message)
                if out.role in {"user", "assistant"} and (out.content or out.tool_calls):
                    seen[message.id] = out
    values = snapshots[0].values if snapshots else {}
    return HistoryOut(
        thread_id=thread_id,
        turn=int((values or {}).get("turn") or 0),
        messages=list(seen.values()),
        checkpoints=len(snapshots),
    )


def state_out(thread_id: str, snapshot: Any, entries: list[Entry]) -> StateOut:
    """The API view of a state snapshot and the thread's inbox."""
    values = snapshot.values or {}
    pending = [item.value for task in snapshot.tasks for item in task.interrupts]
    confirmation = pending[0] if pending else None
    if confirmation is not None and not isinstance(confirmation, dict):
        confirmation = {"kind": "input", "prompt": str(confirmation)}
    return StateOut(
        thread_id=thread_id,
        turn=int(values.get("turn") or 0),
        agent=values.get("agent"),
        phase=values.get("phase"),
        intent=values.get("intent"),
        summary=str(values.get("summary") or ""),
        facts=jsonable_encoder(values.get("facts") or {}),
        stack=jsonable_encoder(list(values.get("stack") or [])),
        pending_confirmation=jsonable_encoder(confirmation),
        pending_nodes=list(snapshot.next or ()),
        messages=[_message(m) for m in values.get("messages") or []],
        ledger=jsonable_encoder(list(values.get("ledger") or [])),
        inbox=[_entry(e) for e in entries],
    )


def _message(message: BaseMessage) -> MessageOut:
    role = "system"
    if isinstance(message, HumanMessage):
        role = "user"
    elif isinstance(message, AIMessage):
        role = "assistant"
    elif isinstance(message, ToolMessage):
        role = "tool"
    elif not isinstance(message, SystemMessage):
        role = "system"
    content = message.content if isinstance(message.content, str) else str(message.content)
    calls = [
        {"name": c["name"], "args": c["args"], "id": c["id"]}
        for c in (message.tool_calls if isinstance(message, AIMessage) else [])
    ]
    return MessageOut(
        id=message.id,
        role=role,  # type: ignore[arg-type]
        content=content,
        name=getattr(message, "name", None),
        tool_calls=jsonable_encoder(calls),
    )


def _entry(entry: Entry) -> InboxEntryOut:
    result = entry.result or {}
    return InboxEntryOut(
        seq=entry.seq,
        kind=entry.kind,  # type: ignore[arg-type]
        status=entry.status,  # type: ignore[arg-type]
        text=entry.payload.get("text"),
        approve=entry.payload.get("approve"),
        client_message_id=entry.client_id,
        turn=result.get("turn"),
        attempts=entry.attempts,
        error=entry.error,
    )
