"""Offline sentence embeddings from the ``wordllama`` package, whose weights ship in its wheel."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import wordllama as package
from wordllama import WordLlama

if TYPE_CHECKING:
    from wordllama.inference import WordLlamaInference

EMBEDDING_DIM = 256
"""Width of the ``l2_supercat_256`` vectors shipped in the wordllama wheel."""


@cache
def wordllama() -> WordLlamaInference:
    """The wordllama model, loaded once per process from the installed package (never downloads)."""
    package_dir = Path(package.__file__).resolve().parent
    try:
        return WordLlama.load(
            config="l2_supercat", dim=EMBEDDING_DIM, cache_dir=package_dir, disable_download=True
        )
    except FileNotFoundError as exc:
        raise RuntimeError(
            f"wordllama weights are missing from {package_dir}/weights; reinstall the pinned "
            "package with `uv sync --reinstall-package wordllama` (no download is attempted)."
        ) from exc


def token_ids(text: str) -> list[int]:
    """Token ids of ``text`` in the wordllama vocabulary (no special tokens)."""
    ids: list[int] = wordllama().tokenizer.encode(text, add_special_tokens=False).ids
    return ids


def embed_one(text: str) -> np.ndarray:
    """Mean-pooled, L2-normalised embedding of one text (fast path: no padding, no batching)."""
    model = wordllama()
    ids = token_ids(text)
    if not ids:
        return np.zeros(EMBEDDING_DIM, dtype=np.float32)
    vector = model.embedding[ids].mean(axis=0)
    norm = float(np.linalg.norm(vector))
    return (vector / norm if norm > 0 else vector).astype(np.float32)


def embed(texts: Sequence[str]) -> np.ndarray:
    """L2-normalised embeddings of many texts, shape ``(len(texts), EMBEDDING_DIM)``."""
    if not texts:
        return np.zeros((0, EMBEDDING_DIM), dtype=np.float32)
    return np.vstack([embed_one(text) for text in texts])
