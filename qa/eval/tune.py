"""Tuning: weights chosen on the tuning half only, thresholds calibrated, cross-validation by document."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace

import numpy as np

from qa.engine import Engine
from qa.eval.dataset import Question
from qa.eval.runs import RunResult, run_variant
from qa.search import RetrievalConfig, Retriever
from qa.search.judge import SIGNALS
from qa.search.rerank import FEATURES
from qa.search.retrieve import Results


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
    best, _ = _best([replace(cfg, dense_weight=w / 10) for w in range(11)], score)
    best, s = _best([replace(best, expansion_weight=w) for w in (0.25, 0.5, 0.75, 1.0)], score)
    log(f"first stage: dense_weight={best.dense_weight} expansion_weight={best.expansion_weight} → {s}")
    cfg = replace(best, rerank=True, rerank_weights={f: 1.0 if f == "fused" else 0.0 for f in FEATURES})
    cfg = _ascend(cfg, score, "rerank_weights", rounds, log, 0.5 / max(1, len(qs)))
    english = [q for q in qs if q.lang == "en"]
    if english:  # then the English questions' own weights, starting from everyone's
        cfg = _tune_english(retriever, english, rel, cfg, rounds, log)
    cfg = replace(cfg, diversify=True)
    return calibrate_judgement(retriever, questions, cfg)


WEIGHT_VALUES = (0.0, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0)


def _best(
    options: list[RetrievalConfig], score: Callable[[RetrievalConfig], tuple[float, float]]
) -> tuple[RetrievalConfig, tuple[float, float]]:
    """The best-scoring option (the first among equals) and its score, each scored once."""
    scores = [score(o) for o in options]
    i = max(range(len(options)), key=scores.__getitem__)
    return options[i], scores[i]


def _ascend(
    cfg: RetrievalConfig,
    score: Callable[[RetrievalConfig], tuple[float, float]],
    field: str,
    rounds: int,
    log: Callable[[str], None],
    min_gain: float,
) -> RetrievalConfig:
    """Coordinate ascent over the re-ranker weights held in ``field`` of ``cfg``; a change
    must gain at least ``min_gain`` MRR (about one question moving from second to first),
    so that a small set is not fitted question by question."""
    current = score(cfg)
    for _ in range(rounds):
        for feature in FEATURES[1:]:  # the fused score's weight stays 1: the scale
            for v in WEIGHT_VALUES:
                trial = replace(cfg, **{field: {**getattr(cfg, field), feature: v}})
                s = score(trial)
                if s[0] >= current[0] + min_gain:
                    cfg, current = trial, s
        log(f"{field} {dict(getattr(cfg, field))} → {current}")
    return cfg


def _tune_english(
    retriever: Retriever,
    english: list[Question],
    rel: dict[str, set[str]],
    cfg: RetrievalConfig,
    rounds: int,
    log: Callable[[str], None],
) -> RetrievalConfig:
    """The fusion and re-ranker weights of English questions, chosen on the English ones alone."""

    seen: dict[tuple, tuple[float, float]] = {}  # the start is met again by the sweep and the ascent

    def score(c: RetrievalConfig) -> tuple[float, float]:
        key = (c.english_dense_weight, tuple(sorted(c.english_rerank_weights.items())))
        if key not in seen:
            seen[key] = _objective(run_variant(retriever, english, rel, "hybrid", c))
        return seen[key]

    start = replace(cfg, english_dense_weight=cfg.dense_weight, english_rerank_weights=dict(cfg.rerank_weights))
    best, s = _best([replace(start, english_dense_weight=w / 10) for w in range(11)], score)
    start_score = score(start)
    if s[0] < start_score[0] + 0.5 / len(english):
        best, s = start, start_score
    log(f"English first stage: dense_weight={best.english_dense_weight} → {s}")
    return _ascend(best, score, "english_rerank_weights", rounds, log, 0.5 / len(english))


def judged(retriever: Retriever, questions: list[Question], cfg: RetrievalConfig) -> list[tuple[Question, Results]]:
    """Every question searched once with ``cfg``: its results and judgement."""
    return [(q, retriever.search(q.question, k=5, config=cfg)) for q in questions]


def on_topic_label(q: Question) -> int | None:
    """What the calibrated judgement learns: is the question about something the documents
    treat? Answerable questions are, those about another topic are not. Questions about
    another place, year or figure are left out: the rules of ``qa.search.scope`` judge them."""
    if q.answerable:
        return 1
    return None if q.kind in ("other_place", "year", "figure") else 0


def calibrate_judgement(
    retriever: Retriever, questions: list[Question], cfg: RetrievalConfig, max_wrong: float = 0.025
) -> RetrievalConfig:
    """Fit the judgement's logistic model on ``questions`` (the tuning half), then take the
    threshold from its risk–coverage curve: the one that flags the most unanswerable
    questions while at most ``max_wrong`` of the answerable ones end up not ``answered``."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    rows = judged(retriever, questions, replace(cfg, judge_weights={}))
    train = [(q, res) for q, res in rows if on_topic_label(q) is not None]
    x = np.array([[res.judgement.signals.get(n) for n in SIGNALS] for _, res in train])
    y = np.array([on_topic_label(q) for q, _ in train])
    if len(set(y.tolist())) < 2:  # nothing to tell apart: keep the judgement as it is
        return cfg
    scaler = StandardScaler().fit(x)
    model = LogisticRegression(C=1.0, class_weight="balanced", max_iter=1000).fit(scaler.transform(x), y)
    # fold the scaling into the weights, so serving needs only numpy: w·(x−μ)/σ + b
    w = model.coef_[0] / scaler.scale_
    bias = float(model.intercept_[0] - np.sum(model.coef_[0] * scaler.mean_ / scaler.scale_))
    weights = {n: round(float(v), 6) for n, v in zip(SIGNALS, w, strict=True)}
    calibrated = replace(cfg, judge_weights=weights, judge_bias=round(bias, 6))
    cal = calibrated.calibration()
    probs = np.array([cal.probability(res.judgement.signals) for _, res in rows])
    ruled = np.array([any(r.code != "topic_not_found" for r in res.reasons) for _, res in rows])  # rule reasons stand anyway
    answerable = np.array([q.answerable for q, _ in rows])
    options = []
    for t in np.unique(np.concatenate([probs, [0.0]])):
        flagged = ruled | (probs < t)
        wrong = float(flagged[answerable].mean()) if answerable.any() else 0.0
        recall = float(flagged[~answerable].mean()) if (~answerable).any() else 0.0
        options.append((wrong <= max_wrong, recall if wrong <= max_wrong else -wrong, float(t)))
    _, _, threshold = max(options)  # the most recall within the bound; else the fewest answerable flagged
    # rounded down: rounded up, the threshold could pass the question it was read from
    return replace(calibrated, judge_threshold=math.floor(threshold * 1e6) / 1e6)


def risk_coverage(retriever: Retriever, questions: list[Question], rel: dict[str, set[str]], cfg: RetrievalConfig) -> dict:
    """The judgement's trade-off at every threshold: coverage = share of questions answered
    outright, risk = share of those whose first clause is not a right one (or that no
    document answers). The chosen threshold is one point of it."""
    cal = cfg.calibration()
    points = []
    for q, res in judged(retriever, questions, cfg):
        p = cal.probability(res.judgement.signals) if cal else float(res.confident)
        ruled = any(r.code != "topic_not_found" for r in res.reasons)
        first = retriever.index.chunks[int(res.ids[0])].chunk_id if res.ids.size else ""
        wrong = not q.answerable or first not in rel.get(q.qid, set())
        points.append((p, ruled, wrong))
    curve = []
    for t in sorted({p for p, _, _ in points} | {0.0, 1.01}):
        answered = [w for p, r, w in points if p >= t and not r]
        curve.append((round(len(answered) / len(points), 4), round(sum(answered) / len(answered), 4) if answered else 0.0, t))
    return {"curve": curve, "threshold": cfg.judge_threshold}


def cross_validate(
    engine: Engine, questions: list[Question], rel: dict[str, set[str]], log: Callable[[str], None] = print
) -> list[dict]:
    """Tune on the questions about four documents, measure on those about the fifth (the
    unanswerable questions of the tuning half, about no document, train every fold's judgement)."""
    retriever = engine.retriever
    rows = []
    unanswerable = [q for q in questions if not q.answerable and q.split == "tune"]
    for doc in sorted(d.doc_id for d in engine.report.documents):
        train = [q for q in questions if q.answerable and doc not in {g.doc for g in q.gold}] + unanswerable
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
