"""Chroma embedding function over the offline wordllama model (Chroma's default downloads)."""

from __future__ import annotations

from typing import Any

from chromadb.api.types import Documents, EmbeddingFunction, Embeddings

from tools.embedding import embed


class WordLlamaEmbeddingFunction(EmbeddingFunction[Documents]):
    """Chroma embedding function backed by the offline wordllama model (never downloads)."""

    def __init__(self) -> None:
        """No settings: the model is the one shipped in the wordllama wheel."""

    def __call__(self, input: Documents) -> Embeddings:
        """Embed ``input`` documents as unit-length float vectors."""
        return list(embed(list(input)))

    @staticmethod
    def name() -> str:
        """Name recorded in the collection's configuration."""
        return "switchboard-wordllama"

    def get_config(self) -> dict[str, Any]:
        """Serializable configuration (nothing to configure)."""
        return {}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> WordLlamaEmbeddingFunction:
        """Rebuild from a stored configuration."""
        return WordLlamaEmbeddingFunction()

    def default_space(self) -> str:  # type: ignore[override]
        """Cosine distance suits normalised mean-pooled vectors."""
        return "cosine"
