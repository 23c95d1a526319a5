"""Restricting a search to some documents, regions or years."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Filters:
    """Restrict results to some documents, regions or years (empty = no restriction)."""

    docs: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    years: tuple[int, ...] = ()

    def empty(self) -> bool:
        return not (self.docs or self.regions or self.years)

    def allows(self, doc_id: str, region: str, year: int | None) -> bool:
        return (
            (not self.docs or doc_id in self.docs)
            and (not self.regions or region in self.regions)
            and (not self.years or year in self.years)
        )


def allowed_mask(filters: Filters | None, doc_of: np.ndarray, docs: Iterable) -> np.ndarray | None:
    """Which clauses (by position) the filters allow; None when nothing is filtered.

    ``doc_of`` is each clause's document id; ``docs`` the documents' records
    (``doc_id``, ``region``, ``year``)."""
    if filters is None or filters.empty():
        return None
    ok = [d.doc_id for d in docs if filters.allows(d.doc_id, d.region, d.year)]
    return np.isin(doc_of, ok)
