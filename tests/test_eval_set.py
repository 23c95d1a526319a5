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
    assert styles["no_answer"] >= 150 and styles["english"] >= 100
    unanswerable = [q for q in qs if q.style == "no_answer"]
    assert {q.kind for q in unanswerable} == {"other_place", "figure", "year", "topic"}
    assert {q.lang for q in unanswerable} == {"zh-Hans", "zh-Hant", "en"}
    assert all(not q.gold for q in unanswerable)
    assert all(len({g.doc for g in q.gold}) >= 2 for q in qs if q.style == "multi_doc")


# earlier versions' fresh splits: joined the held half whole, never tuned on
EARLIER_FRESH = ("f", "g", "h", "i", "j", "k", "l", "m", "n", "o")
TUNING_ADDITIONS = ("t",)  # written later, only to tune on


def test_split_is_half_and_half_within_every_style():
    dev = [q for q in load_questions() if q.split != "fresh"]  # the fresh split is its own file
    assert {q.split for q in dev} == {"tune", "held"}
    earlier = [q for q in dev if q.qid.startswith(EARLIER_FRESH)]
    assert len(earlier) >= 150 and all(q.split == "held" for q in earlier)
    added = [q for q in dev if q.qid.startswith(TUNING_ADDITIONS)]
    assert all(q.split == "tune" for q in added)
    qs = [q for q in dev if not q.qid.startswith(EARLIER_FRESH + TUNING_ADDITIONS)]  # split by a fixed seed
    for style in {q.style for q in qs}:
        n_tune = sum(q.split == "tune" for q in qs if q.style == style)
        n_held = sum(q.split == "held" for q in qs if q.style == style)
        assert abs(n_tune - n_held) <= 1, style


def test_a_run_reports_no_answer_figures_per_kind_and_furniture(hashing_engine):
    from qa.eval import relevance, run_variant

    qs = [q for q in load_questions() if q.split == "tune"]
    pick = [q for q in qs if q.answerable][:20] + [q for q in qs if q.kind == "other_place"][:5]
    run = run_variant(hashing_engine.retriever, pick, relevance(hashing_engine, pick), "hybrid", hashing_engine.retriever.config)
    assert run.no_answer_by_kind["other_place"] == {"n": 5, "flagged": 1.0}  # no document covers those places
    assert run.no_answer_by_kind["answerable zh-Hans"]["n"] == 20
    assert run.furniture_top5 == 0 and run.part_first_unasked == 0


def test_the_fresh_split_is_measured_only():
    fresh = [q for q in load_questions() if q.split == "fresh"]
    dev_ids = {q.qid for q in load_questions() if q.split != "fresh"}
    assert len(fresh) >= 150 and not dev_ids & {q.qid for q in fresh}
    assert {q.style for q in fresh} >= {"natural", "english", "no_answer"}
