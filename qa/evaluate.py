"""Retrieval evaluation on the development set (``qa eval``), with ranx metrics.

Gold evidence is a short verbatim phrase from the source clause, so the set
survives re-chunking: a clause is relevant to a question when its span in the
document overlaps an occurrence of one of the question's gold phrases.
"""

from __future__ import annotations

import argparse
import json
import statistics
import warnings
from collections import defaultdict
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ranx import Qrels, Run, evaluate

from qa.engine import Engine, Settings
from qa.index import Index
from qa.normalize import normalize_query
from qa.retrieve import MODES, Mode, Retriever

METRICS = ["hit_rate@1", "hit_rate@3", "hit_rate@5", "hit_rate@10", "mrr@10", "ndcg@10"]
LABELS = {
    "hit_rate@1": "Hit@1",
    "hit_rate@3": "Hit@3",
    "hit_rate@5": "Hit@5",
    "hit_rate@10": "Hit@10",
    "mrr@10": "MRR@10",
    "ndcg@10": "nDCG@10",
}
NO_ANSWER = "no_answer"


@dataclass(frozen=True)
class Gold:
    doc: str
    phrase: str


@dataclass(frozen=True)
class Question:
    qid: str
    question: str
    style: str
    gold: tuple[Gold, ...]

    @property
    def answerable(self) -> bool:
        return bool(self.gold)


def default_set_path() -> Path:
    return Path(str(resources.files("qa") / "data" / "dev.jsonl"))


def load_questions(path: Path | None = None) -> list[Question]:
    path = path or default_set_path()
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        o = json.loads(line)
        gold = tuple(Gold(g["doc"], g["phrase"]) for g in o.get("gold", []))
        out.append(Question(o["id"], o["question"], o.get("style", "natural"), gold))
    return out


def relevant_chunks(index: Index, doc_texts: dict[str, str], q: Question) -> set[str]:
    """Chunk ids whose span overlaps an occurrence of a gold phrase in its document."""
    rel: set[str] = set()
    for g in q.gold:
        text = doc_texts.get(g.doc)
        if text is None:
            continue
        phrase = normalize_query(g.phrase)
        spans = []
        start = text.find(phrase)
        while start != -1:
            spans.append((start, start + len(phrase)))
            start = text.find(phrase, start + 1)
        for c in index.chunks:
            if c.doc_id == g.doc and any(c.start < e and s < c.end for s, e in spans):
                rel.add(c.chunk_id)
    return rel


@dataclass
class RunResult:
    mode: str
    metrics: dict[str, float]
    by_style: dict[str, dict[str, float]]
    no_answer: dict[str, float]
    multi_doc_coverage: float
    per_question: dict[str, list[str]]


def _metrics(qrels: dict, run: dict) -> dict[str, float]:
    if not qrels:
        return {}
    with warnings.catch_warnings():  # numba: "unsafe cast from uint64 to int64" on rank counters
        warnings.filterwarnings("ignore", message="unsafe cast")
        res = evaluate(Qrels(qrels), Run(run), METRICS, make_comparable=True)
    return {m: round(float(res[m]), 4) for m in METRICS}


def run_mode(retriever: Retriever, questions: list[Question], rel: dict[str, set[str]], mode: Mode, k: int = 10) -> RunResult:
    index = retriever.index
    run: dict[str, dict[str, float]] = {}
    ranked: dict[str, list[str]] = {}
    flagged: dict[str, bool] = {}
    for q in questions:
        res = retriever.search(q.question, k=k, mode=mode)
        ids = [index.chunks[int(i)].chunk_id for i in res.ids]
        ranked[q.qid] = ids
        flagged[q.qid] = not res.confident
        run[q.qid] = {cid: float(k - r) for r, cid in enumerate(ids)}  # rank-based: no ties
    answerable = [q for q in questions if q.answerable and rel[q.qid]]
    qrels_all = {q.qid: {c: 1 for c in rel[q.qid]} for q in answerable}
    metrics = _metrics(qrels_all, {q.qid: run[q.qid] or {"-": 0.0} for q in answerable})
    by_style: dict[str, dict[str, float]] = {}
    styles = defaultdict(list)
    for q in answerable:
        styles[q.style].append(q)
    for style, qs in sorted(styles.items()):
        by_style[style] = _metrics({q.qid: qrels_all[q.qid] for q in qs}, {q.qid: run[q.qid] or {"-": 0.0} for q in qs})
        by_style[style]["n"] = len(qs)
    # no-match flag: positives are the questions no document answers
    unans = [q for q in questions if not q.answerable]
    tp = sum(flagged[q.qid] for q in unans)
    fp = sum(flagged[q.qid] for q in answerable)
    no_answer = {
        "precision": round(tp / (tp + fp), 4) if tp + fp else 0.0,
        "recall": round(tp / len(unans), 4) if unans else 0.0,
        "answerable_flagged": round(fp / len(answerable), 4) if answerable else 0.0,
    }
    cover = []
    for q in answerable:
        if q.style != "multi_doc":
            continue
        docs = {g.doc for g in q.gold}
        top5 = {cid.split("#")[0] for cid in ranked[q.qid][:5]}
        cover.append(len(docs & top5) / len(docs))
    return RunResult(mode, metrics, by_style, no_answer, round(statistics.mean(cover), 4) if cover else 0.0, ranked)


def sweep_weight(
    retriever: Retriever, questions: list[Question], rel: dict[str, set[str]]
) -> list[tuple[float, dict[str, float]]]:
    """Hybrid metrics for dense weights 0.0 … 1.0 (the weight is restored afterwards)."""
    keep = retriever.dense_weight
    rows = []
    try:
        for i in range(11):
            retriever.dense_weight = i / 10
            rows.append((i / 10, run_mode(retriever, questions, rel, "hybrid").metrics))
    finally:
        retriever.dense_weight = keep
    return rows


def sweep_no_match(retriever: Retriever, questions: list[Question]) -> list[tuple[float, float, float, float]]:
    """(dense threshold, coverage threshold, recall on unanswerable, share of answerable flagged)."""
    feats = []
    for q in questions:
        res = retriever.search(q.question, k=1, mode="hybrid")
        feats.append((q.answerable, res.top_dense, res.coverage))
    rows = []
    unans = [f for f in feats if not f[0]]
    ans = [f for f in feats if f[0]]
    for td in [x / 100 for x in range(78, 91)]:
        for tc in (0.34, 0.5, 0.67, 0.75, 0.9, 1.01):
            recall = sum(f[1] < td and f[2] < tc for f in unans) / max(1, len(unans))
            wrong = sum(f[1] < td and f[2] < tc for f in ans) / max(1, len(ans))
            rows.append((td, tc, round(recall, 3), round(wrong, 3)))
    return rows


def _table(results: list[RunResult]) -> str:
    head = f"{'retriever':10s} " + " ".join(f"{LABELS[m]:>8s}" for m in METRICS) + f" {'multi-doc@5':>11s} {'noans P/R':>10s}"
    lines = [head, "-" * len(head)]
    for r in results:
        vals = " ".join(f"{r.metrics.get(m, 0):8.3f}" for m in METRICS)
        lines.append(
            f"{r.mode:10s} {vals} {r.multi_doc_coverage:11.3f} {r.no_answer['precision']:.2f}/{r.no_answer['recall']:.2f}"
        )
    return "\n".join(lines)


def _style_table(results: list[RunResult]) -> str:
    styles = sorted({s for r in results for s in r.by_style})
    lines = [f"{'style':12s} {'n':>3s} " + " ".join(f"{r.mode + ' H@1/H@5/MRR':>22s}" for r in results)]
    for s in styles:
        n = int(results[0].by_style.get(s, {}).get("n", 0))
        cells = []
        for r in results:
            m = r.by_style.get(s, {})
            cells.append(f"{m.get('hit_rate@1', 0):.2f}/{m.get('hit_rate@5', 0):.2f}/{m.get('mrr@10', 0):.2f}".rjust(22))
        lines.append(f"{s:12s} {n:3d} " + " ".join(cells))
    return "\n".join(lines)


def evaluate_engine(engine: Engine, questions: list[Question], modes: list[Mode]) -> tuple[list[RunResult], dict[str, set[str]]]:
    doc_texts = {d.doc_id: d.text for d in engine.report.documents}
    rel = {q.qid: relevant_chunks(engine.index, doc_texts, q) for q in questions}
    return [run_mode(engine.retriever, questions, rel, m) for m in modes], rel


def run_eval(settings: Settings, args: argparse.Namespace) -> int:
    questions = load_questions(args.eval_set)
    engine = Engine.open(settings)
    modes: list[Mode] = list(MODES) if args.retriever == "all" else [args.retriever]
    results, rel = evaluate_engine(engine, questions, modes)
    missing = [q.qid for q in questions if q.answerable and not rel[q.qid]]
    payload = {
        "model": engine.index.manifest.model_name,
        "questions": len(questions),
        "answerable": sum(q.answerable for q in questions),
        "gold_not_found": missing,
        "results": [{k: v for k, v in r.__dict__.items() if k != "per_question"} for r in results],
    }
    if args.sweep:
        payload["weight_sweep"] = sweep_weight(engine.retriever, questions, rel)
        payload["no_match_sweep"] = sweep_no_match(engine.retriever, questions)
    if args.json:
        print(json.dumps(payload, ensure_ascii=False, indent=2))
        return 0
    print(f"model: {payload['model']}; {payload['questions']} questions ({payload['answerable']} answerable)")
    if missing:
        print(f"warning: gold phrase not found for {missing}")
    print(_table(results))
    print()
    print(_style_table(results))
    if args.sweep:
        print("\nhybrid dense-weight sweep (Hit@1 / MRR@10):")
        for w, m in payload["weight_sweep"]:
            print(f"  w={w:.1f}  {m['hit_rate@1']:.3f} / {m['mrr@10']:.3f}")
        print("\nno-match thresholds (dense, coverage) → recall on unanswerable / answerable flagged:")
        for td, tc, rec, wrong in payload["no_match_sweep"]:
            if rec >= 0.5 and wrong <= 0.15:
                print(f"  dense<{td:.2f} & coverage<{tc:.2f}: {rec:.2f} / {wrong:.2f}")
    return 0
