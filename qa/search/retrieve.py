"""Search one index: a short pipeline of named steps.

``Retriever.search`` runs, in order:

1. ``query.prepare`` — normalize, tokenize, expand (``qa.search.expand``), find places;
2. ``candidates.gather`` — the lexical and dense top clauses, both scores exact;
3. ``fusion.fuse`` — one first-stage score per candidate (hybrid, RRF, or one side);
4. ``rerank.features`` + ``rerank.rescore`` — the top ``rerank_depth`` re-scored;
5. ``diversify.diversify`` — the best clause of each place first, when asked for;
6. ``judge.judge`` — whether the first clause really answers (the confident flag).

Every weight and threshold comes from :class:`qa.search.config.RetrievalConfig`.
"""

from __future__ import annotations

import threading
from typing import NamedTuple

import numpy as np

from qa.ingest.normalize import normalize_query
from qa.models import Encoder
from qa.search.candidates import Candidates, gather
from qa.search.config import RetrievalConfig
from qa.search.diversify import diversify, wants_each
from qa.search.expand import Expander
from qa.search.filters import Filters, allowed_mask
from qa.search.fusion import Mode, fuse
from qa.search.index import Index
from qa.search.judge import judge, unknown_share
from qa.search.query import Query, prepare
from qa.search.rerank import Candidate, features, rescore, without_title
from qa.search.tokens import tokenize

CANDIDATE_CACHE = 200_000
QUERY_CACHE = 1024


class Results(NamedTuple):
    """Top clauses for one query: positions into ``Index.chunks`` and their scores."""

    ids: np.ndarray
    scores: np.ndarray
    dense: np.ndarray
    lexical: np.ndarray
    confident: bool
    top_dense: float
    coverage: float
    unknown: float = 0.0  # share of the question's content words the corpus and word lists do not know


def _empty(unknown: float) -> Results:
    empty = np.zeros(0, dtype=np.float32)
    return Results(empty.astype(np.int64), empty, empty, empty, False, 0.0, 0.0, unknown)


class Retriever:
    """Searches one loaded index with one encoder."""

    def __init__(self, index: Index, encoder: Encoder, config: RetrievalConfig | None = None) -> None:
        if encoder.fingerprint != index.manifest.model_fingerprint:
            raise ValueError(f"index was built with {index.manifest.model_name}, not {encoder.name}; run: qa index")
        self.index = index
        self.encoder = encoder
        self.config = config or RetrievalConfig.load()
        self.expander = Expander.default()
        self.store = index.store
        # BM25 runs in the store when it has full-text search (Milvus), else locally
        self.lexical = index.lexical
        self._lexical_search = self.store.text_search if self.store.full_text else self.lexical.search
        self._doc_of = np.array([c.doc_id for c in index.chunks])
        self._region_of = {d.doc_id: d.region for d in index.docs.values()}
        self._regions = sorted({r for r in self._region_of.values() if r})
        self._candidates: dict[int, Candidate] = {}  # filled as clauses reach the re-ranker
        positions = np.arange(len(index.chunks))
        self._sent_start = np.searchsorted(index.sentence_owner, positions, side="left")
        self._sent_end = np.searchsorted(index.sentence_owner, positions, side="right")
        self._query_cache: dict[str, np.ndarray] = {}
        self._cache_lock = threading.Lock()

    # -- the pipeline -----------------------------------------------------------------------

    def search(
        self,
        query: str,
        k: int = 5,
        mode: Mode = "hybrid",
        filters: Filters | None = None,
        config: RetrievalConfig | None = None,
    ) -> Results:
        """The ``k`` best clauses for ``query`` (normalized here, like the documents)."""
        cfg = config or self.config
        q = prepare(
            query, self.expander if cfg.expand else None, self._regions, cfg.expansion_weight, cfg.coverage_expansion_weight
        )
        if q.empty or not self.index.chunks:
            return _empty(1.0)
        qv = self.encode_query(q.dense_text)
        c = min(len(self.index.chunks), max(cfg.candidates, 4 * k))
        cands = gather(
            self.store, self._lexical_search, q.groups, qv, c, k, allowed_mask(filters, self._doc_of, self.index.docs.values())
        )
        if cands.positions.size == 0:  # the filters allow no clause at all
            return _empty(self.unknown_share(q))
        fused = fuse(mode, cands.dense, cands.lexical, cfg.dense_weight, cfg.rrf_k)
        scores = self._rerank(q, qv, cands, fused, cfg) if cfg.rerank and mode == "hybrid" else fused
        order = np.argsort(-scores, kind="stable")
        if cfg.diversify and mode == "hybrid" and wants_each(q.text, q.regions):
            docs = [self._doc_of[int(i)] for i in cands.positions]
            order = np.asarray(diversify(list(order), docs, lambda doc: self._region_of.get(doc, ""), q.regions, k))
        order = order[:k]
        ids = cands.positions[order]
        j = judge(
            bool(ids.size),
            float(cands.dense.max()),
            q.terms,
            self.candidate(int(ids[0])).tokens if ids.size else frozenset(),
            self.idf,
            self.unknown_share(q),
            max_unknown=cfg.no_match_unknown,
            min_dense=cfg.no_match_dense,
            min_coverage=cfg.no_match_coverage,
        )
        return Results(
            ids,
            scores[order].astype(np.float32),
            cands.dense[order],
            cands.lexical[order],
            j.confident,
            j.top_dense,
            j.coverage,
            j.unknown,
        )

    def _rerank(self, q: Query, qv: np.ndarray, cands: Candidates, fused: np.ndarray, cfg: RetrievalConfig) -> np.ndarray:
        top = np.argsort(-fused, kind="stable")[: cfg.rerank_depth]
        positions = [int(cands.positions[i]) for i in top]
        feats = features(
            q.text,
            q.terms,
            q.regions,
            fused[top],
            [self.candidate(p) for p in positions],
            self.idf,
            self.best_sentence(positions, qv),
        )
        return rescore(fused, top, feats, cfg.weight_vector())

    # -- what the steps read ----------------------------------------------------------------

    def encode_query(self, text: str) -> np.ndarray:
        """Query vector, cached: the same question asked again costs no model call."""
        v = self._query_cache.get(text)
        if v is None:
            v = self.encoder.encode_queries([text])[0]
            with self._cache_lock:  # the web page searches from several threads
                if len(self._query_cache) >= QUERY_CACHE:
                    self._query_cache.pop(next(iter(self._query_cache)))
                self._query_cache[text] = v
        return v

    def clear_cache(self) -> None:
        with self._cache_lock:
            self._query_cache.clear()

    def candidate(self, pos: int) -> Candidate:
        """The re-ranker's view of one clause (tokenized on first use, then kept)."""
        cand = self._candidates.get(pos)
        if cand is None:
            c = self.index.chunks[pos]
            title = self.index.docs[c.doc_id].title
            body = without_title(c.text, title)
            cand = Candidate(
                frozenset(tokenize(body)),
                frozenset(tokenize(" ".join(c.section) + " " + title)),
                body,
                self._region_of.get(c.doc_id, ""),
            )
            with self._cache_lock:
                if len(self._candidates) >= CANDIDATE_CACHE:
                    self._candidates.pop(next(iter(self._candidates)))
                self._candidates[pos] = cand
        return cand

    def unknown_share(self, q: Query) -> float:
        return unknown_share(q.tokens, q.expansion, self.lexical)

    def best_sentence(self, positions: list[int], qv: np.ndarray) -> np.ndarray:
        """For each clause, the cosine of its sentence closest to the query vector."""
        out = np.empty(len(positions), dtype=np.float32)
        vecs = self.index.sentence_vectors
        for j, p in enumerate(positions):
            a, b = self._sent_start[p], self._sent_end[p]
            out[j] = float((vecs[a:b] @ qv).max()) if b > a else float(self.store.score(qv, np.array([p]))[0])
        return out

    def query_terms(self, query: str) -> list[str]:
        """The query's distinct words as they are matched (normalized, stop words dropped)."""
        return list(dict.fromkeys(tokenize(normalize_query(query))))

    def idf(self, term: str) -> float:
        """Inverse document frequency of ``term`` over the clauses (0 when unseen)."""
        return self.lexical.idf(term)
