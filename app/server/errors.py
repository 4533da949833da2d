"""Uniform error responses: every failure is ``{"error": {code, message, fields}}``."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from agents.input_guard import InvalidMessage
from app.server.schemas import ErrorBody
from app.threads import ThreadForbidden, UnknownThread

log = logging.getLogger("switchboard.server")

_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}


class ApiError(Exception):
    """An error with its HTTP status, code and fix-it message."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        fields: Sequence[str] = (),
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = list(fields)
        self.headers = dict(headers or {})


def error_response(
    status: int,
    code: str,
    message: str,
    fields: Sequence[str] = (),
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """The JSON response for an error."""
    body = {"error": {"code": code, "message": message, "fields": list(fields)}}
    return JSONResponse(body, status_code=status, headers=dict(headers or {}))


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` entries documenting the error body for ``statuses``."""
    return {
        status: {"model": ErrorBody, "description": _STATUS_CODES.get(status, "error")}
        for status in statuses
    }


def _location(loc: Sequence[Any]) -> str:
    return ".".join(str(part) for part in loc)


def validation_error(errors: Sequence[Any]) -> tuple[int, str, str, list[str]]:
    """Status, code, message and fields for pydantic/FastAPI validation errors."""
    for error in errors:
        if error.get("type") == "json_invalid":
            detail = (error.get("ctx") or {}).get("error", "invalid JSON")
            position = error.get("loc", ("body", "?"))[-1]
            return (
                400,
                "malformed_json",
                f"The body is not valid JSON ({detail} at character {position}).",
                ["body"],
            )
    fields = [_location(error.get("loc", ())) for error in errors]
    parts = []
    for error in errors:
        where = _location(error.get("loc", ())) or "body"
        kind = error.get("type", "")
        if kind == "extra_forbidden":
            parts.append(f"{where}: unknown field; remove it")
        elif kind == "missing":
            parts.append(f"{where}: required field is missing")
        else:
            parts.append(f"{where}: {error.get('msg', 'invalid value')}")
    return 422, "invalid_request", "Invalid request — " + "; ".join(parts) + ".", fields


def install(app: FastAPI) -> None:
    """Register the handlers that turn exceptions into uniform error responses."""

    @app.exception_handler(ApiError)
    async def _api(_request: Request, error: ApiError) -> JSONResponse:
        return error_response(error.status, error.code, error.message, error.fields, error.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, error: RequestValidationError) -> JSONResponse:
        status, code, message, fields = validation_error(error.errors())
        return error_response(status, code, message, fields)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, error: StarletteHTTPException) -> JSONResponse:
        code = _STATUS_CODES.get(error.status_code, "error")
        message = str(error.detail)
        if error.status_code == 404:
            message = "No such endpoint. See /docs for the API."
        elif error.status_code == 405:
            message = "This endpoint does not accept that method. See /docs for the API."
        return error_response(error.status_code, code, message, headers=error.headers)

    @app.exception_handler(UnknownThread)
    async def _unknown(_request: Request, error: UnknownThread) -> JSONResponse:
        return error_response(
            404, "thread_not_found", "No thread with that id. Create one with POST /v1/threads."
        )

    @app.exception_handler(ThreadForbidden)
    async def _forbidden(_request: Request, error: ThreadForbidden) -> JSONResponse:
        return error_response(403, "forbidden", "This thread belongs to another customer.")

    @app.exception_handler(InvalidMessage)
    async def _invalid(_request: Request, error: InvalidMessage) -> JSONResponse:
        return error_response(422, "invalid_message", str(error), ["body.text"])

    @app.exception_handler(Exception)
    async def _crash(_request: Request, error: Exception) -> JSONResponse:
        log.exception("Unhandled error: %s", error)
        return error_response(500, "internal_error", "The server failed; the error is logged.")
