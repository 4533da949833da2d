"""Switchboard agents package."""
