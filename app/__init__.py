"""Switchboard app package."""
