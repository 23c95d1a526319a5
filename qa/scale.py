"""``qa bench --scale``: how the index behaves at 10k, 100k and 1M clauses.

Synthetic corpora are recombined from the real seed sentences: a clause is 2–6
random sentences; its tokens are those sentences' jieba tokens, and its vector is the
normalized mean of the sentences' real embeddings plus a little noise (so 1M vectors
need no model run). Queries are the development questions, embedded once.

Each size runs in its own process so that its peak RSS is its own. For each size
it prints build time, size on disk, peak RSS, query latency p50/p95 for dense,
lexical and hybrid search, and for each ANN choice its recall@10 against exact
search. Figures only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

# (label, kind, search-time setting): exact search, and each ANN at a fast and a careful setting
ANN_CHOICES = (
    ("Flat", "Flat", 0),
    ("HNSW32 ef64", "HNSW32", 64),
    ("HNSW32 ef256", "HNSW32", 256),
    ("HNSW32 ef1024", "HNSW32", 1024),
    ("IVF nprobe64", "IVF", 64),
    ("IVF nprobe256", "IVF", 256),
    ("IVF-PQ nprobe64", "IVF-PQ", 64),
    ("IVF-PQ nprobe256+refine", "IVF-PQ-refine", 256),
)


def default_index(n: int) -> tuple[str, str, int]:
    """The dense index the engine would use at ``n`` clauses (chosen from these figures)."""
    return ("Flat", "Flat", 0) if n <= 100_000 else ("HNSW32 ef1024", "HNSW32", 1024)


def _p(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def _peak_rss_mb() -> float:
    """This process's peak RSS. VmHWM belongs to the address space, so unlike ru_maxrss it
    does not carry over the high-water mark of the parent that forked and exec'd us."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build_ann(kind: str, vectors: np.ndarray):
    import faiss

    n, dim = vectors.shape
    if kind == "Flat":
        index = faiss.IndexFlatIP(dim)
    elif kind == "HNSW32":
        index = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 40
    else:
        nlist = max(16, int(4 * np.sqrt(n)))
        quant = faiss.IndexFlatIP(dim)
        if kind == "IVF":
            index = faiss.IndexIVFFlat(quant, dim, nlist, faiss.METRIC_INNER_PRODUCT)
        else:
            m = next(x for x in (48, 32, 16, 8, 4, 2, 1) if dim % x == 0)  # 48 sub-quantizers for 384 dims
            index = faiss.IndexIVFPQ(quant, dim, nlist, m, 8, faiss.METRIC_INNER_PRODUCT)
            if kind == "IVF-PQ-refine":  # re-rank the PQ shortlist with the exact vectors
                index = faiss.IndexRefineFlat(index)
        train = vectors[np.random.default_rng(0).choice(n, size=min(n, 50 * nlist), replace=False)]
        index.train(train)
    index.add(vectors)
    return index


def set_search(index, kind: str, value: int) -> None:
    import faiss

    if kind == "HNSW32":
        index.hnsw.efSearch = value
    elif kind == "IVF-PQ-refine":
        faiss.downcast_index(index.base_index).nprobe = value
        index.k_factor = 10
    elif kind in ("IVF", "IVF-PQ"):
        index.nprobe = value


def disk_mb(index) -> float:
    """Size of ``index`` written to disk, in MB."""
    import faiss

    with tempfile.TemporaryDirectory() as d:
        faiss.write_index(index, f"{d}/i")
        return os.path.getsize(f"{d}/i") / 2**20


def run_size(
    n: int, phase: str, pool_tokens: list[list[str]], pool_vecs: np.ndarray, queries: np.ndarray, q_tokens: list[list[str]]
) -> dict:
    """One corpus size, in this process: phase "ann" compares every ANN choice with exact
    search; phase "serve" builds what the engine would serve (BM25 + the default dense
    index) and times dense, lexical and hybrid queries, so its peak RSS is a server's."""
    import bm25s
    import faiss

    rng = np.random.default_rng(n)
    out: dict = {"clauses": n}
    t0 = time.perf_counter()
    lengths = rng.integers(2, 7, size=n)
    picks = rng.integers(0, len(pool_tokens), size=int(lengths.sum()))
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    vectors = np.empty((n, pool_vecs.shape[1]), dtype=np.float32)
    tokens: list[list[str]] = []
    for i in range(n):
        sel = picks[offsets[i] : offsets[i + 1]]
        v = pool_vecs[sel].mean(axis=0) + rng.normal(0, 0.01, pool_vecs.shape[1]).astype(np.float32)
        vectors[i] = v / np.linalg.norm(v)
        tokens.append([t for j in sel for t in pool_tokens[j]])
    out["synthesis_s"] = round(time.perf_counter() - t0, 1)
    out["rss_after_synthesis_mb"] = round(_peak_rss_mb())

    if phase == "serve":
        t0 = time.perf_counter()
        bm25 = bm25s.BM25(k1=1.2, b=0.75)
        bm25.index(tokens, show_progress=False)
        out["bm25_build_s"] = round(time.perf_counter() - t0, 1)
        del tokens
        with tempfile.TemporaryDirectory() as d:
            bm25.save(d)
            out["bm25_disk_mb"] = round(sum(f.stat().st_size for f in Path(d).rglob("*") if f.is_file()) / 2**20, 1)
        return serve(n, out, bm25, vectors, queries, q_tokens)
    del tokens
    exact = faiss.IndexFlatIP(vectors.shape[1])
    exact.add(vectors)
    _, truth = exact.search(queries, 10)
    anns = {}
    built: dict[str, object] = {"Flat": exact}
    costs: dict[str, tuple[float, float]] = {"Flat": (0.0, disk_mb(exact))}
    for label, kind, value in ANN_CHOICES:
        if kind not in built:
            t0 = time.perf_counter()
            built[kind] = build_ann(kind, vectors)
            costs[kind] = (time.perf_counter() - t0, disk_mb(built[kind]))
        index = built[kind]
        set_search(index, kind, value)
        _, got = index.search(queries, 10)
        recall = float(np.mean([len(set(a) & set(b)) / 10 for a, b in zip(got, truth, strict=True)]))
        lat = []
        for q in queries:
            t = time.perf_counter()
            index.search(q[None, :], 100)
            lat.append((time.perf_counter() - t) * 1000)
        anns[label] = {
            "build_s": round(costs[kind][0], 1),
            "disk_mb": round(costs[kind][1], 1),
            "recall@10": round(recall, 4),
            "p50_ms": round(_p(lat, 0.5), 2),
            "p95_ms": round(_p(lat, 0.95), 2),
        }
    out["rss_after_ann_mb"] = round(_peak_rss_mb())
    out["ann"] = anns
    out["peak_rss_mb"] = round(_peak_rss_mb())
    return out


def serve(n: int, out: dict, bm25, vectors: np.ndarray, queries: np.ndarray, q_tokens: list[list[str]]) -> dict:
    vocab = bm25.vocab_dict

    def lexical(qt: list[str], k: int) -> np.ndarray:
        ids = [vocab[t] for t in qt if t in vocab]
        if not ids:
            return np.zeros(0, dtype=np.int64)
        s = bm25.get_scores(ids)
        top = np.argpartition(-s, k)[:k]
        return top[np.argsort(-s[top])]

    label, kind, value = default_index(n)
    t0 = time.perf_counter()
    dense_index = build_ann(kind, vectors)
    set_search(dense_index, kind, value)
    out["dense_build_s"] = round(time.perf_counter() - t0, 1)
    out["dense_disk_mb"] = round(disk_mb(dense_index), 1)
    lat_dense, lat_lex, lat_hyb = [], [], []
    for q, qt in zip(queries, q_tokens, strict=True):
        t = time.perf_counter()
        dense_index.search(q[None, :], 100)
        lat_dense.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        lexical(qt, 100)
        lat_lex.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()  # what Retriever.search does: both top-100, union, exact scores, fusion
        _, dtop = dense_index.search(q[None, :], 100)
        ltop = lexical(qt, 100)
        cand = np.union1d(dtop[0][dtop[0] >= 0], ltop)
        d = vectors[cand] @ q
        ids = [vocab[x] for x in qt if x in vocab]
        lx = bm25.get_scores(ids)[cand] if ids else np.zeros(len(cand))
        fused = 0.4 * (d - d.min()) / (np.ptp(d) or 1) + 0.6 * (lx - lx.min()) / (np.ptp(lx) or 1)
        np.argsort(-fused)[:10]
        lat_hyb.append((time.perf_counter() - t) * 1000)
    out["default_dense"] = label
    out["dense_ms"] = {"p50": round(_p(lat_dense, 0.5), 2), "p95": round(_p(lat_dense, 0.95), 2)}
    out["lexical_ms"] = {"p50": round(_p(lat_lex, 0.5), 2), "p95": round(_p(lat_lex, 0.95), 2)}
    out["hybrid_ms"] = {"p50": round(_p(lat_hyb, 0.5), 2), "p95": round(_p(lat_hyb, 0.95), 2)}
    out["peak_rss_mb"] = round(_peak_rss_mb())
    return out


def prepare(work: Path) -> Path:
    """Seed sentences (tokens, vectors) and dev questions (tokens, vectors) → an .npz."""
    from qa.chunk import sentences
    from qa.engine import Engine
    from qa.evaluate import load_questions
    from qa.normalize import normalize_query
    from qa.tokens import tokenize

    engine = Engine.open()
    idx = engine.index
    pool = [s for c in idx.chunks for s in sentences(c.text)]
    pool_tokens = [tokenize(s) for s in pool]
    questions = [normalize_query(q.question) for q in load_questions() if q.answerable]
    q_vecs = engine.encoder.encode_queries(questions)
    path = work / "scale-input.npz"
    np.savez(
        path,
        pool_vecs=idx.sentence_vectors.astype(np.float32),
        queries=q_vecs.astype(np.float32),
        pool_tokens=np.array([json.dumps(t, ensure_ascii=False) for t in pool_tokens]),
        q_tokens=np.array([json.dumps(tokenize(q), ensure_ascii=False) for q in questions]),
    )
    return path


def child(path: Path, n: int, phase: str) -> None:
    data = np.load(path)
    pool_tokens = [json.loads(x) for x in data["pool_tokens"]]
    q_tokens = [json.loads(x) for x in data["q_tokens"]]
    print(json.dumps(run_size(n, phase, pool_tokens, data["pool_vecs"], data["queries"], q_tokens)))


def run_scale(sizes: list[int], out: Path | None = None) -> list[dict]:
    with tempfile.TemporaryDirectory() as d:
        path = prepare(Path(d))
        rows = []
        for n in sizes:
            t0 = time.perf_counter()
            row: dict = {"clauses": n}
            for phase in ("serve", "ann"):
                cmd = [sys.executable, "-m", "qa.scale", "--child", str(path), str(n), phase]
                proc = subprocess.run(cmd, capture_output=True, text=True)
                if proc.returncode != 0:
                    print(f"{n} {phase}: failed: {proc.stderr.strip().splitlines()[-1:]}")
                    break
                part = json.loads(proc.stdout.strip().splitlines()[-1])
                if phase == "ann":
                    row["ann"] = part["ann"]
                    row["ann_peak_rss_mb"] = part["peak_rss_mb"]
                else:
                    row.update(part)
            else:
                row["total_s"] = round(time.perf_counter() - t0, 1)
                rows.append(row)
                print_row(row)
    if out:
        out.write_text(json.dumps(rows, indent=2), encoding="utf-8")
    return rows


def print_row(r: dict) -> None:
    print(
        f"\n{r['clauses']:>9,} clauses — serving BM25 + {r['default_dense']}: peak RSS {r['peak_rss_mb']} MB; "
        f"build BM25 {r['bm25_build_s']} s + dense {r['dense_build_s']} s; "
        f"disk BM25 {r['bm25_disk_mb']} MB + dense {r['dense_disk_mb']} MB"
    )
    print(
        f"  query p50/p95 ms: dense {r['dense_ms']['p50']}/{r['dense_ms']['p95']}, "
        f"lexical {r['lexical_ms']['p50']}/{r['lexical_ms']['p95']}, hybrid {r['hybrid_ms']['p50']}/{r['hybrid_ms']['p95']}"
    )
    print(f"  ANN choices (all built in one process, peak RSS {r['ann_peak_rss_mb']} MB):")
    for kind, a in r["ann"].items():
        print(
            f"  {kind:24s} build {a['build_s']:7.1f} s  disk {a['disk_mb']:8.1f} MB  recall@10 {a['recall@10']:.3f}  "
            f"search(k=100) p50 {a['p50_ms']:.2f} ms p95 {a['p95_ms']:.2f} ms"
        )


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--child", nargs=3)
    p.add_argument("--sizes", default="10000,100000,1000000")
    p.add_argument("--out", type=Path)
    args = p.parse_args(argv)
    if args.child:
        child(Path(args.child[0]), int(args.child[1]), args.child[2])
        return
    run_scale([int(x) for x in args.sizes.split(",")], args.out)


if __name__ == "__main__":
    main()
