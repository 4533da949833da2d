"""Adversarial suite: hostile inputs through the real graph, the HTTP API and the logs."""
