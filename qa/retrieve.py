"""Retrieve clauses: dense (the index's store: FAISS or Milvus), lexical (BM25 over
jieba tokens, local or in Milvus), their fusion, query expansion and a second-stage
re-ranker.

First stage: ``w·dense + (1−w)·lexical`` over per-query min-max normalized scores of
the candidate set (the top clauses of either retriever); reciprocal-rank fusion is
kept for comparison. Expansion (``qa.expand``) adds policy terms to both sides.
Second stage (``qa.rerank``): a learned weighted sum of features over the top
candidates, then diversification across documents when a question asks what each
place says. All weights live in :class:`RetrievalConfig`; the shipped values were
chosen on the tuning half of the development set by ``qa eval --tune``.
"""

from __future__ import annotations

import json
import threading
from dataclasses import asdict, dataclass, replace
from importlib import resources
from typing import Literal, NamedTuple

import numpy as np

from qa.embed import Encoder
from qa.expand import Expander
from qa.index import Index
from qa.normalize import normalize_query
from qa.rerank import FEATURES, Candidate, diversify, features, regions_named, wants_each, weighted_share, without_title
from qa.tokens import tokenize

Mode = Literal["dense", "bm25", "hybrid", "rrf"]
MODES: tuple[Mode, ...] = ("bm25", "dense", "hybrid", "rrf")
RRF_K = 60
CANDIDATES = 100
CANDIDATE_CACHE = 200_000
PARAMS_FILE = "retrieval.json"


@dataclass(frozen=True)
class RetrievalConfig:
    """Every knob of retrieval, with the values ``qa eval --tune`` chose."""

    dense_weight: float = 0.5  # w in w·dense + (1−w)·lexical
    expand: bool = True
    expansion_weight: float = 0.5  # BM25 weight of the added terms relative to the question's own
    rerank: bool = True
    rerank_depth: int = 30
    rerank_weights: tuple[float, ...] = (1.0, 0.0, 0.0, 0.0, 0.0, 0.0)  # in the order of rerank.FEATURES
    diversify: bool = True
    # "no clause matches well": a large share of the question's words is unknown to the
    # corpus and the word lists, or the top dense cosine and the best clause's coverage are low
    no_match_unknown: float = 1.01
    no_match_dense: float = 0.86
    no_match_coverage: float = 0.5

    @classmethod
    def shipped(cls) -> RetrievalConfig:
        """The tuned configuration in ``qa/data/retrieval.json`` (defaults where absent)."""
        try:
            data = json.loads((resources.files("qa") / "data" / PARAMS_FILE).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls()
        data = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        if "rerank_weights" in data:
            w = tuple(data["rerank_weights"])
            data["rerank_weights"] = w + (0.0,) * (len(FEATURES) - len(w))  # a feature added later starts off
        return cls(**data)

    def to_json(self) -> dict:
        d = asdict(self)
        d["rerank_features"] = list(FEATURES)
        return d

    def baseline(self) -> RetrievalConfig:
        """The first stage alone: no expansion, no re-ranking, no diversification."""
        return replace(self, expand=False, rerank=False, diversify=False)


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
    unknown: float = 0.0  # share of the question's content words the corpus and word lists do not know


def _minmax(x: np.ndarray) -> np.ndarray:
    if x.size == 0:
        return x
    lo, hi = float(x.min()), float(x.max())
    return (x - lo) / (hi - lo) if hi > lo else np.zeros_like(x)


class Retriever:
    """Searches one loaded index with one encoder."""

    def __init__(self, index: Index, encoder: Encoder, config: RetrievalConfig | None = None) -> None:
        if encoder.fingerprint != index.manifest.model_fingerprint:
            raise ValueError(f"index was built with {index.manifest.model_name}, not {encoder.name}; run: qa index")
        self.index = index
        self.encoder = encoder
        self.config = config or RetrievalConfig.shipped()
        self.expander = Expander.default()
        self.store = index.store
        # BM25 runs in the store when it has full-text search (Milvus), else locally
        self.lexical = index.lexical
        self._doc_of = np.array([c.doc_id for c in index.chunks])
        self._region_of = {d.doc_id: d.region for d in index.docs.values()}
        self._regions = sorted({r for r in self._region_of.values() if r})
        self._candidates: dict[int, Candidate] = {}  # filled as clauses reach the re-ranker
        positions = np.arange(len(index.chunks))
        self._sent_start = np.searchsorted(index.sentence_owner, positions, side="left")
        self._sent_end = np.searchsorted(index.sentence_owner, positions, side="right")
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
        n = len(self.index.chunks)
        text = normalize_query(query)
        q_tokens = tokenize(text)
        if not text or n == 0:
            empty = np.zeros(0, dtype=np.float32)
            return Results(empty.astype(np.int64), empty, empty, empty, False, 0.0, 0.0, 1.0)
        exp = self.expander.expand(text) if cfg.expand else None
        extra = [t for t in tokenize(" ".join(exp.terms)) if t not in q_tokens] if exp else []
        groups = [(q_tokens, 1.0), (extra, cfg.expansion_weight)]
        lexical = self.store.text_search if self.store.full_text else self.lexical.search
        qv = self.encode_query(exp.text_for_dense(text) if exp else text)
        c = min(n, max(CANDIDATES, 4 * k))
        # candidates: the top c of each retriever; both scores are then exact for all of them
        cand, lx = lexical(groups, c, self.store.search(qv, c))
        mask = self._mask(filters)
        if mask is not None:
            keep = mask[cand]
            cand, lx = cand[keep], lx[keep]
            if cand.size < k:  # filters may exclude every candidate: score all allowed clauses
                cand, lx = lexical(groups, 0, np.flatnonzero(mask))
        d = self.store.score(qv, cand)
        if mode == "dense":
            fused = d.astype(np.float64)
        elif mode == "bm25":
            fused = lx + 1e-6 * d  # dense only breaks ties (e.g. no query word in the vocabulary)
        elif mode == "rrf":
            rd = np.empty(len(cand))
            rd[np.argsort(-d)] = np.arange(len(cand))
            rl = np.empty(len(cand))
            rl[np.argsort(-lx)] = np.arange(len(cand))
            fused = 1.0 / (RRF_K + rd + 1) + 1.0 / (RRF_K + rl + 1)
        else:
            fused = cfg.dense_weight * _minmax(d) + (1 - cfg.dense_weight) * _minmax(lx)
        order = np.argsort(-fused, kind="stable")
        q_terms = {t: 1.0 for t in q_tokens if len(t) > 1 or not t.isascii()}
        for t in extra:
            q_terms.setdefault(t, 0.5)
        regions = regions_named(text, self._regions)
        scores = fused
        if cfg.rerank and mode == "hybrid":
            top = order[: cfg.rerank_depth]
            positions = [int(cand[i]) for i in top]
            feats = features(
                text,
                q_terms,
                regions,
                fused[top],
                [self.candidate(p) for p in positions],
                self.idf,
                self.best_sentence(positions, qv),
            )
            rescored = feats @ np.asarray(cfg.rerank_weights, dtype=np.float32)
            # the re-ranked candidates stay above the rest, which keep their first-stage order
            scores = float(rescored.min()) - 1.0 + 0.5 * _minmax(fused.astype(np.float64))
            scores[top] = rescored
            order = np.argsort(-scores, kind="stable")
        if cfg.diversify and mode == "hybrid" and wants_each(text, regions):
            docs = [self._doc_of[int(i)] for i in cand]
            order = np.asarray(diversify(list(order), docs, lambda doc: self._region_of.get(doc, ""), regions, k))
        order = order[:k]
        ids = cand[order]
        top_dense = float(d.max()) if d.size else 0.0
        coverage = weighted_share(q_terms, self.candidate(int(ids[0])).tokens, self.idf, floor=1.0) if ids.size else 0.0
        unknown = self.unknown_share(q_tokens, exp)
        confident = (
            bool(ids.size)
            and unknown < cfg.no_match_unknown
            and (top_dense >= cfg.no_match_dense or coverage >= cfg.no_match_coverage)
        )
        return Results(ids, scores[order].astype(np.float32), d[order], lx[order], confident, top_dense, coverage, unknown)

    def unknown_share(self, q_tokens: list[str], exp) -> float:
        """Share of the question's content words found neither in the clauses nor in the word lists."""
        content = [t for t in q_tokens if (len(t) > 1 or not t.isascii()) and not t.isdigit()]
        if not content:
            return 0.0
        unknown = [t for t in content if t not in self.lexical and not (exp is not None and exp.covers(t))]
        return len(unknown) / len(content)

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
