"""Features and calibrated softmax heads behind the local intent classifier (numpy only)."""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from tools.embedding import EMBEDDING_DIM, embed_one

HASH_DIM = 2048
"""Buckets for hashed word and character n-grams (robust to misspellings)."""
HASH_WEIGHT = 1.0
"""Scale of the hashed n-gram block relative to the unit-length embedding block."""
FEATURE_DIM = EMBEDDING_DIM + HASH_DIM
FEATURE_VERSION = "wl256+hash2048x1.0/w12c345/ids/f3"
"""Changes whenever featurisation changes, so cached models are retrained."""

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


@dataclass(frozen=True)
class SparseHashed:
    """The hashed n-gram block of one text as (bucket indices, values), L2-normalised."""

    indices: np.ndarray
    values: np.ndarray


def words(text: str) -> list[str]:
    """Lower-cased word tokens of ``text``."""
    return _WORD.findall(text.lower())


def shape(token: str) -> str:
    """Token as hashed: numbers become ``<num>`` and ids such as ``b20003`` become ``<id>``."""
    if not any(ch.isdigit() for ch in token):
        return token
    return "<num>" if token.isdigit() else "<id>"


def ngrams(text: str) -> list[str]:
    """Word unigrams and bigrams plus character 3-5-grams of each padded (non-id) word."""
    tokens = [shape(t) for t in words(text)]
    grams = [f"w:{t}" for t in tokens]
    grams += [f"b:{a}_{b}" for a, b in pairwise(tokens)]
    for token in tokens:
        if token.startswith("<"):
            continue
        padded = f"<{token}>"
        for size in (3, 4, 5):
            grams += [f"c:{padded[i : i + size]}" for i in range(len(padded) - size + 1)]
    return grams


def hashed(text: str) -> SparseHashed:
    """Hash the n-grams of ``text`` into ``HASH_DIM`` buckets (stable across processes)."""
    counts: dict[int, float] = {}
    for gram in ngrams(text):
        bucket = zlib.crc32(gram.encode()) % HASH_DIM
        counts[bucket] = counts.get(bucket, 0.0) + 1.0
    if not counts:
        return SparseHashed(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32))
    indices = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
    values = np.sqrt(np.fromiter(counts.values(), dtype=np.float32, count=len(counts)))
    values *= HASH_WEIGHT / float(np.linalg.norm(values))
    return SparseHashed(indices, values)


def dense_features(texts: Sequence[str]) -> np.ndarray:
    """Dense feature matrix ``(len(texts), FEATURE_DIM)`` for training."""
    matrix = np.zeros((len(texts), FEATURE_DIM), dtype=np.float32)
    for row, text in enumerate(texts):
        matrix[row, :EMBEDDING_DIM] = embed_one(text)
        sparse = hashed(text)
        np.add.at(matrix[row], EMBEDDING_DIM + sparse.indices, sparse.values)
    return matrix


@dataclass(frozen=True)
class SoftmaxHead:
    """A linear softmax classifier with a fitted temperature (calibrated probabilities)."""

    labels: tuple[str, ...]
    weights: np.ndarray  # (FEATURE_DIM, n_labels)
    bias: np.ndarray  # (n_labels,)
    temperature: float

    def logits(self, embedding: np.ndarray, sparse: SparseHashed) -> np.ndarray:
        """Raw scores for one text from its embedding and hashed block."""
        scores = embedding @ self.weights[:EMBEDDING_DIM] + self.bias
        if sparse.indices.size:
            scores = scores + sparse.values @ self.weights[EMBEDDING_DIM + sparse.indices]
        return np.asarray(scores, dtype=np.float64)

    def probabilities(self, logits: np.ndarray) -> np.ndarray:
        """Temperature-scaled softmax of ``logits`` (last axis)."""
        return softmax(logits / self.temperature)


def softmax(logits: np.ndarray) -> np.ndarray:
    """Numerically stable softmax over the last axis."""
    shifted = logits - logits.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    return np.asarray(exp / exp.sum(axis=-1, keepdims=True))


def fit_linear(
    features: np.ndarray,
    targets: np.ndarray,
    n_labels: int,
    l2: float = 1e-3,
    steps: int = 150,
    learning_rate: float = 0.1,
) -> tuple[np.ndarray, np.ndarray]:
    """Class-balanced multinomial logistic regression fitted with full-batch Adam."""
    n, dim = features.shape
    features = np.ascontiguousarray(features, dtype=np.float32)
    counts = np.bincount(targets, minlength=n_labels).astype(np.float32)
    sample_weight = (n / (n_labels * np.maximum(counts, 1.0)))[targets]
    sample_weight /= sample_weight.sum()
    onehot = np.eye(n_labels, dtype=np.float32)[targets]
    params = [np.zeros((dim, n_labels), np.float32), np.zeros(n_labels, np.float32)]
    moments = [np.zeros_like(p) for p in params]
    velocities = [np.zeros_like(p) for p in params]
    for step in range(1, steps + 1):
        probs = softmax(features @ params[0] + params[1])
        error = (probs - onehot) * sample_weight[:, None]
        grads = [features.T @ error + l2 * params[0], error.sum(axis=0)]
        for p, g, m, v in zip(params, grads, moments, velocities, strict=True):
            m *= 0.9
            m += 0.1 * g
            v *= 0.999
            v += 0.001 * g * g
            p -= learning_rate * (m / (1 - 0.9**step)) / (np.sqrt(v / (1 - 0.999**step)) + 1e-8)
    return params[0].astype(np.float32), params[1].astype(np.float32)


def fit_temperature(logits: np.ndarray, targets: np.ndarray) -> float:
    """Temperature minimising the negative log-likelihood of held-out ``logits``."""
    best_t, best_nll = 1.0, float("inf")
    for t in np.exp(np.linspace(np.log(0.05), np.log(20.0), 121)):
        probs = softmax(logits / t)
        nll = -float(np.mean(np.log(probs[np.arange(len(targets)), targets] + 1e-12)))
        if nll < best_nll:
            best_t, best_nll = float(t), nll
    return best_t


def fold_ids(targets: np.ndarray, n_folds: int) -> np.ndarray:
    """Deterministic stratified fold number of each example."""
    folds = np.zeros(len(targets), dtype=np.int64)
    for label in np.unique(targets):
        members = np.flatnonzero(targets == label)
        folds[members] = np.arange(len(members)) % n_folds
    return folds


def train_head(
    features: np.ndarray,
    labels: Sequence[str],
    classes: Sequence[str],
    l2: float = 1e-3,
    n_folds: int = 3,
) -> SoftmaxHead:
    """Fit a head on all examples; its temperature is fitted on out-of-fold logits."""
    index = {label: i for i, label in enumerate(classes)}
    targets = np.array([index[label] for label in labels], dtype=np.int64)
    out_of_fold = np.zeros((len(targets), len(classes)))
    folds = fold_ids(targets, n_folds)
    for fold in range(n_folds):
        train, test = folds != fold, folds == fold
        weights, bias = fit_linear(features[train], targets[train], len(classes), l2=l2)
        out_of_fold[test] = features[test] @ weights + bias
    weights, bias = fit_linear(features, targets, len(classes), l2=l2)
    return SoftmaxHead(tuple(classes), weights, bias, fit_temperature(out_of_fold, targets))
