"""Retrieval evaluation on the development set (``qa eval``), with ranx metrics.

Gold evidence is a short verbatim phrase from the source clause, so the set
survives re-chunking: a clause is relevant to a question when its span in the
document overlaps an occurrence of one of the question's gold phrases.

The set was split once, by a fixed seed and per question style, into a tuning half
and a held-back half (the ``split`` field). Weights are chosen on the tuning half
only (``--tune``); every report shows both halves side by side. ``--cv`` checks
generality by document: tune on the questions about four documents, measure on
the fifth.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import warnings
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path

from ranx import Qrels, Run, evaluate

from qa.engine import PROJECT_ROOT, Engine, Settings
from qa.index import Index
from qa.measure import percentile
from qa.normalize import normalize_query
from qa.rerank import FEATURES
from qa.retrieve import PARAMS_FILE, Mode, RetrievalConfig, Retriever

METRICS = ["hit_rate@1", "hit_rate@3", "hit_rate@5", "hit_rate@10", "mrr@10", "ndcg@10"]
LABELS = {
    "hit_rate@1": "Hit@1",
    "hit_rate@3": "Hit@3",
    "hit_rate@5": "Hit@5",
    "hit_rate@10": "Hit@10",
    "mrr@10": "MRR@10",
    "ndcg@10": "nDCG@10",
}
SPLITS = ("tune", "held")


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
    split: str = "tune"  # "tune" (weights may be chosen on it) or "held" (only measured)

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
        out.append(Question(o["id"], o["question"], o.get("style", "natural"), gold, o.get("split", "tune")))
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


# -- variants -----------------------------------------------------------------------------


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
    for q in questions:
        res = retriever.search(q.question, k=k, mode=mode, config=config)
        ids = [index.chunks[int(i)].chunk_id for i in res.ids]
        ranked[q.qid] = ids
        flagged[q.qid] = not res.confident
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
    cover = []
    for q in answerable:
        if q.style == "multi_doc":
            docs = {g.doc for g in q.gold}
            top5 = {cid.split("#")[0] for cid in ranked[q.qid][:5]}
            cover.append(len(docs & top5) / len(docs))
    return RunResult(name or mode, metrics, by_style, no_answer, round(statistics.mean(cover), 4) if cover else 0.0, ranked)


def relevance(engine: Engine, questions: list[Question]) -> dict[str, set[str]]:
    doc_texts = {d.doc_id: d.text for d in engine.report.documents}
    return {q.qid: relevant_chunks(engine.index, doc_texts, q) for q in questions}


# -- tuning --------------------------------------------------------------------------------


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
    cfg = replace(best, rerank=True, rerank_weights=(1.0,) + (0.0,) * (len(FEATURES) - 1))
    current = score(cfg)
    values = (0.0, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5)
    for _ in range(rounds):
        for i in range(1, len(cfg.rerank_weights)):
            for v in values:
                w = list(cfg.rerank_weights)
                w[i] = v
                trial = replace(cfg, rerank_weights=tuple(w))
                s = score(trial)
                if s > current:
                    cfg, current = trial, s
        log(f"re-ranker weights {cfg.rerank_weights} → {current}")
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


# -- output --------------------------------------------------------------------------------


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


def _table(results: dict[str, list[RunResult]]) -> str:
    head = f"{'retriever':10s} {'half':5s} " + " ".join(f"{LABELS[m]:>7s}" for m in METRICS) + "  multi@5  noans R/wrong"
    lines = [head, "-" * len(head)]
    names = [r.name for r in next(iter(results.values()))]
    for i, name in enumerate(names):
        for split, rs in results.items():
            r = rs[i]
            vals = " ".join(f"{r.metrics.get(m, 0):7.3f}" for m in METRICS)
            na = r.no_answer
            lines.append(
                f"{name:10s} {split:5s} {vals}  {r.multi_doc_coverage:7.3f}  {na['recall']:.2f}/{na['answerable_flagged']:.2f}"
            )
    return "\n".join(lines)


def _style_table(results: dict[str, list[RunResult]], name: str) -> str:
    lines = [f"{name}: per style, H@1 / H@5 / MRR@10 (tune | held)"]
    styles = sorted({s for rs in results.values() for r in rs for s in r.by_style})
    for s in styles:
        cells = []
        for rs in results.values():
            r = next(r for r in rs if r.name == name)
            m = r.by_style.get(s, {})
            h1, h5, mrr = (m.get(x, 0) for x in ("hit_rate@1", "hit_rate@5", "mrr@10"))
            cells.append(f"n={int(m.get('n', 0)):3d} {h1:.2f} / {h5:.2f} / {mrr:.2f}")
        lines.append(f"  {s:12s} " + "  |  ".join(cells))
    return "\n".join(lines)


def write_report(path: Path, payload: dict, results: dict[str, list[RunResult]]) -> None:
    """Markdown report and a PNG plot of every variant per question style, both halves."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path.mkdir(parents=True, exist_ok=True)
    names = [r.name for r in results["tune"]]
    styles = sorted({s for rs in results.values() for r in rs for s in r.by_style})
    fig, axes = plt.subplots(1, 2, figsize=(14, 5), sharey=True)
    for ax, split in zip(axes, SPLITS, strict=True):
        width = 0.8 / len(names)
        for i, r in enumerate(results[split]):
            xs = [j + i * width for j in range(len(styles) + 1)]
            ys = [r.by_style.get(s, {}).get("hit_rate@1", 0) for s in styles] + [r.metrics.get("hit_rate@1", 0)]
            ax.bar(xs, ys, width=width, label=r.name)
        ax.set_xticks([j + 0.4 - width / 2 for j in range(len(styles) + 1)])
        ax.set_xticklabels([*styles, "ALL"], rotation=30)
        ax.set_title(f"Hit@1 by question style — {split} half")
        ax.set_ylim(0, 1)
        ax.grid(axis="y", alpha=0.3)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(names), fontsize=9)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    fig.savefig(path / "eval.png", dpi=110)
    plt.close(fig)

    md = [
        "# Retrieval evaluation",
        "",
        f"Model: {payload['model']}. Set: {payload['questions']} questions, split once by a fixed seed into a tuning half "
        "(weights chosen on it) and a held-back half (only measured). Generated by `qa eval --report`.",
        "",
        "![Hit@1 by style](eval.png)",
        "",
        "| retriever | half | "
        + " | ".join(LABELS[m] for m in METRICS)
        + " | multi-doc cover@5 | no-match recall | answerable flagged |",
        "|" + "---|" * (len(METRICS) + 5),
    ]
    for i, name in enumerate(names):
        for split in SPLITS:
            r = results[split][i]
            na = r.no_answer
            md.append(
                f"| {name} | {split} | "
                + " | ".join(f"{r.metrics.get(m, 0):.3f}" for m in METRICS)
                + f" | {r.multi_doc_coverage:.3f} | {na['recall']:.2f} | {na['answerable_flagged']:.2f} |"
            )
    md += ["", "## Per question style (Hit@1 / Hit@5 / MRR@10)", ""]
    styles_hdr = "| style | " + " | ".join(f"{n} ({s})" for n in ("hybrid", "full") for s in SPLITS) + " |"
    md += [styles_hdr, "|" + "---|" * 5]
    for s in styles:
        cells = []
        for n in ("hybrid", "full"):
            for split in SPLITS:
                m = next(r for r in results[split] if r.name == n).by_style.get(s, {})
                cells.append(f"{m.get('hit_rate@1', 0):.2f} / {m.get('hit_rate@5', 0):.2f} / {m.get('mrr@10', 0):.2f}")
        md.append(f"| {s} | " + " | ".join(cells) + " |")
    if payload.get("cross_validation"):
        md += ["", "## Cross-validation by document (tune on four, measure on the fifth)", ""]
        md += ["| held-out document | questions | hybrid H@1 | hybrid MRR | tuned H@1 | tuned MRR |", "|---|---|---|---|---|---|"]
        for row in payload["cross_validation"]:
            h, f = row["hybrid"], row["full"]
            md.append(
                f"| {row['held_out_doc']} | {row['n']} | {h['hit_rate@1']:.3f} | {h['mrr@10']:.3f} | "
                f"{f['hit_rate@1']:.3f} | {f['mrr@10']:.3f} |"
            )
    md += ["", f"Query latency p95, a new question through the full pipeline: {payload.get('latency_p95_ms', '?')} ms.", ""]
    md += ["Shipped configuration:", "", "```json", json.dumps(payload["config"], ensure_ascii=False, indent=2), "```", ""]
    (path / "eval.md").write_text("\n".join(md), encoding="utf-8")


def run_eval(settings: Settings, args: argparse.Namespace) -> int:
    questions = load_questions(args.eval_set)
    engine = Engine.open(settings)
    retriever = engine.retriever
    rel = relevance(engine, questions)
    log = print if not args.json else (lambda _m: None)
    if args.tune:
        tune_qs = [q for q in questions if q.split == "tune"]
        cfg = tune(retriever, tune_qs, rel, retriever.config, log=log)
        out = Path(str(resources.files("qa") / "data" / PARAMS_FILE))
        out.write_text(json.dumps(cfg.to_json(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        log(f"wrote {out}")
        retriever.config = cfg
    shipped = retriever.config
    chosen = variants(shipped)
    if args.retriever != "all":
        chosen = [v for v in chosen if v.name == args.retriever]

    def run_all(vs: list[Variant]) -> dict[str, list[RunResult]]:
        halves = {split: [q for q in questions if q.split == split] for split in SPLITS}
        return {split: [run_variant(retriever, qs, rel, v.mode, v.config, v.name) for v in vs] for split, qs in halves.items()}

    results = run_all(chosen)
    missing = [q.qid for q in questions if q.answerable and not rel[q.qid]]
    payload: dict = {
        "model": engine.index.manifest.model_name,
        "questions": len(questions),
        "answerable": sum(q.answerable for q in questions),
        "gold_not_found": missing,
        "config": shipped.to_json(),
        "results": {
            split: [{k: v for k, v in r.__dict__.items() if k != "per_question"} for r in rs] for split, rs in results.items()
        },
        "latency_p95_ms": latency_p95(retriever, questions, shipped),
    }
    if args.cv:
        log("cross-validation by document:")
        payload["cross_validation"] = cross_validate(engine, questions, rel, log)
    if args.report:
        if args.retriever != "all":
            log("note: --report compares every variant; ignoring --retriever")
            results = run_all(variants(shipped))
        write_report(args.report_dir or PROJECT_ROOT / "reports", payload, results)
    if args.json:
        print(json.dumps(payload, ensure_ascii=False, indent=2))
        return 0
    print(f"model: {payload['model']}; {payload['questions']} questions ({payload['answerable']} answerable), two halves")
    if missing:
        print(f"warning: gold phrase not found for {missing}")
    print(_table(results))
    print()
    names = [v.name for v in chosen]
    for name in [n for n in ("hybrid", "full") if n in names] or names[:1]:
        print(_style_table(results, name))
    print(f"\nquery latency p95, new question, full pipeline: {payload['latency_p95_ms']} ms")
    if args.report:
        print(f"report: {(args.report_dir or PROJECT_ROOT / 'reports') / 'eval.md'}")
    return 0
