"""``qa eval``: retrieval metrics on the development set, every half side by side."""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path

from qa.errors import EXIT_OK, Unusable
from qa.settings import PROJECT_ROOT, Settings

RETRIEVERS = ("bm25", "dense", "rrf", "hybrid", "+expand", "+rerank", "full", "all")


def register(sub: argparse._SubParsersAction, common: Callable[[argparse.ArgumentParser], None]) -> None:
    p = sub.add_parser("eval", help="retrieval metrics on the development set, every half")
    common(p)
    p.add_argument("--retriever", choices=RETRIEVERS, default="all", help="one variant, or all of them side by side")
    p.add_argument("--set", dest="eval_set", type=Path, help="evaluation set (JSON lines); default: the bundled dev set")
    p.add_argument("--json", action="store_true")
    p.add_argument("--tune", action="store_true", help="choose weights on the tuning half; writes reports/retrieval-<time>.json")
    p.add_argument("--cv", action="store_true", help="cross-validate by document: tune on four, measure on the fifth")
    p.add_argument("--report", action="store_true", help="write reports/eval.md and reports/eval.png")
    p.add_argument("--report-dir", type=Path, help="where --report and --tune write (default reports/)")
    p.set_defaults(handler=cmd_eval)


def cmd_eval(args: argparse.Namespace) -> int:
    try:  # ranx and matplotlib come with the "eval" extra; serving does not need them
        import ranx  # noqa: F401
    except ImportError as exc:
        raise Unusable("qa eval needs the evaluation extra: pip install -e '.[eval]'") from exc
    from qa.engine import Engine
    from qa.eval.dataset import load_questions, relevance
    from qa.eval.report import write_report
    from qa.eval.runs import latency_p95, variants
    from qa.eval.tune import cross_validate

    questions = load_questions(args.eval_set)
    engine = Engine.open(Settings.from_args(args))
    retriever = engine.retriever
    rel = relevance(engine, questions)
    log = print if not args.json else (lambda _m: None)
    report_dir = args.report_dir or PROJECT_ROOT / "reports"
    if args.tune:
        retriever.config = _tune_and_save(retriever, questions, rel, report_dir, log)
    shipped = retriever.config
    chosen = [v for v in variants(shipped) if args.retriever in ("all", v.name)]
    results = _run_all(retriever, questions, rel, chosen)
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
        dev = [q for q in questions if q.split != "fresh"]  # the fresh split is never tuned on, not even here
        payload["cross_validation"] = cross_validate(engine, dev, rel, log)
    if args.report:
        if args.retriever != "all":
            log("note: --report compares every variant; ignoring --retriever")
            results = _run_all(retriever, questions, rel, variants(shipped))
        from qa.eval.tune import risk_coverage

        payload["risk_coverage"] = {
            split: risk_coverage(retriever, [q for q in questions if q.split == split], rel, shipped) for split in results
        }
        write_report(report_dir, payload, results)
    if args.json:
        print(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        _print_summary(payload, results, [v.name for v in chosen], report_dir if args.report else None)
    return EXIT_OK


def _tune_and_save(retriever, questions, rel, report_dir: Path, log: Callable[[str], None]):
    """Weights chosen on the tuning half, written as a new file under ``report_dir``."""
    from qa.eval.tune import tune

    cfg = tune(retriever, [q for q in questions if q.split == "tune"], rel, retriever.config, log=log)
    out = report_dir / f"retrieval-{time.strftime('%Y%m%d-%H%M%S')}.json"
    cfg.save(out)
    log(f"wrote {out}: try it with --retrieval-config {out}; ship it by copying it to qa/search/data/retrieval.json")
    return cfg


def _run_all(retriever, questions, rel, chosen) -> dict:
    """Every chosen variant on every half the set has, in the order of ``SPLITS``."""
    from qa.eval.dataset import SPLITS
    from qa.eval.runs import run_variant

    halves = {s: [q for q in questions if q.split == s] for s in SPLITS}
    return {s: [run_variant(retriever, qs, rel, v.mode, v.config, v.name) for v in chosen] for s, qs in halves.items() if qs}


def _print_summary(payload: dict, results: dict, names: list[str], report_dir: Path | None) -> None:
    from qa.eval.report import kind_table, style_table, text_table

    n, n_ans = payload["questions"], payload["answerable"]
    print(f"model: {payload['model']}; {n} questions ({n_ans} answerable), halves: {', '.join(results)}")
    if payload["gold_not_found"]:
        print(f"warning: gold phrase not found for {payload['gold_not_found']}")
    print(text_table(results))
    print()
    for name in [n for n in ("hybrid", "full") if n in names] or names[:1]:
        print(style_table(results, name))
    print()
    print(kind_table(results, "full" if "full" in names else names[0]))
    print(f"\nquery latency p95, new question, full pipeline: {payload['latency_p95_ms']} ms")
    if report_dir is not None:
        print(f"report: {report_dir / 'eval.md'}")
