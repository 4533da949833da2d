"""Expose metrics over HTTP: a ``/metrics`` route for the FastAPI server (Prometheus text)."""

from __future__ import annotations

from typing import Any

from app.observability.metrics import PROMETHEUS_CONTENT_TYPE, SupportMetrics


def metrics_payload(metrics: SupportMetrics) -> tuple[bytes, str]:
    """The body and content type of a Prometheus scrape of ``metrics``."""
    return metrics.prometheus_text(), PROMETHEUS_CONTENT_TYPE


def mount_metrics(app: Any, metrics: SupportMetrics, path: str = "/metrics") -> None:
    """Add ``GET path`` to the FastAPI ``app``, serving ``metrics`` in Prometheus text format."""
    from fastapi import Response

    def scrape() -> Response:
        body, content_type = metrics_payload(metrics)
        return Response(content=body, media_type=content_type)

    app.add_api_route(path, scrape, methods=["GET"], include_in_schema=False)
