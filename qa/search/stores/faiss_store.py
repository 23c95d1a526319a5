"""The default store: exact search over memory-mapped vectors, FAISS IVF above ``FLAT_MAX``.

Nothing to start. Up to ``FLAT_MAX`` clauses the query is compared with every vector
(memory-mapped ``vectors.npy``); above it a FAISS IVF index over 8-bit codes
(``dense.faiss``) finds candidates, whose scores are then exact, from the float
vectors (a quarter of the memory of IVF-Flat, the same recall). Lexical search stays
local (``qa.search.lexical``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from qa.search.lexical import top_k
from qa.search.stores.base import TermGroups, dense_kind, ivf_lists, ivf_probes

IVF_TRAIN_PER_LIST = 50


class FaissStore:
    """Exact search over the memory-mapped vectors, or FAISS IVF above FLAT_MAX."""

    full_text = False

    def __init__(self, vectors: np.ndarray, ann=None) -> None:
        self.vectors = vectors
        self.ann = ann

    @staticmethod
    def write(folder: Path, vectors: np.ndarray, force: str = "") -> str:
        """Write the ANN structure the size calls for (none for exact search); returns its kind.
        ``force="IVF"`` builds the IVF index whatever the size (benchmarks, tests)."""
        kind = f"IVF{ivf_lists(len(vectors))},SQ8" if force == "IVF" else dense_kind(len(vectors))
        if kind != "Flat":
            import faiss

            n, dim = vectors.shape
            lists = ivf_lists(n)
            index = faiss.IndexIVFScalarQuantizer(
                faiss.IndexFlatIP(dim), dim, lists, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT
            )
            sample = np.random.default_rng(0).choice(n, size=min(n, IVF_TRAIN_PER_LIST * lists), replace=False)
            index.train(np.ascontiguousarray(vectors[np.sort(sample)], dtype=np.float32))
            for start in range(0, n, 100_000):  # in slices: the vectors may be memory-mapped
                index.add(np.ascontiguousarray(vectors[start : start + 100_000], dtype=np.float32))
            faiss.write_index(index, str(folder / "dense.faiss"))
        return kind

    @classmethod
    def open(cls, folder: Path, vectors: np.ndarray, kind: str) -> FaissStore:
        if kind == "Flat":
            return cls(vectors)
        import faiss

        ann = faiss.read_index(str(folder / "dense.faiss"))
        if ann.ntotal != len(vectors):
            raise ValueError("dense.faiss does not match vectors.npy")
        faiss.extract_index_ivf(ann).nprobe = ivf_probes(faiss.extract_index_ivf(ann).nlist)
        return cls(vectors, ann)

    def search(self, qv: np.ndarray, k: int) -> np.ndarray:
        if self.ann is None:
            return top_k(np.asarray(self.vectors @ qv), k)
        _, ids = self.ann.search(np.asarray(qv, dtype=np.float32)[None, :], k)
        return ids[0][ids[0] >= 0]

    def score(self, qv: np.ndarray, positions: np.ndarray) -> np.ndarray:
        return np.asarray(self.vectors[positions] @ qv)

    def text_search(self, groups: TermGroups, k: int, also: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError("the FAISS store has no full-text search; lexical search is local")
