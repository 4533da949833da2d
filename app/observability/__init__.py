"""Observability: run-tree capture, OpenTelemetry spans, LangSmith metadata, JSON logs, metrics."""
