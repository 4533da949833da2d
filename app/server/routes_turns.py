"""Turn endpoints: post a message or answer a confirmation, streamed back as server-sent events."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from agents.input_guard import check_message
from app.server.deps import CustomerDep, ServiceDep
from app.server.errors import ApiError, responses
from app.server.routes_threads import ThreadId
from app.server.schemas import ConfirmRequest, MessageRequest, TurnResultOut
from app.server.sse import STREAM_DOC, respond

router = APIRouter(tags=["turns"])
_ERRORS = responses(400, 401, 403, 404, 409, 413, 415, 422, 429, 503)


def checked_text(text: str, limit: int) -> str:
    """The cleaned message, or a 413 (too long) / 422 (empty, binary) ``ApiError``."""
    if len(text) > limit:
        raise ApiError(
            413,
            "message_too_long",
            f"The message is {len(text)} characters long; the limit is {limit}. Shorten it or "
            "split it into several messages.",
            ["body.text"],
        )
    return check_message(text, limit)


@router.post(
    "/threads/{thread_id}/messages",
    response_model=TurnResultOut,
    responses={**STREAM_DOC, **_ERRORS},
    summary="Send a message and stream the turn",
)
async def post_message(
    thread_id: ThreadId,
    body: MessageRequest,
    request: Request,
    service: ServiceDep,
    customer: CustomerDep,
) -> Response:
    """Queue the message on the thread (one turn at a time) and stream what the turn does.

    Whatever the thread waits for, the graph decides what the text means: while a change
    waits for confirmation it may answer it ("yes", "no"), correct it, or digress. A message
    that arrives while another turn runs follows the server's busy policy (queue, reject with
    409, or interrupt).
    """
    owner = await service.authorize(thread_id, customer)
    text = checked_text(body.text, service.settings.max_message_chars)
    ticket = await service.accept(thread_id, "message", {"text": text}, body.client_message_id)
    return await respond(request, service.run(ticket, owner))


@router.post(
    "/threads/{thread_id}/confirm",
    response_model=TurnResultOut,
    responses={**STREAM_DOC, **_ERRORS},
    summary="Approve or decline the pending action",
)
async def confirm(
    thread_id: ThreadId,
    body: ConfirmRequest,
    request: Request,
    service: ServiceDep,
    customer: CustomerDep,
) -> Response:
    """Answer the confirmation the thread is waiting for (409 when there is none)."""
    owner = await service.authorize(thread_id, customer)
    if not await service.confirmation_possible(thread_id, body.client_message_id):
        raise ApiError(
            409,
            "nothing_to_confirm",
            "This thread is not waiting for a confirmation. Send a message instead.",
        )
    ticket = await service.accept(
        thread_id, "answer", {"approve": body.approve}, body.client_message_id
    )
    return await respond(request, service.run(ticket, owner))
