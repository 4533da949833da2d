"""Switchboard graphs package."""
