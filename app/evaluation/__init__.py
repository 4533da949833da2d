"""Evaluation: scenario suites with pass^k, and the τ²-bench telecom adapter."""
