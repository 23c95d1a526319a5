"""The scale benchmark's machinery on a tiny synthetic corpus (figures are not asserted)."""

import numpy as np

from qa.scale import ANN_CHOICES, default_index, run_size


def _pool(rng):
    vecs = rng.normal(size=(60, 16)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    tokens = [[f"w{rng.integers(0, 40)}" for _ in range(5)] for _ in range(60)]
    return tokens, vecs


def test_ann_phase_measures_every_choice_against_exact_search():
    rng = np.random.default_rng(1)
    tokens, vecs = _pool(rng)
    queries = vecs[:8] + 0.01
    out = run_size(2_000, "ann", tokens, vecs, queries.astype(np.float32), [["w1", "w2"]] * 8)
    assert set(out["ann"]) == {label for label, _, _ in ANN_CHOICES}
    assert out["ann"]["Flat"]["recall@10"] == 1.0
    assert all(0 <= a["recall@10"] <= 1 and a["disk_mb"] > 0 for a in out["ann"].values())
    assert out["peak_rss_mb"] > 0


def test_serve_phase_times_the_three_retrievers():
    rng = np.random.default_rng(2)
    tokens, vecs = _pool(rng)
    out = run_size(1_000, "serve", tokens, vecs, vecs[:5], [["w3"], ["w4", "w5"], [], ["zz"], ["w1"]])
    assert out["default_dense"] == "Flat" and out["clauses"] == 1_000
    for key in ("dense_ms", "lexical_ms", "hybrid_ms"):
        assert out[key]["p50"] <= out[key]["p95"]
    assert default_index(1_000_000)[1] == "HNSW32"
