"""Switchboard tools package."""
