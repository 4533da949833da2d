"""Switchboard conversation package."""
