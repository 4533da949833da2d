"""Health, readiness, metrics, dev-mode demo login and the web chat page."""

from __future__ import annotations

import os
from pathlib import Path

from anyio import to_thread
from fastapi import APIRouter, Depends
from fastapi.responses import FileResponse, JSONResponse, Response

from app.observability.http import metrics_payload
from app.observability.metrics import PROMETHEUS_CONTENT_TYPE
from app.server.auth import dev_token
from app.server.deps import ServiceDep, limit_ip
from app.server.errors import ApiError, responses
from app.server.schemas import DemoCustomer, DevLoginRequest, Health, TokenOut

WEB_DIR = Path(__file__).resolve().parent.parent / "web"

router = APIRouter()
dev_router = APIRouter(tags=["dev"], dependencies=[Depends(limit_ip)])


@router.get("/healthz", response_model=Health, tags=["ops"], summary="Liveness")
async def healthz() -> Health:
    """The process is up."""
    return Health(status="ok", worker=os.getpid())


@router.get(
    "/readyz",
    response_model=Health,
    responses={503: {"model": Health, "description": "a dependency is down"}},
    tags=["ops"],
    summary="Readiness (database, Redis)",
)
async def readyz(service: ServiceDep) -> JSONResponse:
    """Whether this worker can serve turns: its database (and Redis, when configured) answer."""
    checks = await to_thread.run_sync(service.ready)
    healthy = all(value == "ok" for value in checks.values())
    body = Health(status="ok" if healthy else "unavailable", checks=checks, worker=os.getpid())
    return JSONResponse(body.model_dump(), status_code=200 if healthy else 503)


@router.get(
    "/metrics",
    tags=["ops"],
    summary="Prometheus metrics of this worker",
    response_class=Response,
    responses={200: {"content": {PROMETHEUS_CONTENT_TYPE: {}}}},
)
async def metrics(service: ServiceDep) -> Response:
    """Turns, latency per turn and node, model calls, prompt tokens per section, retrieval
    hits, classifier path and handoffs of this worker process, in Prometheus text format."""
    if service.observability is None:
        raise ApiError(503, "not_ready", "The worker is still starting; retry in a moment.")
    body, content_type = metrics_payload(service.observability.metrics)
    return Response(content=body, media_type=content_type)


def _require_dev(service: ServiceDep) -> None:
    if not service.settings.dev_login:
        raise ApiError(
            404,
            "dev_login_disabled",
            "Dev login is off. Set SWITCHBOARD_DEV_LOGIN=1 (local use only) or use a token from "
            "SWITCHBOARD_API_TOKENS.",
        )


@dev_router.post(
    "/dev/login",
    response_model=TokenOut,
    responses=responses(404, 413, 415, 422, 429),
    summary="Get a demo token (dev mode only)",
)
async def dev_login(body: DevLoginRequest, service: ServiceDep) -> TokenOut:
    """Issue a signed demo token for an existing customer (only with SWITCHBOARD_DEV_LOGIN=1)."""
    _require_dev(service)
    customers = await to_thread.run_sync(service.demo_customers)
    if body.customer_id not in {c.customer_id for c in customers}:
        raise ApiError(
            422,
            "unknown_customer",
            f"No customer {body.customer_id!r} in the store; pick one from GET /v1/dev/customers.",
            ["body.customer_id"],
        )
    return TokenOut(
        token=dev_token(service.settings.dev_secret, body.customer_id),
        customer_id=body.customer_id,
    )


@dev_router.get(
    "/dev/customers",
    response_model=list[DemoCustomer],
    responses=responses(404, 429),
    summary="Demo customers (dev mode only)",
)
async def dev_customers(service: ServiceDep) -> list[DemoCustomer]:
    """Customers of the demo store, for the web page's sign-in list."""
    _require_dev(service)
    return await to_thread.run_sync(service.demo_customers)


@router.get("/", include_in_schema=False)
async def index() -> FileResponse:
    """The web chat page."""
    return FileResponse(WEB_DIR / "index.html", headers={"Cache-Control": "no-cache"})
