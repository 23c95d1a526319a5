"""Candidates: the clauses worth scoring for a question, with both of their scores.

The union of the lexical top ``c`` (for the question's words and for its expansion
terms) and the dense top ``c``; for every one of them both scores are then exact, so
fusion never compares a score with a missing one. With filters, only allowed clauses
stay; when fewer than ``k`` of the candidates are allowed, every allowed clause is
scored instead.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from qa.search.stores import Store, TermGroups

# (term groups, k, positions to include) -> (positions, weighted BM25 of each)
LexicalSearch = Callable[[TermGroups, int, np.ndarray], tuple[np.ndarray, np.ndarray]]


class Candidates(NamedTuple):
    positions: np.ndarray  # into the clause table
    lexical: np.ndarray  # weighted BM25 of each
    dense: np.ndarray  # cosine of each with the query vector


def gather(
    store: Store,
    lexical: LexicalSearch,
    groups: TermGroups,
    qv: np.ndarray,
    c: int,
    k: int,
    mask: np.ndarray | None = None,
) -> Candidates:
    pos, lx = lexical(groups, c, store.search(qv, c))
    if mask is not None:
        keep = mask[pos]
        pos, lx = pos[keep], lx[keep]
        if pos.size < k:  # filters may exclude most candidates: score all allowed clauses
            pos, lx = lexical(groups, 0, np.flatnonzero(mask))
    dense = store.score(qv, pos) if pos.size else np.zeros(0, dtype=np.float32)
    return Candidates(pos, lx, dense)
