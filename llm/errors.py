"""Errors raised by the model layer, each with a message that names the problem and the fix."""

from __future__ import annotations


class ModelConfigError(ValueError):
    """A model spec, key, package or model file is wrong; the message says how to fix it."""


class ModelFileError(ModelConfigError):
    """A local model file is missing, incomplete or fails its pinned sha256 check."""


class PromptTooLongError(ValueError):
    """The rendered prompt does not fit the local model's context window."""


class ModelUnavailableError(RuntimeError):
    """Every configured model failed (after retries and fallbacks) for this call."""

    def __init__(self, message: str, failures: list[str] | None = None) -> None:
        super().__init__(message)
        self.failures: list[str] = list(failures or [])
