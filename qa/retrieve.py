"""Retrieve clauses: dense (FAISS), lexical (BM25 over jieba tokens) and their fusion.

Fusion is a convex combination of per-query min-max normalized scores over the
candidate set (the top clauses of either retriever): ``w·dense + (1−w)·lexical``.
The weight is chosen on the development set (``qa eval --sweep``); reciprocal-rank
fusion is kept as an option for comparison.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Literal, NamedTuple

import bm25s
import numpy as np

from qa.embed import Encoder
from qa.index import Index, embed_text
from qa.normalize import normalize_query
from qa.tokens import tokenize

Mode = Literal["dense", "bm25", "hybrid", "rrf"]
MODES: tuple[Mode, ...] = ("bm25", "dense", "hybrid", "rrf")
# Weight of the dense score in hybrid fusion, chosen by `qa eval --sweep` on the dev set.
DENSE_WEIGHT = 0.5
RRF_K = 60
CANDIDATES = 100
# "No clause matches well": both signals below these (calibrated by `qa eval`).
NO_MATCH_DENSE = 0.86
NO_MATCH_COVERAGE = 0.5


@dataclass(frozen=True)
class Filters:
    """Restrict results to some documents, regions or years (empty = no restriction)."""

    docs: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    years: tuple[int, ...] = ()

    def empty(self) -> bool:
        return not (self.docs or self.regions or self.years)


class Results(NamedTuple):
    """Top clauses for one query: positions into ``Index.chunks`` and their scores."""

    ids: np.ndarray
    scores: np.ndarray
    dense: np.ndarray
    lexical: np.ndarray
    confident: bool
    top_dense: float
    coverage: float


@dataclass
class LexicalIndex:
    """BM25 over the clauses' tokens; tokenizing stays outside, in ``qa.tokens``."""

    tokens: list[list[str]]
    bm25: bm25s.BM25 = field(init=False)

    def __post_init__(self) -> None:
        self.bm25 = bm25s.BM25(k1=1.2, b=0.75)
        # an empty clause still needs a row so that positions line up with the index
        self.bm25.index([t or [""] for t in self.tokens], show_progress=False)
        self.vocab = set(self.bm25.vocab_dict)

    def scores(self, query_tokens: list[str]) -> np.ndarray:
        known = [t for t in query_tokens if t in self.vocab]
        if not known:
            return np.zeros(len(self.tokens), dtype=np.float32)
        return np.asarray(self.bm25.get_scores(known), dtype=np.float32)


def _minmax(x: np.ndarray) -> np.ndarray:
    if x.size == 0:
        return x
    lo, hi = float(x.min()), float(x.max())
    return (x - lo) / (hi - lo) if hi > lo else np.zeros_like(x)


class Retriever:
    """Searches one loaded index with one encoder."""

    def __init__(self, index: Index, encoder: Encoder, dense_weight: float = DENSE_WEIGHT) -> None:
        if encoder.fingerprint != index.manifest.model_fingerprint:
            raise ValueError(f"index was built with {index.manifest.model_name}, not {encoder.name}; run: qa index")
        self.index = index
        self.encoder = encoder
        self.dense_weight = dense_weight
        self.chunk_tokens = [tokenize(embed_text(c)) for c in index.chunks]
        self.lexical = LexicalIndex(self.chunk_tokens)
        self._df: dict[str, int] = {}
        for toks in self.chunk_tokens:
            for t in set(toks):
                self._df[t] = self._df.get(t, 0) + 1
        self._doc_of = np.array([c.doc_id for c in index.chunks])
        self._query_cache: dict[str, np.ndarray] = {}
        self._cache_lock = threading.Lock()

    def encode_query(self, text: str) -> np.ndarray:
        """Query vector, cached: the same question asked again costs no model call."""
        v = self._query_cache.get(text)
        if v is None:
            v = self.encoder.encode_queries([text])[0]
            with self._cache_lock:  # the web page searches from several threads
                if len(self._query_cache) >= 1024:
                    self._query_cache.pop(next(iter(self._query_cache)))
                self._query_cache[text] = v
        return v

    def _mask(self, filters: Filters | None) -> np.ndarray | None:
        if filters is None or filters.empty():
            return None
        mask = np.ones(len(self.index.chunks), dtype=bool)
        if filters.docs:
            mask &= np.isin(self._doc_of, list(filters.docs))
        if filters.regions or filters.years:
            ok_docs = [
                d.doc_id
                for d in self.index.docs.values()
                if (not filters.regions or d.region in filters.regions) and (not filters.years or d.year in filters.years)
            ]
            mask &= np.isin(self._doc_of, ok_docs)
        return mask

    def search(self, query: str, k: int = 5, mode: Mode = "hybrid", filters: Filters | None = None) -> Results:
        """The ``k`` best clauses for ``query`` (normalized here, like the documents)."""
        n = len(self.index.chunks)
        text = normalize_query(query)
        q_tokens = tokenize(text)
        if not text or n == 0:
            empty = np.zeros(0, dtype=np.float32)
            return Results(empty.astype(np.int64), empty, empty, empty, False, 0.0, 0.0)
        qv = self.encode_query(text)
        lex = self.lexical.scores(q_tokens)
        c = min(n, max(CANDIDATES, 4 * k))
        if n <= 20_000:
            dense = self.index.vectors @ qv
            cand = np.union1d(np.argsort(-dense)[:c], np.argsort(-lex)[:c])
        else:
            _, top = self.index.dense.search(qv[None, :].astype(np.float32), c)
            cand = np.union1d(top[0][top[0] >= 0], np.argsort(-lex)[:c])
            dense = np.zeros(n, dtype=np.float32)
            dense[cand] = self.index.vectors[cand] @ qv
        mask = self._mask(filters)
        if mask is not None:
            allowed = np.flatnonzero(mask)
            cand = np.intersect1d(cand, allowed)
            if cand.size < k:  # filters may exclude every candidate: score all allowed clauses
                dense[allowed] = self.index.vectors[allowed] @ qv
                cand = allowed
        d, lx = dense[cand], lex[cand]
        if mode == "dense":
            fused = d
        elif mode == "bm25":
            fused = lx + 1e-6 * d  # dense only breaks ties (e.g. no query word in the vocabulary)
        elif mode == "rrf":
            rd = np.empty(len(cand))
            rd[np.argsort(-d)] = np.arange(len(cand))
            rl = np.empty(len(cand))
            rl[np.argsort(-lx)] = np.arange(len(cand))
            fused = 1.0 / (RRF_K + rd + 1) + 1.0 / (RRF_K + rl + 1)
        else:
            fused = self.dense_weight * _minmax(d) + (1 - self.dense_weight) * _minmax(lx)
        order = np.argsort(-fused, kind="stable")[:k]
        ids = cand[order]
        top_dense = float(d.max()) if d.size else 0.0
        coverage = self.coverage(q_tokens, int(ids[0])) if ids.size else 0.0
        confident = bool(ids.size) and (top_dense >= NO_MATCH_DENSE or coverage >= NO_MATCH_COVERAGE)
        return Results(ids, fused[order].astype(np.float32), d[order], lx[order], confident, top_dense, coverage)

    def query_terms(self, query: str) -> list[str]:
        """The query's distinct words as they are matched (normalized, stop words dropped)."""
        return list(dict.fromkeys(tokenize(normalize_query(query))))

    def idf(self, term: str) -> float:
        """Inverse document frequency of ``term`` over the clauses (0 when unseen)."""
        n = self._df.get(term, 0)
        return float(np.log(1 + (len(self.chunk_tokens) - n + 0.5) / (n + 0.5))) if n else 0.0

    def coverage(self, q_tokens: list[str], chunk_pos: int) -> float:
        """Share of the query's distinct content words that occur in the clause."""
        words = {t for t in q_tokens if len(t) > 1 or not t.isascii()}
        if not words:
            return 0.0
        have = set(self.chunk_tokens[chunk_pos])
        return len(words & have) / len(words)
