"""Where Switchboard keeps runtime files (databases, caches, models): outside the source tree."""

from __future__ import annotations

import os
from pathlib import Path


def data_dir() -> Path:
    """Return the data directory (``$SWITCHBOARD_DATA_DIR`` or ``~/.local/share/switchboard``)."""
    raw = os.environ.get("SWITCHBOARD_DATA_DIR", "").strip()
    path = Path(raw).expanduser() if raw else Path.home() / ".local" / "share" / "switchboard"
    path.mkdir(parents=True, exist_ok=True)
    return path


def repo_root() -> Path:
    """Return the repository root (the directory holding ``data/`` and ``prompts/``)."""
    return Path(__file__).resolve().parent.parent


def cache_dir() -> Path:
    """Rebuildable caches (trained classifiers, assembled models): ``$SWITCHBOARD_CACHE_DIR``
    or ``~/.cache/switchboard``. Kept apart from the data directory so that tests with a
    throw-away data directory still reuse them."""
    raw = os.environ.get("SWITCHBOARD_CACHE_DIR", "").strip()
    path = Path(raw).expanduser() if raw else Path.home() / ".cache" / "switchboard"
    path.mkdir(parents=True, exist_ok=True)
    return path
