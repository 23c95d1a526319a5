"""What opening an unchanged index costs as the corpus grows: with the catalog, and reading every document.

``python -m qa.bench.opening [--docs 1000]``

Makes a synthetic corpus of N documents from the seeds (each copy made distinct by a
line of its own), builds its index once with the hashing encoder, then times, on the
unchanged corpus: scanning it with the catalog (``qa.ingest.catalog``), opening the whole
engine (scan, model, index), and — what opening cost before the catalog — reading and
normalizing every document (``qa.ingest.load_corpus``).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from qa.engine import Engine, scan_corpus
from qa.ingest import load_corpus
from qa.settings import PROJECT_ROOT, Settings


def make_corpus(folder: Path, n: int) -> None:
    seeds = sorted((PROJECT_ROOT / "seeds").glob("*.txt"))
    texts = [s.read_text(encoding="utf-8") for s in seeds]
    for i in range(n):
        k = i % len(seeds)
        (folder / f"{i:04d}_{seeds[k].name}").write_text(texts[k] + f"\n（副本{i}）\n", encoding="utf-8")


def _best(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--docs", type=int, default=1000)
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        corpus, emb = Path(tmp) / "corpus", Path(tmp) / "emb"
        corpus.mkdir()
        make_corpus(corpus, args.docs)
        settings = Settings(corpus=(corpus,), embeddings=emb, model="hashing")
        t0 = time.perf_counter()
        engine = Engine.open(settings)
        build = time.perf_counter() - t0
        chars = sum(f.stat().st_size for f in corpus.iterdir()) / 3
        n = engine.index.manifest.n_chunks
        print(f"{args.docs} documents, ~{chars / 1e6:.1f}M characters, {n} clauses; first open (build) {build:.1f} s")
        scan = _best(lambda: scan_corpus(settings))
        opened = _best(lambda: Engine.open(settings, encoder=engine.encoder))
        full = _best(lambda: load_corpus(corpus), repeat=1)
    print(f"{'unchanged corpus':34} {'seconds':>8}")
    print(f"{'scan with the catalog':34} {scan:8.2f}")
    print(f"{'open the engine (scan+index)':34} {opened:8.2f}")
    print(f"{'read every document (before)':34} {full:8.2f}")
    print(f"catalog scan / full read: {scan / full:.3f}")


if __name__ == "__main__":
    main()
