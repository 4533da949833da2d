"""Guardrails: input screening, grounded-reply checks, PII-safe logging (see docs/security.md)."""
