"""Switchboard llm package."""
