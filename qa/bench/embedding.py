"""``qa bench --embedding``: the default model's runtimes side by side, in one run.

For each runtime (PyTorch; ONNX Runtime with float questions, and with int8 questions, the
default; int8 PyTorch) a separate process builds the
seed index from scratch, timing only the encoder's calls (clauses, then the sentences the
re-ranker uses), times 100 new questions one at a time, and evaluates the full pipeline
on both halves of the evaluation set. The parent prints throughput, its ratio to
PyTorch, the cosine of each runtime's clause vectors to PyTorch's, and Hit@1 / MRR@10 /
no-match recall before and after. Figures only; nothing is asserted.
The default (int8 questions) loads its float graph on the first document, so that load is in
its embedding time, not its load time.
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from qa.engine import Engine, index_root
from qa.measure import peak_rss_mb, percentile
from qa.models.encoders import Encoder
from qa.models.loader import DEFAULT_MODEL, FLOAT_MODEL, INT8_MODEL, TORCH_MODEL, load_encoder
from qa.search.index import current_path
from qa.settings import Settings

RUNTIMES = (TORCH_MODEL, FLOAT_MODEL, DEFAULT_MODEL, INT8_MODEL)
N_QUERIES = 100


@dataclass
class TimedEncoder:
    """Passes calls through to ``inner``, adding up the time spent encoding documents."""

    inner: Encoder
    seconds: float = 0.0
    texts: int = 0

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def fingerprint(self) -> str:
        return self.inner.fingerprint

    @property
    def dim(self) -> int:
        return self.inner.dim

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.inner.encode_queries(texts)

    def encode_documents(self, texts: Sequence[str], show_progress: bool = False) -> np.ndarray:
        t0 = time.perf_counter()
        out = self.inner.encode_documents(texts, show_progress)
        self.seconds += time.perf_counter() - t0
        self.texts += len(texts)
        return out


def measure(model: str, settings: Settings, workdir: Path) -> dict[str, object]:
    """One runtime, in this process: build, time, evaluate. ``workdir`` receives the index."""
    from qa.eval import load_questions, relevance, run_variant
    from qa.eval.dataset import SPLITS

    (workdir / "models").symlink_to(settings.models_dir.resolve(), target_is_directory=True)
    t0 = time.perf_counter()
    encoder = load_encoder(model, settings.models_dir)
    load_s = time.perf_counter() - t0
    timed = TimedEncoder(encoder)
    engine = Engine.open(replace(settings, embeddings=workdir, model=model), encoder=timed)
    m = engine.index.manifest
    questions = load_questions()
    lat = []
    for q in questions[:N_QUERIES]:
        t0 = time.perf_counter()
        encoder.encode_queries([q.question])
        lat.append((time.perf_counter() - t0) * 1000)
    rel = relevance(engine, questions)
    shipped = engine.retriever.config
    evals = {}
    for split in SPLITS:
        qs = [q for q in questions if q.split == split]
        if not qs:
            continue
        r = run_variant(engine.retriever, qs, rel, "hybrid", shipped, "full")
        evals[split] = {"hit@1": r.metrics["hit_rate@1"], "mrr@10": r.metrics["mrr@10"], "no_match_recall": r.no_answer["recall"]}
    vectors = current_path(index_root(engine.settings, timed)) / "vectors.npy"
    return {
        "model": model,
        "label": encoder.name,
        "load_s": round(load_s, 2),
        "clauses": m.n_chunks,
        "texts": timed.texts,
        "embed_s": round(timed.seconds, 2),
        "texts_per_s": round(timed.texts / timed.seconds, 1) if timed.seconds else 0.0,
        "query_p50_ms": round(statistics.median(lat), 1),
        "query_p95_ms": round(percentile(lat, 0.95), 1),
        "peak_rss_mb": round(peak_rss_mb()),
        "eval": evals,
        "vectors": str(vectors.resolve()),
    }


def run_embedding_bench(settings: Settings, models: Sequence[str] = RUNTIMES, out: Path | None = None) -> int:
    tmp = Path(tempfile.mkdtemp(prefix="qa-embed-bench-"))
    rows: list[dict] = []
    try:
        if any(m.startswith(DEFAULT_MODEL) for m in models):
            load_encoder(DEFAULT_MODEL, settings.models_dir)  # converts and exports once, outside the timings
        for i, model in enumerate(models):
            work = tmp / f"{i}-{model}"
            work.mkdir()
            cmd = [
                sys.executable,
                "-m",
                "qa.bench.embedding",
                model,
                str(work),
                str(settings.models_dir),
                *map(str, settings.corpus),
            ]
            proc = subprocess.run(cmd, capture_output=True, text=True)
            if proc.returncode != 0:
                print(f"{model}: failed\n{proc.stderr[-2000:]}", file=sys.stderr)
                return 1
            rows.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        base = rows[0]
        ref = np.load(base["vectors"])
        for r in rows:
            v = np.load(r["vectors"])
            cos = np.sum(v * ref, axis=1)
            r["cosine_to_first"] = {"mean": round(float(cos.mean()), 6), "min": round(float(cos.min()), 6)}
            r["speedup"] = round(r["texts_per_s"] / base["texts_per_s"], 2)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"seed index from scratch: {base['clauses']} clauses + sentences = {base['texts']} texts embedded; 2 cores")
    head = "| runtime | texts/s | × first | query p50/p95 ms | load s | peak RSS MB | cosine to first (mean/min) |"
    print(head + " held H@1 / MRR@10 / no-match | tune H@1 / MRR@10 / no-match |")
    print("|" + " --- |" * 9)
    for r in rows:
        e = r["eval"]
        held = " / ".join(f"{e['held'][k]:.3f}" for k in ("hit@1", "mrr@10", "no_match_recall"))
        tune = " / ".join(f"{e['tune'][k]:.3f}" for k in ("hit@1", "mrr@10", "no_match_recall"))
        c = r["cosine_to_first"]
        print(
            f"| {r['model']} | {r['texts_per_s']} | {r['speedup']:.2f} | {r['query_p50_ms']} / {r['query_p95_ms']} | "
            f"{r['load_s']} | {r['peak_rss_mb']} | {c['mean']:.6f} / {c['min']:.6f} | {held} | {tune} |"
        )
    if out:
        out.write_text(json.dumps([{k: v for k, v in r.items() if k != "vectors"} for r in rows], indent=2) + "\n")
    return 0


if __name__ == "__main__":  # one runtime, in a process of its own (for its peak RSS)
    model_arg, work_arg, models_arg, *corpus = sys.argv[1:]
    # the work folder links to the parent's models folder, so no model is converted twice
    base_settings = Settings(corpus=tuple(Path(c) for c in corpus), embeddings=Path(models_arg).parent)
    print(json.dumps(measure(model_arg, base_settings, Path(work_arg)), ensure_ascii=False))
