"""The scale benchmark's machinery on a tiny synthetic corpus (figures are not asserted)."""

import numpy as np

from qa.bench.scale import ANN_CHOICES, ann_phase, build_phase, serve_phase
from qa.search.stores import dense_kind


def _data(rng, n_queries: int = 5) -> dict:
    vecs = rng.normal(size=(60, 16)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    tokens = [[f"w{rng.integers(0, 40)}" for _ in range(5)] for _ in range(60)]
    q_tokens = [["w3"], ["w4", "w5"], [], ["zz"], ["w1"], ["w2"], ["w6"], ["w7"]][:n_queries]
    return {
        "pool_vecs": vecs,
        "pool_tokens": tokens,
        "pool_texts": [f"第{i}句。" for i in range(60)],
        "queries": (vecs[:n_queries] + 0.01).astype(np.float32),
        "q_tokens": q_tokens,
    }


def test_ann_phase_measures_every_choice_against_exact_search():
    out = ann_phase(2_000, _data(np.random.default_rng(1), 8))
    ann = out["ann"]
    assert set(ann) == {label for label, _, _ in ANN_CHOICES}
    assert ann["Flat"]["recall@10"] == 1.0
    # 178 lists at 2,000 clauses: probing 1,024 of them is exhaustive, so exact
    assert ann["IVF nprobe1024"]["recall@10"] == 1.0
    engine = next(label for label, kind, _ in ANN_CHOICES if kind == "IVF-SQ8")
    assert ann[engine]["recall@10"] >= 0.95  # 8-bit codes find the candidates, exact cosines order them
    assert ann["HNSW32 ef2048"]["recall@10"] >= 0.95


def test_build_then_serve_from_disk_times_the_three_retrievers(tmp_path):
    data = _data(np.random.default_rng(2))
    built = build_phase(1_000, tmp_path, data)
    assert built["default_dense"] == "Flat" and (tmp_path / "lexical").is_dir() and (tmp_path / "vectors.npy").exists()
    assert not (tmp_path / "dense.faiss").exists()  # exact search needs no ANN file at this size
    out = serve_phase(1_000, tmp_path, built["default_dense"], data)
    assert out["table_clauses"] == 1_000
    assert all(out[f"{mode}_ms"]["n"] == len(data["queries"]) for mode in ("dense", "lexical", "hybrid"))
    assert dense_kind(1_000_000) == "IVF4000,SQ8" and dense_kind(100_000) == "Flat"


def test_embedding_bench_builds_and_evaluates_each_runtime_in_its_own_process(tmp_path, capsys):
    import json

    from qa.bench.embedding import run_embedding_bench
    from qa.settings import PROJECT_ROOT, Settings

    out = tmp_path / "embedding.json"
    settings = Settings(corpus=(PROJECT_ROOT / "seeds",), embeddings=tmp_path / "emb")
    settings.models_dir.mkdir(parents=True)
    assert run_embedding_bench(settings, models=("hashing", "hashing"), out=out) == 0
    rows = json.loads(out.read_text())
    assert [r["model"] for r in rows] == ["hashing", "hashing"]
    for r in rows:  # the whole seed index was embedded: clauses and their sentences
        assert r["texts"] > r["clauses"] > 100 and r["texts_per_s"] > 0
        assert r["cosine_to_first"]["min"] > 0.9999  # a deterministic encoder agrees with itself
        assert set(r["eval"]) == {"tune", "held", "fresh"} and 0 < r["eval"]["held"]["hit@1"] <= 1
    assert rows[0]["eval"] == rows[1]["eval"]
    assert "| hashing |" in capsys.readouterr().out


def test_percentile_is_by_rank_and_order_free():
    from qa.measure import percentile

    assert percentile([5.0, 1.0, 3.0, 2.0, 4.0], 0.5) == 3.0
    assert percentile(range(1, 101), 0.95) == 96  # position ⌊0.95·100⌋ of 1..100
    assert percentile([7.0], 0.95) == 7.0 and percentile([1.0, 2.0], 1.0) == 2.0
