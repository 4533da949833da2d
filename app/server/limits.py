"""ASGI middleware: refuse oversized bodies (413) and non-JSON bodies on the API (415)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_WRITE_METHODS = {"POST", "PUT", "PATCH"}


class BodyTooLarge(HTTPException):
    """The body grew past the limit while streaming in (FastAPI re-raises HTTP exceptions)."""


async def _send_error(send: Send, status: int, code: str, message: str) -> None:
    body = json.dumps({"error": {"code": code, "message": message, "fields": ["body"]}}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodyLimits:
    """Enforce a byte limit on every request body and a JSON content type on ``/v1`` writes."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _WRITE_METHODS:
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        too_big = f"The request body is larger than {self.max_bytes} bytes; send less."
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > self.max_bytes:
            await _send_error(send, 413, "payload_too_large", too_big)
            return
        content_type = headers.get("content-type", "").split(";")[0].strip().lower()
        has_body = length not in {"", "0"} or "transfer-encoding" in headers
        if scope["path"].startswith("/v1/") and has_body and content_type != "application/json":
            await _send_error(
                send,
                415,
                "unsupported_media_type",
                f"Send the body as JSON with 'Content-Type: application/json' "
                f"(got {content_type or 'no content type'!r}).",
            )
            return
        await self._limited(scope, receive, send, too_big)

    async def _limited(self, scope: Scope, receive: Receive, send: Send, too_big: str) -> None:
        seen = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise BodyTooLarge(413, too_big)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if started:
                raise
            await _send_error(send, 413, "payload_too_large", too_big)


def client_address(scope: Mapping[str, Any]) -> str:
    """The client's address as the server saw it (no proxy headers are trusted)."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"
