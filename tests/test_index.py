import json

import pytest

from qa.ingest import load_corpus
from qa.ingest.chunk import CHUNKER_VERSION
from qa.models import HashingEncoder
from qa.search.build import build_index
from qa.search.index import SCHEMA_VERSION, is_current, load_index, read_manifest


class CountingEncoder(HashingEncoder):
    """The hashing encoder, counting how many documents it was asked to embed."""

    def __init__(self) -> None:
        super().__init__()
        self.embedded = 0

    def encode_documents(self, texts, show_progress=False):
        self.embedded += len(texts)
        return super().encode_documents(texts, show_progress)


def test_manifest_records_what_was_built(tmp_path, small_corpus):
    docs = load_corpus(small_corpus).documents
    enc = HashingEncoder()
    build_index(tmp_path, docs, enc)
    m = read_manifest(tmp_path)
    assert m.schema_version == SCHEMA_VERSION and m.model_fingerprint == enc.fingerprint and m.dim == enc.dim
    assert m.chunker_version == CHUNKER_VERSION and m.index_type == "Flat" and m.store == "faiss" and not m.collection
    assert {d.doc_id for d in m.documents} == {d.doc_id for d in docs}
    assert m.n_chunks == sum(d.n_chunks for d in m.documents) and m.build_time and "faiss-cpu" in m.versions
    idx = load_index(tmp_path)
    assert len(idx.chunks) == idx.vectors.shape[0] == idx.lexical.n == m.n_chunks
    assert len(idx.sentence_vectors) == len(idx.sentence_owner) == m.n_sentences > m.n_chunks
    assert list(idx.sentence_owner) == sorted(idx.sentence_owner)  # grouped by clause


def test_rebuilt_when_corpus_changes_and_unchanged_clauses_reused(tmp_path, small_corpus):
    enc = CountingEncoder()
    docs = load_corpus(small_corpus).documents
    build_index(tmp_path, docs, enc)
    first = enc.embedded
    assert is_current(tmp_path, docs, enc)

    path = small_corpus / "002_c9fc10332399f20f.txt"
    path.write_text(path.read_text(encoding="utf-8").replace("青岛要进一步解放思想", "青岛要进一步扩大开放"), encoding="utf-8")
    docs2 = load_corpus(small_corpus).documents
    assert not is_current(tmp_path, docs2, enc)
    build_index(tmp_path, docs2, enc)
    m = read_manifest(tmp_path)
    # only the edited clause, and its one edited sentence, were embedded again
    assert m.embedded == 1 and m.sentences_embedded == 1
    assert enc.embedded - first == 2
    texts = [c.text for c in load_index(tmp_path).chunks]
    assert any("青岛要进一步扩大开放" in t for t in texts) and not any("解放思想" in t for t in texts)


def test_removed_document_disappears(tmp_path, small_corpus):
    enc = HashingEncoder()
    build_index(tmp_path, load_corpus(small_corpus).documents, enc)
    (small_corpus / "004_22f10f2e85e2a610.txt").unlink()
    build_index(tmp_path, load_corpus(small_corpus).documents, enc)
    assert {c.doc_id for c in load_index(tmp_path).chunks} == {"002_c9fc10332399f20f.txt"}


def test_crash_mid_build_leaves_previous_index_serving(tmp_path, small_corpus):
    enc = HashingEncoder()
    docs = load_corpus(small_corpus).documents
    build_index(tmp_path, docs, enc)
    before = load_index(tmp_path)

    def crash(_folder):
        raise KeyboardInterrupt("power cut")

    (small_corpus / "004_22f10f2e85e2a610.txt").unlink()
    with pytest.raises(KeyboardInterrupt):
        build_index(tmp_path, load_corpus(small_corpus).documents, enc, on_built=crash)
    after = load_index(tmp_path)
    assert after.path == before.path and len(after.chunks) == len(before.chunks)
    assert not list(tmp_path.glob(".building-*"))


def test_damaged_index_gives_a_clear_error(tmp_path, small_corpus):
    from qa.errors import IndexNotReady

    build_index(tmp_path, load_corpus(small_corpus).documents, HashingEncoder())
    (tmp_path / "index" / "vectors.npy").write_bytes(b"garbage")
    with pytest.raises(IndexNotReady, match=r"damaged: vectors\.npy is 7 bytes"):
        load_index(tmp_path)
    manifest = json.loads((tmp_path / "index" / "manifest.json").read_text())
    assert manifest["n_chunks"] > 0


def test_lexical_index_streams_and_scores_as_bm25s_does(hashing_engine):
    import bm25s
    import numpy as np

    from qa.search.lexical import K1, B, LexicalIndex
    from qa.search.tokens import tokenize

    tokens = [tokenize(c.text) for c in hashing_engine.index.chunks] + [[]]  # and an empty clause
    streamed = LexicalIndex.build(t for t in tokens)  # a generator: read once, never held as lists
    reference = bm25s.BM25(k1=K1, b=B)
    reference.index([t or [""] for t in tokens], show_progress=False)
    assert streamed.n == len(tokens)
    for q in ("外地人在太原落户需要什么条件", "保障性租赁住房 长沙 长沙", "城镇老旧小区改造", "no such words"):
        qt = tokenize(q)
        ids = [reference.vocab_dict[t] for t in qt if t in reference.vocab_dict]
        expected = reference.get_scores(ids) if ids else np.zeros(len(tokens))
        np.testing.assert_allclose(streamed.scores(qt), expected, rtol=1e-6)
    assert streamed.df("住房") == sum("住房" in t for t in tokens) > 0 and streamed.df("") == 0
