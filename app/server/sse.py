"""Server-sent events: wire encoding, OpenAPI description, and the JSON (non-streaming) reply."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

from app.server.errors import error_response
from app.server.service import Batch, Event

EVENT_KINDS = (
    "accepted",
    "queued",
    "token",
    "agent",
    "tool",
    "tool_result",
    "confirm",
    "done",
    "error",
)
_ERROR_STATUS = {
    "invalid_message": 422,
    "nothing_to_confirm": 409,
    "thread_busy": 409,
    "queue_timeout": 503,
    "turn_failed": 500,
}

STREAM_DOC: dict[int | str, dict[str, Any]] = {
    200: {
        "description": (
            "By default a `text/event-stream` of events, each `event: <kind>` with a JSON "
            "`data:` line: `accepted` {thread, seq, duplicate}, `queued` {seq, ahead}, "
            "`token` {agent, text}, `agent` {agent, phase}, `tool` {name, args, id}, "
            "`tool_result` {name, id}, `confirm` {kind, tool, summary, details}, then `done` "
            "(a TurnResult) or `error` {code, message}. With `Accept: application/json` the "
            "TurnResult is returned as JSON once the turn ends."
        ),
        "content": {
            "text/event-stream": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "event": {"type": "string", "enum": list(EVENT_KINDS)},
                        "id": {"type": "string"},
                        "data": {"type": "string", "description": "JSON payload"},
                    },
                }
            }
        },
    }
}


def encode(kind: str, data: dict[str, Any], event_id: int) -> bytes:
    """One event in the SSE wire format."""
    payload = json.dumps(data, default=str, separators=(",", ":"))
    return f"event: {kind}\nid: {event_id}\ndata: {payload}\n\n".encode()


def wants_json(request: Request) -> bool:
    """Whether the client asked for a single JSON reply instead of a stream."""
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/event-stream" not in accept


async def _stream(batches: AsyncIterator[Batch]) -> AsyncIterator[bytes]:
    count = 0
    async for batch in batches:
        chunk = []
        for kind, data in batch:
            count += 1
            chunk.append(encode(kind, data, count))
        yield b"".join(chunk)  # one socket write per batch


async def _events(batches: AsyncIterator[Batch]) -> AsyncIterator[Event]:
    async for batch in batches:
        for event in batch:
            yield event


class EventStream(Response):
    """A ``text/event-stream`` response written chunk by chunk from an async iterator.

    Starlette's ``StreamingResponse`` runs a second task per response that listens for the
    client to disconnect, so that it can cancel the stream. A turn goes on when its client
    leaves anyway, and the server drops writes to a closed connection, so this response
    only writes: one task per request instead of two.
    """

    media_type = "text/event-stream"

    def __init__(self, chunks: AsyncIterator[bytes], headers: dict[str, str]) -> None:
        self.chunks = chunks
        self.status_code = 200
        self.background = None
        self.init_headers(headers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Send the headers, each chunk as it comes, then the end of the body."""
        await send(
            {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
        )
        async for chunk in self.chunks:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})


async def respond(request: Request, batches: AsyncIterator[Batch]) -> Response:
    """Stream the batches of events as SSE, or wait and return the final result as JSON."""
    if not wants_json(request):
        return EventStream(
            _stream(batches), headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
        )
    async for kind, data in _events(batches):
        if kind == "done":
            return JSONResponse(data)
        if kind == "error":
            code = str(data.get("code", "turn_failed"))
            headers = {"Retry-After": "5"} if code == "queue_timeout" else None
            return error_response(
                _ERROR_STATUS.get(code, 500), code, str(data.get("message")), headers=headers
            )
    return error_response(500, "internal_error", "The turn ended without a result.")


def parse_events(text: str) -> list[tuple[str, dict[str, Any]]]:
    """The (kind, data) events of an SSE body (for clients, tests and the load benchmark)."""
    events: list[tuple[str, dict[str, Any]]] = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        kind, data = "message", []
        for line in block.split("\n"):
            if line.startswith("event:"):
                kind = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].lstrip())
        if data:
            events.append((kind, json.loads("\n".join(data))))
    return events
