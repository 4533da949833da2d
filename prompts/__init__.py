"""Switchboard prompts package."""
