"""Metrics over HTTP: the body and content type of a Prometheus scrape."""

from __future__ import annotations

from app.observability.metrics import PROMETHEUS_CONTENT_TYPE, SupportMetrics


def metrics_payload(metrics: SupportMetrics) -> tuple[bytes, str]:
    """The body and content type of a Prometheus scrape of ``metrics``."""
    return metrics.prometheus_text(), PROMETHEUS_CONTENT_TYPE
