"""Switchboard benchmarks package."""
