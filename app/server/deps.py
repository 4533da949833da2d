"""FastAPI dependencies: the worker's service, the authenticated customer, rate limits."""

from __future__ import annotations

import math
from typing import Annotated

from anyio import to_thread
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.server.auth import authenticate
from app.server.errors import ApiError
from app.server.limits import client_address
from app.server.service import Service
from app.server.settings import Rate

bearer = HTTPBearer(
    auto_error=False,
    description="A token from SWITCHBOARD_API_TOKENS, or from POST /v1/dev/login in dev mode.",
)


async def get_service(request: Request) -> Service:
    """The service of this worker (opened by the app's lifespan).

    ``async`` although it never awaits: FastAPI runs a plain ``def`` dependency on a worker
    thread, one hop per request for nothing.
    """
    service: Service | None = getattr(request.app.state, "service", None)
    if service is None:
        raise ApiError(503, "unavailable", "The server is still starting; retry in a moment.")
    return service


ServiceDep = Annotated[Service, Depends(get_service)]


async def _take(service: Service, key: str, rate: Rate | None, who: str) -> None:
    if rate is None:
        return
    if service.limiter.backend == "local":
        wait = service.limiter.hit(key, rate)
    else:
        wait = await to_thread.run_sync(service.limiter.hit, key, rate)
    if wait > 0:
        retry = max(1, math.ceil(wait))
        raise ApiError(
            429,
            "rate_limited",
            f"Too many requests from this {who}; retry in {retry} s.",
            headers={"Retry-After": str(retry)},
        )


async def limit_ip(request: Request, service: ServiceDep) -> None:
    """Charge the request to the client address's bucket (429 when empty)."""
    address = client_address(request.scope)
    await _take(service, f"ip:{address}", service.settings.rate_ip, "address")


async def current_customer(
    service: ServiceDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    request: Request,
) -> str:
    """The customer the bearer token stands for (401 otherwise), charged to its rate bucket."""
    header = request.headers.get("authorization")
    if credentials is not None:
        header = f"Bearer {credentials.credentials}"
    customer = authenticate(header, service.settings)
    await _take(service, f"customer:{customer}", service.settings.rate_customer, "customer")
    return customer


CustomerDep = Annotated[str, Depends(current_customer)]
