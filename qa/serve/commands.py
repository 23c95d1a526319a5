"""The serving commands of ``qa``: index, add, remove, ask, search, serve. One handler each.

Each handler takes the parsed arguments, builds :class:`Settings` once with
``Settings.from_args`` and returns an exit code; errors are raised as
``qa.errors.QAError`` and printed as one line by ``qa.cli``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

from qa.engine import Engine
from qa.errors import EXIT_OK, BadInput, BadQuestion
from qa.ingest.manage import add_files, remove_docs
from qa.search import MODES, Filters
from qa.search.lock import build_lock
from qa.search.validity import parse_day
from qa.serve.answer import ask, clean_question, format_answer
from qa.settings import Settings

AddCommon = Callable[[argparse.ArgumentParser], None]


def register(sub: argparse._SubParsersAction, common: AddCommon) -> None:
    p = sub.add_parser("index", help="build or update the index")
    common(p)
    p.add_argument("--rebuild", action="store_true", help="rebuild even if nothing changed")
    p.add_argument("--verify", action="store_true", help="check every index file's checksum; rebuild what is damaged")
    p.set_defaults(handler=cmd_index)

    p = sub.add_parser("add", help="add documents to the corpus and update the index")
    common(p)
    p.add_argument("paths", nargs="+", type=Path, help=".txt .md .pdf .docx .html files (NAME.pdf.meta.json beside comes too)")
    p.add_argument("--replace", action="store_true", help="replace a document of the same name")
    p.set_defaults(handler=cmd_add)

    p = sub.add_parser("remove", help="remove documents (by file name) and update the index")
    common(p)
    p.add_argument(
        "docs", nargs="+", help="file names as shown in citations, e.g. 000_7eb558928ca9a35a.txt (kept under embeddings/removed/)"
    )
    p.set_defaults(handler=cmd_remove)

    p = sub.add_parser("ask", help="ask one question")
    common(p)
    p.add_argument("question")
    p.add_argument("--k", type=int, default=5)
    p.add_argument("--mode", choices=MODES, default="hybrid")
    p.add_argument("--json", action="store_true")
    p.add_argument("--doc", action="append", default=[], help="only this document (file name; repeatable)")
    p.add_argument("--region", action="append", default=[], help="only documents of this region, e.g. 山西 or 全国")
    p.add_argument("--year", action="append", type=int, default=[], help="only documents of this year")
    p.add_argument("--as-of", help="label documents' status (现行有效, 被替代 …) as on this day, YYYY-MM-DD (default today)")
    p.set_defaults(handler=cmd_ask)

    p = sub.add_parser("search", help="batch mode: questions from a file, JSON lines out")
    common(p)
    p.add_argument("--queries", type=Path, required=True, help='JSON lines {"id", "question"} or one question per line')
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--mode", choices=MODES, default="hybrid")
    p.add_argument("--json", action="store_true", help="accepted for symmetry; output is always JSON lines")
    p.set_defaults(handler=cmd_search)

    p = sub.add_parser("serve", help="the web page (what app.py and make run start)")
    common(p)
    p.add_argument("--host", help="address to listen on (default 127.0.0.1, or QA_HOST)")
    p.add_argument("--port", type=int, help="port (default 7860, or QA_PORT)")
    p.add_argument("--auth-file", help="require login: file with user:password lines (or QA_AUTH)")
    p.add_argument("--feedback-log", type=Path, help="where 👍/👎 votes are appended (or QA_FEEDBACK)")
    p.add_argument("--admin", action="append", default=[], help="a login allowed to upload documents (repeatable; or QA_ADMINS)")
    p.add_argument("--share", action="store_true", help="create a public Gradio share link (off unless asked)")
    p.set_defaults(handler=cmd_serve)


def _check_k(k: int) -> None:
    if k < 1:
        raise BadQuestion("--k must be at least 1", "bad_k")


def _report_index(engine: Engine, verb: str) -> None:
    m = engine.index.manifest
    print(
        f"index {verb}: {len(engine.catalog.entries)} documents, {m.n_chunks} clauses "
        f"({m.embedded} embedded in this build), model {m.model_name}, {m.index_type}, {engine.index.path}"
    )


def cmd_index(args: argparse.Namespace) -> int:
    engine = Engine.open(Settings.from_args(args), rebuild=args.rebuild, verify=args.verify, strict=True, show_progress=True)
    for problem in engine.repaired:
        print(f"damaged: {problem}")
    if args.verify and not engine.repaired:
        print(f"verified: all {len(engine.index.manifest.files)} files match their checksums")
    _report_index(engine, "rebuilt" if engine.repaired else "built" if engine.rebuilt else "up to date")
    return EXIT_OK


def cmd_add(args: argparse.Namespace) -> int:
    settings = Settings.from_args(args)
    # one lock over copying and indexing: a concurrent build cannot miss these documents
    with build_lock(settings.embeddings, settings.build_wait):
        changes = add_files(
            args.paths, settings.corpus[0], settings.removed_dir, replace=args.replace, max_mb=settings.max_document_mb
        )
        for ch in changes:
            kept = f"; the old version is kept as {ch.where}" if ch.action == "replaced" else ""
            print(f"{ch.action}: {ch.doc_id}{kept or f' ({ch.where})'}")
        engine = Engine.open(settings, strict=True, show_progress=True)
    _report_index(engine, "updated")
    return EXIT_OK


def cmd_remove(args: argparse.Namespace) -> int:
    settings = Settings.from_args(args)
    with build_lock(settings.embeddings, settings.build_wait):
        for ch in remove_docs(args.docs, settings.corpus[0], settings.removed_dir):
            print(f"{ch.action}: {ch.doc_id} (kept as {ch.where})")
        engine = Engine.open(settings, strict=True, show_progress=True)
    _report_index(engine, "updated")
    return EXIT_OK


def _as_of(text: str | None) -> dt.date | None:
    if not text:
        return None
    try:
        return parse_day(text)
    except ValueError as exc:
        raise BadInput(str(exc)) from None


def cmd_ask(args: argparse.Namespace) -> int:
    clean_question(args.question)  # reject bad input before loading anything
    _check_k(args.k)
    as_of = _as_of(args.as_of)
    engine = Engine.open(Settings.from_args(args))
    filters = Filters(tuple(args.doc), tuple(args.region), tuple(args.year))
    ans = ask(engine.retriever, args.question, k=args.k, mode=args.mode, filters=filters, as_of=as_of)
    print(json.dumps(ans.to_json(), ensure_ascii=False, indent=2) if args.json else format_answer(ans))
    return EXIT_OK


def read_queries(path: Path) -> list[tuple[str, str]]:
    """(id, question) pairs from JSON lines or plain lines; ids default to the line number."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadInput(f"{path}: not UTF-8 text") from exc
    except OSError as exc:
        raise BadInput(f"cannot read {path}: {exc.strerror or exc}") from exc
    out = []
    for n, line in enumerate(text.splitlines(), start=1):
        s = line.strip()
        if not s:
            continue
        if s.startswith("{"):
            try:
                obj = json.loads(s)
            except json.JSONDecodeError as exc:
                raise BadInput(f"{path}:{n}: not valid JSON ({exc.msg})") from exc
            if not isinstance(obj, dict) or "question" not in obj:
                raise BadInput(f'{path}:{n}: JSON line has no "question"')
            out.append((str(obj.get("id", n)), str(obj["question"])))
        else:
            out.append((str(n), s))
    return out


def cmd_search(args: argparse.Namespace) -> int:
    _check_k(args.k)
    queries = read_queries(args.queries)
    engine = Engine.open(Settings.from_args(args))
    for qid, question in queries:
        row: dict = {"id": qid, "question": question}
        try:
            row.update(ask(engine.retriever, question, k=args.k, mode=args.mode).to_json())
            row["question"] = question
        except BadQuestion as exc:
            row.update({"results": [], "error": str(exc)})
        print(json.dumps(row, ensure_ascii=False), flush=True)
    return EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    from qa.serve.web import serve

    serve(Settings.from_args(args))
    return EXIT_OK
