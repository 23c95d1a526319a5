"""Runs: each retriever variant over a set of questions, scored with ranx metrics."""

from __future__ import annotations

import statistics
import time
import warnings
from collections import defaultdict
from dataclasses import dataclass, field, replace

from ranx import Qrels, Run, evaluate

from qa.eval.dataset import Question
from qa.ingest.kinds import CONTACT, FURNITURE, SIGNOFF
from qa.ingest.normalize import normalize_query
from qa.measure import percentile
from qa.search import Mode, RetrievalConfig, Retriever
from qa.search.asks import read_question

METRICS = ["hit_rate@1", "hit_rate@3", "hit_rate@5", "hit_rate@10", "mrr@10", "ndcg@10"]
LABELS = {
    "hit_rate@1": "Hit@1",
    "hit_rate@3": "Hit@3",
    "hit_rate@5": "Hit@5",
    "hit_rate@10": "Hit@10",
    "mrr@10": "MRR@10",
    "ndcg@10": "nDCG@10",
}


@dataclass(frozen=True)
class Variant:
    name: str
    mode: Mode
    config: RetrievalConfig


def variants(shipped: RetrievalConfig) -> list[Variant]:
    """Each retriever and each mechanism added in turn, on the shipped weights."""
    base = shipped.baseline()
    return [
        Variant("bm25", "bm25", base),
        Variant("dense", "dense", base),
        Variant("rrf", "rrf", base),
        Variant("hybrid", "hybrid", base),
        Variant("+expand", "hybrid", replace(base, expand=True)),
        Variant("+rerank", "hybrid", replace(base, expand=True, rerank=True)),
        Variant("full", "hybrid", shipped),
    ]


@dataclass
class RunResult:
    name: str
    metrics: dict[str, float]
    by_style: dict[str, dict[str, float]]
    no_answer: dict[str, float]
    multi_doc_coverage: float
    per_question: dict[str, list[str]]
    no_answer_by_kind: dict[str, dict[str, float]] = field(default_factory=dict)
    furniture_top5: int = 0  # questions with page furniture among the first five
    part_first_unasked: int = 0  # questions whose first clause is a sign-off or contact block they did not ask for


def _metrics(qrels: dict, run: dict) -> dict[str, float]:
    if not qrels:
        return {}
    with warnings.catch_warnings():  # numba: "unsafe cast from uint64 to int64" on rank counters
        warnings.filterwarnings("ignore", message="unsafe cast")
        res = evaluate(Qrels(qrels), Run(run), METRICS, make_comparable=True)
    return {m: round(float(res[m]), 4) for m in METRICS}


def run_variant(
    retriever: Retriever,
    questions: list[Question],
    rel: dict[str, set[str]],
    mode: Mode,
    config: RetrievalConfig,
    name: str = "",
    k: int = 10,
) -> RunResult:
    index = retriever.index
    run: dict[str, dict[str, float]] = {}
    ranked: dict[str, list[str]] = {}
    flagged: dict[str, bool] = {}
    furniture = unasked = 0
    for q in questions:
        res = retriever.search(q.question, k=k, mode=mode, config=config)
        ids = [index.chunks[int(i)].chunk_id for i in res.ids]
        ranked[q.qid] = ids
        flagged[q.qid] = not res.confident  # partial or not_found
        kinds = [index.chunks[int(i)].kind for i in res.ids]
        furniture += FURNITURE in kinds[:5]
        asked = read_question(normalize_query(q.question)).kinds
        unasked += bool(kinds) and kinds[0] in (SIGNOFF, CONTACT) and kinds[0] not in asked
        run[q.qid] = {cid: float(k - r) for r, cid in enumerate(ids)}  # rank-based: no ties
    answerable = [q for q in questions if q.answerable and rel[q.qid]]
    qrels_all = {q.qid: {c: 1 for c in rel[q.qid]} for q in answerable}
    metrics = _metrics(qrels_all, {q.qid: run[q.qid] or {"-": 0.0} for q in answerable})
    styles = defaultdict(list)
    for q in answerable:
        styles[q.style].append(q)
    by_style: dict[str, dict[str, float]] = {}
    for style, qs in sorted(styles.items()):
        by_style[style] = _metrics({q.qid: qrels_all[q.qid] for q in qs}, {q.qid: run[q.qid] or {"-": 0.0} for q in qs})
        by_style[style]["n"] = len(qs)
    unans = [q for q in questions if not q.answerable]
    tp = sum(flagged[q.qid] for q in unans)
    fp = sum(flagged[q.qid] for q in answerable)
    no_answer = {
        "precision": round(tp / (tp + fp), 4) if tp + fp else 0.0,
        "recall": round(tp / len(unans), 4) if unans else 0.0,
        "answerable_flagged": round(fp / len(answerable), 4) if answerable else 0.0,
    }
    by_kind: dict[str, dict[str, float]] = {}
    for kind in sorted({q.kind for q in unans}):
        qs = [q for q in unans if q.kind == kind]
        by_kind[kind] = {"n": len(qs), "flagged": round(sum(flagged[q.qid] for q in qs) / len(qs), 4)}
    for lang in sorted({q.lang for q in questions}):
        qs = [q for q in answerable if q.lang == lang]
        if qs:
            by_kind[f"answerable {lang}"] = {"n": len(qs), "flagged": round(sum(flagged[q.qid] for q in qs) / len(qs), 4)}
    cover = []
    for q in answerable:
        if q.style == "multi_doc":
            docs = {g.doc for g in q.gold}
            top5 = {cid.split("#")[0] for cid in ranked[q.qid][:5]}
            cover.append(len(docs & top5) / len(docs))
    multi = round(statistics.mean(cover), 4) if cover else 0.0
    return RunResult(name or mode, metrics, by_style, no_answer, multi, ranked, by_kind, furniture, unasked)


def latency_p95(retriever: Retriever, questions: list[Question], config: RetrievalConfig) -> float:
    """p95 latency (ms) of a new question: the model encodes it (no cached vector) and the
    whole pipeline runs, after one warm-up pass."""
    for q in questions[:20]:
        retriever.search(q.question, k=10, config=config)
    times = []
    for q in questions:
        retriever.clear_cache()
        t0 = time.perf_counter()
        retriever.search(q.question, k=10, config=config)
        times.append((time.perf_counter() - t0) * 1000)
    return round(percentile(times, 0.95), 1)
