from collections import Counter

from qa.eval import load_questions
from qa.ingest import load_corpus
from qa.ingest.normalize import normalize_query


def test_gold_phrases_exist_verbatim_in_the_seeds(seeds):
    texts = {d.doc_id: d.text for d in load_corpus(seeds).documents}
    for q in load_questions():
        for g in q.gold:
            assert g.doc in texts, (q.qid, g.doc)
            assert normalize_query(g.phrase) in texts[g.doc], (q.qid, g.phrase)


def test_set_size_and_styles():
    qs = load_questions()
    styles = Counter(q.style for q in qs)
    assert len(qs) >= 300
    assert len({q.qid for q in qs}) == len(qs)
    for style in ("natural", "colloquial", "keyword", "numeric", "traditional", "english", "multi_doc"):
        assert styles[style] >= 10, style
    assert 0.04 <= styles["no_answer"] / len(qs) <= 0.1
    assert all(not q.gold for q in qs if q.style == "no_answer")
    assert all(len({g.doc for g in q.gold}) >= 2 for q in qs if q.style == "multi_doc")


def test_split_is_half_and_half_within_every_style():
    qs = load_questions()
    assert {q.split for q in qs} == {"tune", "held"}
    for style in {q.style for q in qs}:
        n_tune = sum(q.split == "tune" for q in qs if q.style == style)
        n_held = sum(q.split == "held" for q in qs if q.style == style)
        assert abs(n_tune - n_held) <= 1, style
