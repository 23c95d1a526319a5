"""Tuning: weights chosen on the tuning half only, thresholds calibrated, cross-validation by document."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from qa.engine import Engine
from qa.eval.dataset import Question
from qa.eval.runs import RunResult, run_variant
from qa.search import RetrievalConfig, Retriever
from qa.search.rerank import FEATURES


def _objective(r: RunResult) -> tuple[float, float]:
    return (r.metrics.get("mrr@10", 0.0), r.metrics.get("hit_rate@1", 0.0))


def tune(
    retriever: Retriever,
    questions: list[Question],
    rel: dict[str, set[str]],
    start: RetrievalConfig,
    rounds: int = 2,
    log: Callable[[str], None] = print,
) -> RetrievalConfig:
    """Choose weights on ``questions`` (the tuning half) by coordinate ascent on MRR@10."""
    qs = [q for q in questions if q.answerable]

    def score(cfg: RetrievalConfig) -> tuple[float, float]:
        return _objective(run_variant(retriever, qs, rel, "hybrid", cfg))

    cfg = replace(start, expand=True, rerank=False, diversify=False)
    best = max((replace(cfg, dense_weight=w / 10) for w in range(11)), key=score)
    best = max((replace(best, expansion_weight=w) for w in (0.25, 0.5, 0.75, 1.0)), key=score)
    log(f"first stage: dense_weight={best.dense_weight} expansion_weight={best.expansion_weight} → {score(best)}")
    cfg = replace(best, rerank=True, rerank_weights={f: 1.0 if f == "fused" else 0.0 for f in FEATURES})
    current = score(cfg)
    values = (0.0, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5)
    for _ in range(rounds):
        for feature in FEATURES[1:]:  # the fused score's weight stays 1: the scale
            for v in values:
                trial = replace(cfg, rerank_weights={**cfg.rerank_weights, feature: v})
                s = score(trial)
                if s > current:
                    cfg, current = trial, s
        log(f"re-ranker weights {dict(cfg.rerank_weights)} → {current}")
    cfg = replace(cfg, diversify=True)
    return calibrate_no_match(retriever, questions, cfg)


def calibrate_no_match(
    retriever: Retriever, questions: list[Question], cfg: RetrievalConfig, max_wrong: float = 0.05
) -> RetrievalConfig:
    """Thresholds that flag the most unanswerable questions while flagging at most
    ``max_wrong`` of the answerable ones (on ``questions``)."""
    feats = []
    for q in questions:
        r = retriever.search(q.question, k=1, config=cfg)
        feats.append((q.answerable, r.top_dense, r.coverage, r.unknown))
    unans = [f for f in feats if not f[0]]
    ans = [f for f in feats if f[0]]
    best = (-1.0, 0.0, cfg.no_match_unknown, cfg.no_match_dense, cfg.no_match_coverage)
    for tu in (0.34, 0.4, 0.5, 0.6, 0.67, 0.75, 1.01):
        for td in [x / 200 for x in range(150, 191)]:
            for tc in (0.0, 0.2, 0.25, 0.34, 0.4, 0.5, 0.6, 0.67, 0.75, 0.8, 1.01):

                def flag(f, tu=tu, td=td, tc=tc) -> bool:
                    return f[3] >= tu or (f[1] < td and f[2] < tc)

                recall = sum(map(flag, unans)) / max(1, len(unans))
                wrong = sum(map(flag, ans)) / max(1, len(ans))
                if wrong <= max_wrong and (recall, -wrong) > (best[0], -best[1]):
                    best = (recall, wrong, tu, td, tc)
    return replace(cfg, no_match_unknown=best[2], no_match_dense=best[3], no_match_coverage=best[4])


def cross_validate(
    engine: Engine, questions: list[Question], rel: dict[str, set[str]], log: Callable[[str], None] = print
) -> list[dict]:
    """Tune on the questions about four documents, measure on those about the fifth."""
    retriever = engine.retriever
    rows = []
    for doc in sorted(d.doc_id for d in engine.report.documents):
        train = [q for q in questions if q.answerable and doc not in {g.doc for g in q.gold}]
        test = [q for q in questions if q.answerable and doc in {g.doc for g in q.gold}]
        if not test:
            continue
        cfg = tune(retriever, train, rel, retriever.config, rounds=1, log=lambda _m: None)
        base = run_variant(retriever, test, rel, "hybrid", retriever.config.baseline(), "hybrid")
        full = run_variant(retriever, test, rel, "hybrid", cfg, "full")
        row = {"held_out_doc": doc, "n": len(test), "hybrid": base.metrics, "full": full.metrics}
        log(
            f"  {doc}: n={len(test):3d}  hybrid H@1 {base.metrics['hit_rate@1']:.3f} MRR {base.metrics['mrr@10']:.3f}"
            f"  → tuned on the other four: H@1 {full.metrics['hit_rate@1']:.3f} MRR {full.metrics['mrr@10']:.3f}"
        )
        rows.append(row)
    return rows
