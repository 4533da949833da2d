"""The FastAPI application: ``create_app()`` (also uvicorn's factory for several workers)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from anyio import to_thread
from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles

from agents.guards.logging import install_pii_masking
from app.server import errors
from app.server.deps import limit_ip
from app.server.limits import BodyLimits
from app.server.routes_meta import WEB_DIR, dev_router
from app.server.routes_meta import router as meta_router
from app.server.routes_threads import router as threads_router
from app.server.routes_turns import router as turns_router
from app.server.service import Service
from app.server.settings import ServerSettings

log = logging.getLogger("switchboard.server")

DESCRIPTION = """
Switchboard's HTTP API: multi-turn customer-support conversations over the support graph.

* Authenticate with `Authorization: Bearer <token>`; each token stands for one customer, and a
  thread belongs to the customer who created it (others get 403).
* `POST /v1/threads/{id}/messages` streams the turn as server-sent events; send
  `Accept: application/json` to get the final result as one JSON object instead.
* One turn runs at a time per thread, across worker processes; see docs/service.md for the
  busy policy, crash recovery and limits.
* Every error has the body `{"error": {"code", "message", "fields"}}`.
"""


async def _janitor(service: Service) -> None:
    """Every few seconds, finish inbox entries left behind by crashed workers or gone clients."""
    while True:
        await asyncio.sleep(service.settings.janitor_interval)
        try:
            await service.sweep()
        except Exception as error:  # keep sweeping; a DB hiccup must not stop recovery
            log.warning("Inbox sweep failed: %s", error)


def create_app(settings: ServerSettings | None = None) -> FastAPI:
    """The application for ``settings`` (default: read from the environment now)."""
    resolved = settings or ServerSettings.from_env()
    install_pii_masking()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        service = Service(resolved)
        await to_thread.run_sync(service.start)
        app.state.service = service
        janitor = asyncio.create_task(_janitor(service))
        try:
            yield
        finally:
            janitor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await janitor
            app.state.service = None
            await to_thread.run_sync(service.close)

    app = FastAPI(
        title="Switchboard",
        version="1",
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    errors.install(app)
    app.add_middleware(BodyLimits, max_bytes=resolved.max_body_bytes)
    api = [Depends(limit_ip)]
    app.include_router(threads_router, prefix="/v1", dependencies=api)
    app.include_router(turns_router, prefix="/v1", dependencies=api)
    app.include_router(dev_router, prefix="/v1")
    app.include_router(meta_router)
    app.mount("/static", StaticFiles(directory=WEB_DIR), name="static")
    return app
