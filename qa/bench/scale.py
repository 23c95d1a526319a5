"""``qa bench --scale``: how the index behaves at 10k, 100k and 1M clauses.

Synthetic corpora are recombined from the real seed sentences: a clause is 2–6
random sentences; its tokens are those sentences' jieba tokens, and its vector is the
normalized mean of the sentences' real embeddings plus a little noise (so 1M vectors
need no model run). Queries are the development questions, embedded once.

Each size runs in three processes so that each peak RSS is its own: "build" writes
the lexical index and dense store with the engine's own classes (``qa.search.lexical``,
``qa.search.stores``) into a folder; "serve" opens that folder the way the engine does
(memory-mapped BM25 and vectors, the FAISS graph in RAM), holds a clause table of
the same size, and times dense, lexical and hybrid queries; "ann" compares every
ANN choice with exact search (recall@10). Figures only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from qa.measure import peak_rss_mb, percentile

# (label, kind, search-time setting): exact search, and each ANN at a fast and a careful setting
ANN_CHOICES = (
    ("Flat", "Flat", 0),
    ("HNSW32 ef64", "HNSW32", 64),
    ("HNSW32 ef256", "HNSW32", 256),
    ("HNSW32 ef1024", "HNSW32", 1024),
    ("HNSW32 ef2048", "HNSW32", 2048),
    ("IVF nprobe64", "IVF", 64),
    ("IVF nprobe256", "IVF", 256),
    ("IVF nprobe512", "IVF", 512),
    ("IVF nprobe1024", "IVF", 1024),
    ("IVF-SQ8 nprobe max(512, lists/8) + exact rescoring (engine)", "IVF-SQ8", -1),
    ("IVF-PQ nprobe64", "IVF-PQ", 64),
    ("IVF-PQ nprobe256+refine", "IVF-PQ-refine", 256),
)


def build_ann(kind: str, vectors: np.ndarray):
    import faiss

    from qa.search.stores import ivf_lists
    from qa.search.stores.faiss_store import FaissStore

    n, dim = vectors.shape
    if kind == "IVF-SQ8":  # exactly what the engine builds above FLAT_MAX
        with tempfile.TemporaryDirectory() as d:
            FaissStore.write(Path(d), vectors, force="IVF")
            return faiss.read_index(f"{d}/dense.faiss")
    if kind == "Flat":
        index = faiss.IndexFlatIP(dim)
    elif kind == "HNSW32":
        index = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 40
    else:
        nlist = ivf_lists(n)
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

    from qa.search.stores import ivf_probes

    if kind == "HNSW32":
        index.hnsw.efSearch = value
    elif kind == "IVF-PQ-refine":
        faiss.downcast_index(index.base_index).nprobe = value
        index.k_factor = 10
    elif kind in ("IVF", "IVF-PQ", "IVF-SQ8"):
        index.nprobe = value if value > 0 else ivf_probes(index.nlist)


def disk_mb(index) -> float:
    """Size of ``index`` written to disk, in MB."""
    import faiss

    with tempfile.TemporaryDirectory() as d:
        faiss.write_index(index, f"{d}/i")
        return os.path.getsize(f"{d}/i") / 2**20


def picks(n: int, pool: int) -> list[np.ndarray]:
    """For each of ``n`` clauses, which 2–6 of the ``pool`` seed sentences it is made of."""
    rng = np.random.default_rng(n)
    lengths = rng.integers(2, 7, size=n)
    flat = rng.integers(0, pool, size=int(lengths.sum()))
    return np.split(flat, np.cumsum(lengths)[:-1])


def synthetic_tokens(n: int, pool_tokens: list[list[str]]) -> Iterator[list[str]]:
    """``n`` clauses' tokens, one clause at a time (as ``qa index`` tokenizes them)."""
    for sel in picks(n, len(pool_tokens)):
        yield [t for j in sel for t in pool_tokens[j]]


def synthetic_vectors(n: int, pool_vecs: np.ndarray) -> np.ndarray:
    """The same clauses' vectors: normalized mean of their sentences' + noise."""
    rng = np.random.default_rng(n + 1)
    vectors = np.empty((n, pool_vecs.shape[1]), dtype=np.float32)
    for i, sel in enumerate(picks(n, len(pool_vecs))):
        v = pool_vecs[sel].mean(axis=0) + rng.normal(0, 0.01, pool_vecs.shape[1]).astype(np.float32)
        vectors[i] = v / np.linalg.norm(v)
    return vectors


def _folder_mb(path: Path) -> float:
    if path.is_file():
        return path.stat().st_size / 2**20
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20 if path.exists() else 0.0


def build_phase(n: int, folder: Path, data) -> dict:
    """What ``qa index`` writes for the retrieval side, with the engine's classes."""
    from qa.search.lexical import LexicalIndex
    from qa.search.stores.faiss_store import FaissStore

    out: dict = {"clauses": n}
    t0 = time.perf_counter()  # clauses are synthesized as they are indexed, as qa index tokenizes them
    lexical = LexicalIndex.build(synthetic_tokens(n, data["pool_tokens"]))
    out["bm25_build_s"] = round(time.perf_counter() - t0, 1)
    lexical.save(folder / "lexical")
    del lexical
    t0 = time.perf_counter()
    vectors = synthetic_vectors(n, data["pool_vecs"])
    out["synthesis_s"] = round(time.perf_counter() - t0, 1)
    np.save(folder / "vectors.npy", vectors)
    t0 = time.perf_counter()
    out["default_dense"] = FaissStore.write(folder, vectors)
    out["dense_build_s"] = round(time.perf_counter() - t0, 1)
    out["bm25_disk_mb"] = round(_folder_mb(folder / "lexical"), 1)
    out["dense_disk_mb"] = round(_folder_mb(folder / "vectors.npy") + _folder_mb(folder / "dense.faiss"), 1)
    out["build_peak_rss_mb"] = round(peak_rss_mb())
    return out


def serve_phase(n: int, folder: Path, kind: str, data) -> dict:
    """Open the folder as the engine does and time queries; peak RSS is a server's."""
    from qa.ingest.chunk import Chunk
    from qa.search.lexical import LexicalIndex
    from qa.search.stores.faiss_store import FaissStore

    out: dict = {}
    vectors = np.load(folder / "vectors.npy", mmap_mode="r")
    store = FaissStore.open(folder, vectors, kind)
    lexical = LexicalIndex.load(folder / "lexical")
    out["open_rss_mb"] = round(peak_rss_mb())
    # the clause table the engine keeps in memory (text, section path, original text)
    texts = data["pool_texts"]
    chunks = [
        Chunk(
            f"doc{i // 200:05d}.txt#{i % 200:04d}",
            f"doc{i // 200:05d}.txt",
            i % 200,
            ("一、总体要求", "(一)指导思想"),
            "".join(texts[j] for j in sel),
            0,
            0,
            0,
            0,
            "clause",
        )
        for i, sel in enumerate(picks(n, len(texts)))
    ]
    # the engine keeps a clause's original wording only where it differs from the normalized
    # text (Traditional, pinyin, mojibake sources); count it for one clause in five
    originals = {c.chunk_id: "".join(reversed(c.text)) for c in chunks[::5]}
    out["table_rss_mb"] = round(peak_rss_mb())
    queries, q_tokens = data["queries"], data["q_tokens"]
    lat: dict[str, list[float]] = {"dense": [], "lexical": [], "hybrid": []}
    none = np.zeros(0, dtype=np.int64)
    for q, qt in zip(queries, q_tokens, strict=True):
        t = time.perf_counter()
        store.search(q, 100)
        lat["dense"].append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        lexical.search([(qt, 1.0)], 100, none)
        lat["lexical"].append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()  # Retriever.search's first stage: both top 100, exact scores of all, fusion
        cand, lx = lexical.search([(qt, 1.0)], 100, store.search(q, 100))
        d = store.score(q, cand)
        fused = 0.4 * (d - d.min()) / (np.ptp(d) or 1) + 0.6 * (lx - lx.min()) / (np.ptp(lx) or 1)
        cand[np.argsort(-fused)[:10]]
        lat["hybrid"].append((time.perf_counter() - t) * 1000)
    for mode, xs in lat.items():
        out[f"{mode}_ms"] = {"p50": round(percentile(xs, 0.5), 2), "p95": round(percentile(xs, 0.95), 2), "n": len(xs)}
    out["table_clauses"] = len(chunks)
    out["serve_peak_rss_mb"] = round(peak_rss_mb())
    del chunks, originals
    return out


def ann_phase(n: int, data, only: str = "") -> dict:
    """Every ANN choice (or those of kind ``only``) against exact search, in this process."""
    import faiss

    out: dict = {}
    vectors = synthetic_vectors(n, data["pool_vecs"])
    queries = data["queries"]
    exact = faiss.IndexFlatIP(vectors.shape[1])
    exact.add(vectors)
    _, truth = exact.search(queries, 10)
    anns = {}
    built: dict[str, object] = {"Flat": exact}
    costs: dict[str, tuple[float, float]] = {"Flat": (0.0, disk_mb(exact))}
    for label, kind, value in ANN_CHOICES:
        if only and kind not in (only, "Flat"):
            continue
        if kind not in built:
            t0 = time.perf_counter()
            built[kind] = build_ann(kind, vectors)
            costs[kind] = (time.perf_counter() - t0, disk_mb(built[kind]))
        index = built[kind]
        set_search(index, kind, value)
        if kind == "IVF-SQ8":  # as the engine does: 100 candidates, ranked by their exact cosine
            _, cands = index.search(queries, 100)
            got = [c[np.argsort(-(vectors[c] @ q))[:10]] for c, q in zip(cands, queries, strict=True)]
        else:
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
            "p50_ms": round(percentile(lat, 0.5), 2),
            "p95_ms": round(percentile(lat, 0.95), 2),
        }
    out["rss_after_ann_mb"] = round(peak_rss_mb())
    out["ann"] = anns
    out["peak_rss_mb"] = round(peak_rss_mb())
    return out


def prepare(work: Path, settings=None) -> Path:
    """Seed sentences (text, tokens, vectors) and dev questions (tokens, vectors) → an .npz."""
    from qa.engine import Engine
    from qa.eval import load_questions
    from qa.ingest.normalize import normalize_query
    from qa.search.tokens import tokenize
    from qa.text import sentences

    engine = Engine.open(settings)
    idx = engine.index
    pool = [s for c in idx.chunks for s in sentences(c.text)]
    questions = [normalize_query(q.question) for q in load_questions() if q.answerable]
    q_vecs = engine.encoder.encode_queries(questions)
    path = work / "scale-input.npz"
    np.savez(
        path,
        pool_vecs=np.asarray(idx.sentence_vectors, dtype=np.float32),
        queries=q_vecs.astype(np.float32),
        pool_texts=np.array(pool),
        pool_tokens=np.array([json.dumps(tokenize(s), ensure_ascii=False) for s in pool]),
        q_tokens=np.array([json.dumps(tokenize(q), ensure_ascii=False) for q in questions]),
    )
    return path


def load_input(path: Path) -> dict:
    data = np.load(path)
    return {
        "pool_vecs": data["pool_vecs"],
        "queries": data["queries"],
        "pool_texts": [str(x) for x in data["pool_texts"]],
        "pool_tokens": [json.loads(x) for x in data["pool_tokens"]],
        "q_tokens": [json.loads(x) for x in data["q_tokens"]],
    }


def child(path: Path, n: int, phase: str, kind: str = "") -> None:
    data = load_input(path)
    folder = path.parent / f"index-{n}"
    folder.mkdir(exist_ok=True)
    if phase == "build":
        out = build_phase(n, folder, data)
    elif phase == "serve":
        out = serve_phase(n, folder, kind, data)
    else:  # "ann", or "ann:<kind>" for one kind
        out = ann_phase(n, data, phase.partition(":")[2])
    print(json.dumps(out))


def _run_child(path: Path, n: int, phase: str, kind: str = "") -> dict | None:
    cmd = [sys.executable, "-m", "qa.bench.scale", "--child", str(path), str(n), phase, kind or "-"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        print(f"{n} {phase}: failed: {proc.stderr.strip().splitlines()[-1:]}")
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run_scale(
    sizes: list[int], out: Path | None = None, phases: tuple[str, ...] = ("build", "serve", "ann"), settings=None
) -> list[dict]:
    with tempfile.TemporaryDirectory() as d:
        path = prepare(Path(d), settings)
        rows = []
        for n in sizes:
            t0 = time.perf_counter()
            row: dict = {"clauses": n}
            for phase in phases:
                part = _run_child(path, n, phase, row.get("default_dense", ""))
                if part is None:
                    break
                if phase.startswith("ann"):
                    row["ann"] = part["ann"]
                    row["ann_peak_rss_mb"] = part["peak_rss_mb"]
                else:
                    row.update(part)
                if phase == "serve":
                    shutil.rmtree(path.parent / f"index-{n}", ignore_errors=True)
            else:
                row["total_s"] = round(time.perf_counter() - t0, 1)
                rows.append(row)
                print_row(row)
    if out:
        out.write_text(json.dumps(rows, indent=2, ensure_ascii=False), encoding="utf-8")
    return rows


def print_row(r: dict) -> None:
    if "serve_peak_rss_mb" in r:
        print(
            f"\n{r['clauses']:>9,} clauses — dense store {r['default_dense']}: build BM25 {r['bm25_build_s']} s + "
            f"dense {r['dense_build_s']} s (peak RSS {r['build_peak_rss_mb']} MB); "
            f"disk BM25 {r['bm25_disk_mb']} MB + dense {r['dense_disk_mb']} MB"
        )
        print(
            f"  serving: RSS {r['open_rss_mb']} MB after open, {r['table_rss_mb']} MB with the clause table, "
            f"peak {r['serve_peak_rss_mb']} MB"
        )
        print(
            f"  query p50/p95 ms: dense {r['dense_ms']['p50']}/{r['dense_ms']['p95']}, "
            f"lexical {r['lexical_ms']['p50']}/{r['lexical_ms']['p95']}, hybrid {r['hybrid_ms']['p50']}/{r['hybrid_ms']['p95']}"
        )
    if "ann" in r:
        print(f"  ANN choices at {r['clauses']:,} (all built in one process, peak RSS {r['ann_peak_rss_mb']} MB):")
        for kind, a in r["ann"].items():
            print(
                f"  {kind:24s} build {a['build_s']:7.1f} s  disk {a['disk_mb']:8.1f} MB  recall@10 {a['recall@10']:.3f}  "
                f"search(k=100) p50 {a['p50_ms']:.2f} ms p95 {a['p95_ms']:.2f} ms"
            )


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--child", nargs=4)
    p.add_argument("--sizes", default="10000,100000,1000000")
    p.add_argument("--phases", default="build,serve,ann")
    p.add_argument("--out", type=Path)
    args = p.parse_args(argv)
    if args.child:
        path, n, phase, kind = args.child
        child(Path(path), int(n), phase, "" if kind == "-" else kind)
        return
    run_scale([int(x) for x in args.sizes.split(",")], args.out, tuple(args.phases.split(",")))


if __name__ == "__main__":
    main()
