"""The store interface: where clause vectors (and, with Milvus, clause tokens for BM25) are searched.

Two implementations, ``FaissStore`` (``qa.search.stores.faiss_store``, the default) and
``MilvusStore`` (``qa.search.stores.milvus_store``), chosen once from ``--store`` /
``QA_STORE`` by ``qa.search.stores.factory``. The clause table, sentence vectors and
manifest always stay in the local index folder; a store only answers "which clauses
are nearest" and "how near is each" (and, for Milvus, the BM25 full-text search).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from qa.errors import StoreError

# Exact search is fast enough up to this many clauses (qa bench --scale: p95 8 ms at 100k);
# above it IVF with 4·√n lists, 512 of them (or an eighth, if more) probed: recall@10 0.97
# at 1M in 11 ms, built in 90 s, where HNSW32 needed efSearch 2048 for 0.96 and 240 s
# (README, "Scaling"). Recall follows the number of lists probed more than their share.
FLAT_MAX = 100_000
IVF_PROBES = 512
IVF_PROBE_SHARE = 8
# (query tokens, weight): the question's own words, then expansion terms at a lower weight
TermGroups = Sequence[tuple[Sequence[str], float]]


@dataclass(frozen=True)
class StoreSpec:
    """A parsed ``--store`` value."""

    kind: str  # "faiss" | "milvus"
    uri: str = ""  # Milvus: "http://host:port" or an absolute Milvus Lite file path
    token: str = field(default="", repr=False, compare=False)  # a Milvus server's credentials; never recorded

    @classmethod
    def parse(cls, text: str | None, token: str = "") -> StoreSpec:
        text = (text or "faiss").strip()
        if text == "faiss":
            return cls("faiss")
        m = re.fullmatch(r"milvus://([^/:]+)(?::(\d+))?/?", text)
        if m:
            return cls("milvus", f"http://{m.group(1)}:{m.group(2) or 19530}", token)
        if re.match(r"https?://", text):
            return cls("milvus", text.rstrip("/"), token)
        if text.endswith(".db"):
            return cls("milvus", str(Path(text).expanduser().resolve()))
        raise StoreError(f"unknown store {text!r}: use faiss, milvus://host:port or a Milvus Lite file path ending in .db")

    @property
    def name(self) -> str:
        """As recorded in the manifest; ``parse`` reads it back."""
        return self.uri if self.kind == "milvus" else "faiss"


class Store(Protocol):
    """Dense (and possibly full-text) search over the clauses of one index build."""

    full_text: bool

    def search(self, qv: np.ndarray, k: int) -> np.ndarray:
        """Positions of the ``k`` clauses nearest to ``qv`` (best first)."""
        ...

    def score(self, qv: np.ndarray, positions: np.ndarray) -> np.ndarray:
        """Cosine of ``qv`` with each clause at ``positions``."""
        ...

    def text_search(self, groups: TermGroups, k: int, also: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """BM25: the top ``k`` positions united with ``also``, and each one's weighted score."""
        ...


def dense_kind(n: int) -> str:
    """The dense index for ``n`` clauses: "Flat", or "IVF<lists>,SQ8"."""
    return "Flat" if n <= FLAT_MAX else f"IVF{ivf_lists(n)},SQ8"


def ivf_lists(n: int) -> int:
    return max(16, int(4 * np.sqrt(n)))


def ivf_probes(lists: int) -> int:
    return min(lists, max(IVF_PROBES, -(-lists // IVF_PROBE_SHARE)))
