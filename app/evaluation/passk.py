"""pass^k: the chance that k independent runs of a scenario all succeed (τ-bench's estimator)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from math import comb


def pass_hat_k(trials: int, successes: int, k: int) -> float:
    """Unbiased estimate of pass^k from ``successes`` out of ``trials`` runs (k <= trials)."""
    if not 1 <= k <= trials:
        raise ValueError(f"k must be between 1 and the number of trials ({trials}), not {k}.")
    if not 0 <= successes <= trials:
        raise ValueError(f"successes must be between 0 and {trials}, not {successes}.")
    return comb(successes, k) / comb(trials, k)


def suite_pass_hat_k(outcomes: Mapping[str, Sequence[bool]], k: int) -> float:
    """Mean pass^k over scenarios, each with its list of trial outcomes."""
    if not outcomes:
        return 0.0
    scores = [pass_hat_k(len(runs), sum(runs), k) for runs in outcomes.values()]
    return sum(scores) / len(scores)


def pass_curve(outcomes: Mapping[str, Sequence[bool]]) -> dict[int, float]:
    """pass^k for every k from 1 to the smallest number of trials of any scenario."""
    if not outcomes:
        return {}
    most = min(len(runs) for runs in outcomes.values())
    return {k: suite_pass_hat_k(outcomes, k) for k in range(1, most + 1)}
