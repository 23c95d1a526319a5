"""First stage: fuse the dense and lexical scores of the candidates into one ranking score.

``hybrid`` is a convex combination ``w·dense + (1−w)·lexical`` of per-query min-max
normalized scores; ``rrf`` (reciprocal-rank fusion) is kept for comparison; ``dense``
and ``bm25`` rank by one retriever alone.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

Mode = Literal["dense", "bm25", "hybrid", "rrf"]
MODES: tuple[Mode, ...] = ("bm25", "dense", "hybrid", "rrf")


def minmax(x: np.ndarray) -> np.ndarray:
    """``x`` scaled to [0, 1] over its own range (all zeros when flat)."""
    if x.size == 0:
        return x
    lo, hi = float(x.min()), float(x.max())
    return (x - lo) / (hi - lo) if hi > lo else np.zeros_like(x)


def ranks(x: np.ndarray) -> np.ndarray:
    """0 for the highest score, 1 for the next …"""
    r = np.empty(len(x))
    r[np.argsort(-x)] = np.arange(len(x))
    return r


def fuse(mode: Mode, dense: np.ndarray, lexical: np.ndarray, dense_weight: float, rrf_k: int = 60) -> np.ndarray:
    """One score per candidate (higher is better) from its dense and lexical scores."""
    if mode == "dense":
        return dense.astype(np.float64)
    if mode == "bm25":
        return lexical + 1e-6 * dense  # dense only breaks ties (e.g. no query word in the vocabulary)
    if mode == "rrf":
        return 1.0 / (rrf_k + ranks(dense) + 1) + 1.0 / (rrf_k + ranks(lexical) + 1)
    return dense_weight * minmax(dense) + (1 - dense_weight) * minmax(lexical)
