"""Switchboard's HTTP service: FastAPI app, turn streaming, auth, limits and the web page."""
