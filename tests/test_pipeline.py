"""Each retrieval step on its own: candidates, fusion, re-scoring, judgement, and the
whole pipeline's edge cases (filters that allow nothing)."""

from __future__ import annotations

import numpy as np
import pytest

from qa.search import Filters
from qa.search.candidates import gather
from qa.search.filters import allowed_mask
from qa.search.fusion import fuse, minmax
from qa.search.judge import Signals, on_topic, unknown_share
from qa.search.rerank import rescore


class _Store:
    """Dense scores given per position; the nearest are the highest."""

    full_text = False

    def __init__(self, dense: list[float]) -> None:
        self.dense = np.asarray(dense, dtype=np.float32)

    def search(self, qv, k):
        return np.argsort(-self.dense, kind="stable")[:k]

    def score(self, qv, positions):
        return self.dense[positions]


def _lexical(bm25: list[float]):
    scores = np.asarray(bm25, dtype=np.float32)

    def search(groups, k, also):
        top = np.argsort(-scores, kind="stable")[:k] if k else np.zeros(0, dtype=np.int64)
        pos = np.unique(np.concatenate([top[scores[top] > 0], np.asarray(also, dtype=np.int64)]))
        return pos, scores[pos]

    return search


def test_candidates_unite_both_retrievers_with_both_scores_exact():
    store = _Store([0.9, 0.1, 0.8, 0.2, 0.0])
    c = gather(store, _lexical([0, 5, 0, 0, 3]), [(["w"], 1.0)], np.zeros(2), 2, 1)
    assert c.positions.tolist() == [0, 1, 2, 4]  # dense top 2 (0, 2) and lexical top 2 (1, 4)
    assert c.dense.tolist() == pytest.approx([0.9, 0.1, 0.8, 0.0]) and c.lexical.tolist() == [0, 5, 0, 3]


def test_candidates_under_filters_fall_back_to_every_allowed_clause():
    store = _Store([0.9, 0.1, 0.8, 0.2, 0.0])
    mask = np.array([False, False, False, True, False])  # only clause 3, which neither top holds
    c = gather(store, _lexical([0, 5, 0, 0, 3]), [(["w"], 1.0)], np.zeros(2), 2, 1, mask)
    assert c.positions.tolist() == [3]
    none = gather(store, _lexical([0, 5, 0, 0, 3]), [(["w"], 1.0)], np.zeros(2), 2, 1, np.zeros(5, dtype=bool))
    assert none.positions.size == 0 and none.dense.size == 0


def test_filters_mask_by_document_region_and_year():
    class D:
        def __init__(self, doc_id, region, year):
            self.doc_id, self.region, self.year = doc_id, region, year

    docs = [D("a", "山西", 2016), D("b", "湖南", 2021), D("c", "全国", 2024)]
    doc_of = np.array(["a", "a", "b", "c"])
    assert allowed_mask(Filters(), doc_of, docs) is None
    assert allowed_mask(Filters(regions=("湖南", "全国")), doc_of, docs).tolist() == [False, False, True, True]
    assert allowed_mask(Filters(docs=("a", "c"), years=(2024,)), doc_of, docs).tolist() == [False, False, False, True]


def test_fusion_modes():
    dense = np.array([0.9, 0.5, 0.7], dtype=np.float32)
    lexical = np.array([0.0, 10.0, 5.0], dtype=np.float32)
    assert np.argmax(fuse("dense", dense, lexical, 0.4)) == 0
    assert np.argmax(fuse("bm25", dense, lexical, 0.4)) == 1
    hybrid = fuse("hybrid", dense, lexical, 0.4)
    assert hybrid.tolist() == pytest.approx((0.4 * minmax(dense) + 0.6 * minmax(lexical)).tolist())
    assert np.argmax(hybrid) == 1 and np.argmax(fuse("hybrid", dense, lexical, 0.9)) == 0
    rrf = fuse("rrf", dense, lexical, 0.4, rrf_k=60)
    assert rrf[2] == pytest.approx(2 / 62)  # second on both sides
    assert minmax(np.array([3.0, 3.0])).tolist() == [0.0, 0.0]


def test_rescore_keeps_the_reranked_above_the_rest_in_their_old_order():
    fused = np.array([0.9, 0.8, 0.7, 0.1, 0.05])
    top = np.array([0, 1, 2])
    feats = np.array([[0.0, 0.0], [1.0, 1.0], [0.5, 0.0]], dtype=np.float32)
    scores = rescore(fused, top, feats, np.array([1.0, 1.0], dtype=np.float32))
    assert np.argsort(-scores).tolist() == [1, 2, 0, 3, 4]
    assert rescore(fused, np.array([], dtype=np.int64), feats[:0], np.ones(2)).tolist() == fused.tolist()


def test_judgement_without_calibration_needs_known_words_and_either_similarity_or_coverage():
    kw = {"max_unknown": 0.67, "min_dense": 0.86, "min_coverage": 0.6}

    def sig(dense, coverage, unknown):
        return Signals(dense, coverage, unknown, 0.0, 0.0, 0.0, 0.0)

    assert on_topic(sig(0.90, 0.0, 0.0), None, **kw)[0]  # similar enough
    assert on_topic(sig(0.50, 1.0, 0.0), None, **kw)[0]  # covered
    assert not on_topic(sig(0.50, 0.5, 0.0), None, **kw)[0]  # neither
    assert not on_topic(sig(0.95, 1.0, 0.7), None, **kw)[0]  # words unknown
    assert unknown_share(["落户", "火星", "2024"], None, {"落户"}) == 0.5  # numbers do not count


def test_filters_that_allow_no_clause_give_an_empty_answer_not_an_error(hashing_engine):
    from qa.serve.answer import ask

    ans = ask(hashing_engine.retriever, "落户条件", k=5, filters=Filters(regions=("湖南",), years=(2016,)))
    assert ans.hits == [] and not ans.confident and ans.status == "not_found"
