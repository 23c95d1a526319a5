"""``qa bench``: build time, query latency and memory; ``--scale`` and ``--embedding`` for the larger runs."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from qa.settings import Settings


def register(sub: argparse._SubParsersAction, common: Callable[[argparse.ArgumentParser], None]) -> None:
    p = sub.add_parser("bench", help="index build time, query latency, peak memory")
    common(p)
    p.add_argument("--queries", type=int, default=200, help="number of questions to time (spread over the evaluation set)")
    p.add_argument("--scale", action="store_true", help="synthetic corpora of 10k/100k/1M clauses (takes ~25 min)")
    p.add_argument("--sizes", default="10000,100000,1000000", help="with --scale: clause counts, comma-separated")
    p.add_argument(
        "--embedding",
        action="store_true",
        help="the default model on PyTorch, ONNX Runtime (float or int8 questions) and int8 PyTorch, side by side",
    )
    p.add_argument("--out", type=Path, help="with --scale or --embedding: also write the figures as JSON")
    p.set_defaults(handler=cmd_bench)


def cmd_bench(args: argparse.Namespace) -> int:
    settings = Settings.from_args(args)
    if args.scale:
        from qa.bench.scale import run_scale

        run_scale([int(x) for x in args.sizes.split(",")], args.out, settings=settings)
        return 0
    if args.embedding:
        from qa.bench.embedding import run_embedding_bench

        return run_embedding_bench(settings, out=args.out)
    from qa.bench.latency import run_bench

    return run_bench(settings, args.queries)
