"""Bearer tokens → customers: configured API tokens, plus signed demo tokens in dev mode."""

from __future__ import annotations

import hashlib
import hmac

from app.server.errors import ApiError
from app.server.settings import ServerSettings

DEV_PREFIX = "dev."


def dev_token(secret: str, customer_id: str) -> str:
    """A demo token for ``customer_id``, signed with the server's dev secret."""
    signature = hmac.new(secret.encode(), customer_id.encode(), hashlib.sha256).hexdigest()[:32]
    return f"{DEV_PREFIX}{customer_id}.{signature}"


def customer_for_token(token: str, settings: ServerSettings) -> str | None:
    """The customer ``token`` stands for, or ``None`` when it is not valid."""
    found: str | None = None
    for known, customer in settings.api_tokens.items():
        if hmac.compare_digest(known.encode(), token.encode()):
            found = customer
    if found is not None:
        return found
    if settings.dev_login and settings.dev_secret and token.startswith(DEV_PREFIX):
        customer_id, _, _signature = token[len(DEV_PREFIX) :].rpartition(".")
        if customer_id and hmac.compare_digest(
            dev_token(settings.dev_secret, customer_id).encode(), token.encode()
        ):
            return customer_id
    return None


def authenticate(authorization: str | None, settings: ServerSettings) -> str:
    """The customer of an ``Authorization: Bearer <token>`` header, or a 401 ``ApiError``."""
    challenge = {"WWW-Authenticate": "Bearer"}
    if not authorization:
        raise ApiError(
            401,
            "unauthorized",
            "Missing 'Authorization: Bearer <token>' header. Use a token from "
            "SWITCHBOARD_API_TOKENS (or POST /v1/dev/login in dev mode).",
            headers=challenge,
        )
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(
            401,
            "unauthorized",
            "The Authorization header must be 'Bearer <token>'.",
            headers=challenge,
        )
    customer = customer_for_token(token.strip(), settings)
    if customer is None:
        raise ApiError(
            401, "unauthorized", "Unknown or expired token; sign in again.", headers=challenge
        )
    return customer
