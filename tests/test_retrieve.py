import pytest

from qa.errors import BadQuestion
from qa.search import Filters
from qa.serve.answer import ask, citation, clean_question, format_answer, neighbours


def test_hybrid_finds_a_clause_by_its_words(hashing_engine):
    ans = ask(hashing_engine.retriever, "济青双核", k=3)
    assert ans.hits[0].doc.startswith("002") and "济青双核" in ans.hits[0].text


@pytest.mark.parametrize("mode", ["bm25", "dense", "hybrid", "rrf"])
def test_every_mode_returns_k_ranked_hits(hashing_engine, mode):
    ans = ask(hashing_engine.retriever, "城中村改造", k=4, mode=mode)
    assert [h.rank for h in ans.hits] == [1, 2, 3, 4]
    assert len({h.chunk_id for h in ans.hits}) == 4
    if mode in ("hybrid", "rrf", "dense"):
        assert ans.hits[0].score >= ans.hits[-1].score


def test_traditional_question_matches_simplified_text(hashing_engine):
    ans = ask(hashing_engine.retriever, "長沙保障性租賃住房", k=3, mode="bm25")
    assert any("4.35万套保障性租赁住房" in h.text for h in ans.hits)
    assert any("保障性租賃住房" in h.original for h in ans.hits)


def test_filters_restrict_documents_regions_years(hashing_engine):
    r = hashing_engine.retriever
    assert {h.doc[:3] for h in ask(r, "落户", k=8, filters=Filters(regions=("湖南",))).hits} == {"003"}
    assert {h.doc[:3] for h in ask(r, "落户", k=8, filters=Filters(years=(2024,))).hits} <= {"001", "004"}
    only = "002_c9fc10332399f20f.txt"
    assert {h.doc for h in ask(r, "落户", k=5, filters=Filters(docs=(only,))).hits} == {only}


def test_citation_names_title_issuer_year_number_section(hashing_engine):
    ans = ask(hashing_engine.retriever, "推行以经常居住地登记户口制度", k=5, filters=Filters(regions=("全国",)))
    c = citation(ans.hits[0])
    assert c.startswith("国务院关于印发《深入实施以人为本的新型城镇化战略五年行动计划》的通知")
    assert "国务院" in c and "2024年" in c and "国发〔2024〕17号" in c and "1.进一步深化户籍制度改革" in c


@pytest.mark.parametrize("bad", ["", "   \t ", "?!。,,", "\x00\x01\x02"])
def test_bad_questions_are_refused_with_a_message(hashing_engine, bad):
    with pytest.raises(BadQuestion):
        ask(hashing_engine.retriever, bad)


def test_very_long_question_is_cut_and_flagged(hashing_engine):
    q, truncated = clean_question("落户" * 5000)
    assert truncated and len(q) == 500
    ans = ask(hashing_engine.retriever, "落户" * 5000, k=2)
    assert ans.truncated and len(ans.hits) == 2
    assert "过长" in format_answer(ans)


def test_unanswerable_question_is_flagged(hashing_engine):
    ans = ask(hashing_engine.retriever, "宠物狗疫苗接种证明", k=3)
    assert not ans.confident and ans.note and ans.hits  # still shows the closest clauses


def test_neighbours_stay_in_the_document(hashing_engine):
    idx = hashing_engine.index
    first = idx.chunks[0].chunk_id
    assert neighbours(idx, first) == [idx.chunks[0].chunk_id, idx.chunks[1].chunk_id]
    last_of_000 = [c for c in idx.chunks if c.doc_id.startswith("000")][-1]
    assert all(n.startswith("000") for n in neighbours(idx, last_of_000.chunk_id, 2, 2))
