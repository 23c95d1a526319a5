import numpy as np
import pytest

from qa.errors import BadInput
from qa.ingest.chunk import Chunk
from qa.search import RetrievalConfig
from qa.search.asks import read_question
from qa.search.diversify import diversify, wants_each
from qa.search.expand import Expander
from qa.search.lists import asks_members, introduces, members_first, members_of
from qa.search.places import regions_named
from qa.search.rerank import FEATURES, Candidate, features, without_title
from qa.text import is_english


def test_thesaurus_maps_everyday_words_to_policy_terms():
    e = Expander({"户口": ("户籍", "落户"), "地": ("土地",), "租房": ("租赁",)}, {})
    exp = e.expand("外地人户口怎么迁?租房呢")
    assert exp.terms[:2] == ("户籍", "落户") and "租赁" in exp.terms
    assert "土地" not in exp.terms  # a one-character word fires only as a whole token, not inside 外地
    assert exp.covers("户口") and not exp.covers("迁")


def test_glossary_translates_english_longest_phrase_first():
    e = Expander({}, {"residence permit": ("居住证",), "permit": ("许可",), "migrant workers": ("农民工",)})
    exp = e.expand("can migrant workers get a residence permit?")
    assert exp.english and exp.terms == ("农民工", "居住证")
    assert exp.covers("residence") and exp.covers("workers")
    assert not e.expand("居住证怎么办理 permit").english  # mostly Chinese
    assert is_english("hukou reform") and not is_english("户籍改革 hukou")


def test_shipped_word_lists_load_and_expand():
    e = Expander.default()
    assert "随迁子女" in e.expand("农民工孩子上学").terms
    assert "居住证" in e.expand("Can residence permit holders join medical insurance?").terms


def test_place_names_map_to_regions_in_order_of_mention():
    assert regions_named("太原和长沙的落户条件", ["山西", "湖南"]) == ["山西", "湖南"]
    assert regions_named("国务院怎么规定", []) == ["全国"]
    assert regions_named("落户条件", ["山西"]) == []
    assert wants_each("山西和山东分别怎么规定", ["山西", "山东"]) and wants_each("各地怎么说", [])
    assert not wants_each("太原落户", ["山西"])


def test_features_measure_coverage_numbers_and_region():
    idf = {"落户": 2.0, "太原": 3.0}.get
    cands = [
        Candidate(frozenset({"落户", "太原"}), frozenset({"户籍"}), "太原落户10万人", "山西"),
        Candidate(frozenset({"落户"}), frozenset(), "落户限制", "湖南", "preamble"),
    ]
    sims = np.array([0.9, 0.7])
    f = features(
        "太原落户多少人", {"落户": 1.0, "太原": 1.0}, ["山西"], np.array([0.2, 0.8]), cands, lambda t: idf(t) or 0.0, sims
    )
    fused, coverage, section, number, region, sentence, body, edition = f.T
    assert list(fused) == [0.0, 1.0]
    assert coverage[0] == 1.0 and abs(coverage[1] - 0.4) < 1e-6
    assert list(number) == [1.0, 0.0]  # asks for an amount; only the first states one
    assert list(region) == [1.0, 0.0] and list(section) == [0.0, 0.0]
    assert list(sentence) == [1.0, 0.0]
    assert list(body) == [1.0, 0.0]  # a numbered clause, then a preamble
    assert list(edition) == [0.0, 0.0]  # the question names no year


def test_a_question_asking_for_a_kind_of_figure_credits_clauses_that_state_that_kind():
    cands = [
        Candidate(frozenset({"城镇化率"}), frozenset(), "2024年7月,国务院印发了行动计划", "山西"),  # a date, no share
        Candidate(frozenset({"城镇化率"}), frozenset(), "常住人口城镇化率接近70%", "山西"),
    ]
    q = "山西城镇化率目标是百分之多少?"
    f = features(
        q, {"城镇化率": 1.0}, ["山西"], np.array([0.8, 0.7]), cands, lambda t: 1.0, None, False, (), read_question(q).details
    )
    assert list(f[:, FEATURES.index("number")]) == [0.0, 1.0]  # asks a share: a percentage states it, a year does not
    untyped = features(q, {"城镇化率": 1.0}, ["山西"], np.array([0.8, 0.7]), cands, lambda t: 1.0)
    assert list(untyped[:, FEATURES.index("number")]) == [1.0, 1.0]  # without the details, any number counts


def test_the_titles_words_count_for_every_clause_of_its_document_alike():
    # "山西2025—2029年实施方案的城镇化率目标是多少?": the opening that restates the plan's name
    # ("印发了《实施方案》") is no nearer the question than the clause that states the target
    title = frozenset({"实施方案", "山西"})
    cands = [
        Candidate(frozenset({"实施方案"}), title, "山西省人民政府印发了《实施方案》", "山西", "body", title_tokens=title),
        Candidate(frozenset({"城镇化率"}), title, "常住人口城镇化率接近70%", "山西", "body", title_tokens=title),
        Candidate(frozenset({"实施方案"}), frozenset(), "制定本地实施方案", "全国"),  # another document's own word
    ]
    terms = {"实施方案": 1.0, "城镇化率": 1.0}
    f = features("", terms, [], np.array([0.5, 0.5, 0.5]), cands, lambda t: 1.0)
    assert list(f[:, FEATURES.index("coverage")]) == [0.5, 1.0, 0.5]


def test_a_preamble_answers_only_questions_about_the_document_and_a_named_year_picks_the_edition():
    idf = {"意见": 1.0}.get
    cands = [
        Candidate(frozenset({"意见"}), frozenset(), "推进落户", "山西", "body", frozenset({2016})),
        Candidate(frozenset({"意见"}), frozenset(), "根据国务院意见制定本方案", "山西", "preamble", frozenset({2024, 2025})),
    ]
    q = read_question("山西2025年的方案是根据哪个文件制定的?")
    assert q.about_document and q.years == (2025,)
    f = features(
        "", {"意见": 1.0}, ["山西"], np.array([0.5, 0.5]), cands, lambda t: idf(t) or 0.0, None, q.about_document, q.years
    )
    body, edition = f[:, FEATURES.index("body")], f[:, FEATURES.index("edition")]
    assert list(body) == [1.0, 1.0] and list(edition) == [0.0, 1.0]
    plain = read_question("根据山西的意见,居住证怎么办理?")  # "根据…," frames a clause question
    assert not plain.about_document
    f = features("", {"意见": 1.0}, [], np.array([0.5, 0.5]), cands, lambda t: idf(t) or 0.0, None, plain.about_document)
    assert list(f[:, FEATURES.index("body")]) == [1.0, 0.0]


def test_a_year_naming_the_documents_edition_is_no_figure_the_clause_must_repeat():
    cands = [
        Candidate(frozenset(), frozenset(), "常住人口城镇化率接近70%", "山西", "body", frozenset({2024, 2025, 2029})),
        Candidate(frozenset(), frozenset(), "2025年城镇化率提高", "山西", "body", frozenset({2016})),
        Candidate(frozenset(), frozenset(), "推进城镇化", "山西", "body", frozenset({2024, 2025, 2029})),
    ]
    question = "山西2025—2029年方案提出常住人口城镇化率要达到多少?"
    f = features(question, {}, ["山西"], np.array([0.5, 0.5, 0.5]), cands, lambda t: 1.0)
    # the plan's own years name it (``edition``); what is asked is whether the clause states an amount
    assert list(f[:, FEATURES.index("number")]) == [1.0, 0.5, 0.0]
    f = features("城镇化率提高1.25个百分点", {}, [], np.array([0.5, 0.5, 0.5]), cands, lambda t: 1.0)
    assert list(f[:, FEATURES.index("number")]) == [0.0, 0.0, 0.0]  # a decimal is no year, and no clause states it


@pytest.mark.parametrize(
    "question, about",
    [
        ("湖南那份征求意见稿要求什么时候之前反馈书面意见?", True),
        ("湖南征求意见稿要求各成员单位在哪天之前反馈意见?", True),
        ("湖南2021年的工作要点是依据国家发改委的哪份文件提出的?", True),
        ("按照山西的政策,哪些人可以落户?", False),
        ("根据规划要求,农民工子女在哪里上学?", False),
    ],
)
def test_deadlines_and_sources_ask_about_the_document(question, about):
    assert read_question(question).about_document is about


def test_english_questions_get_their_own_weights():
    cfg = RetrievalConfig(dense_weight=0.5, rerank_weights={"fused": 1.0, "body": 0.3})
    assert cfg.for_language(True) is cfg  # no English weights: the same for everyone
    en = RetrievalConfig(
        dense_weight=0.5,
        rerank_weights={"fused": 1.0, "body": 0.3},
        english_dense_weight=0.7,
        english_rerank_weights={"fused": 1.0, "body": 2.0},
    )
    assert en.for_language(False) is en
    assert en.for_language(True).dense_weight == 0.7 and en.for_language(True).rerank_weights["body"] == 2.0
    assert (
        RetrievalConfig.from_json(en.to_json()).for_language(True).weight_vector().tolist()
        == en.for_language(True).weight_vector().tolist()
    )
    with pytest.raises(BadInput):
        RetrievalConfig(english_rerank_weights={"colour": 1.0})


def test_diversify_puts_each_named_region_first():
    docs = ["a", "a", "a", "b", "c"]
    region = {"a": "山西", "b": "山东", "c": "湖南"}.get
    # the named regions' best clauses come first, in their order of score, not of naming
    assert diversify([0, 1, 2, 3, 4], docs, region, ["湖南", "山东"], 3)[:3] == [3, 4, 0]
    assert diversify([0, 1, 2, 3, 4], docs, region, ["湖南", "山西"], 3)[:3] == [0, 4, 3]  # the first stays first
    assert diversify([0, 1, 2, 3, 4], docs, region, [], 3)[:3] == [0, 3, 4]


def test_each_is_asked_by_a_word_not_by_a_part_of_one():
    assert wants_each("How does each province treat it?", []) and wants_each("山东和湖南分别怎么规定?", [])
    assert not wants_each("How will Shandong make rural teaching jobs more attractive?", ["山东"])
    assert not wants_each("What does it say to reach the target?", [])


def test_shipped_config_is_tuned_and_baseline_switches_mechanisms_off():
    cfg = RetrievalConfig.load()
    assert cfg.expand and cfg.rerank and set(cfg.rerank_weights) == set(FEATURES)
    assert cfg.weight_vector()[FEATURES.index("coverage")] == cfg.rerank_weights["coverage"] > 0
    base = cfg.baseline()
    assert not (base.expand or base.rerank or base.diversify) and base.dense_weight == cfg.dense_weight


def test_retrieval_config_file_round_trips_and_rejects_unknown_names(tmp_path):
    cfg = RetrievalConfig.load()
    path = tmp_path / "r.json"
    cfg.save(path)
    again = RetrievalConfig.load(path)
    assert again.to_json() == cfg.to_json()
    path.write_text('{"rerank_weights": {"fused": 1.0}}', encoding="utf-8")
    partial = RetrievalConfig.load(path)  # a feature the file does not name weighs 0
    assert partial.weight_vector().tolist() == [1.0] + [0.0] * (len(FEATURES) - 1)
    for bad in ('{"rerank_weights": {"colour": 1}}', '{"dense_wieght": 0.3}', "[1, 2]", "not json"):
        path.write_text(bad, encoding="utf-8")
        with pytest.raises(BadInput):
            RetrievalConfig.load(path)


def test_title_is_taken_out_of_a_clause_that_restates_it():
    title = "国务院关于印发《深入实施以人为本的新型城镇化战略五年行动计划》的通知"
    preamble = f"{title}\n现将《深入实施以人为本的新型城镇化战略五年行动计划》印发给你们,请认真贯彻执行。"
    body = without_title(preamble, title)
    assert "行动计划" not in body and "印发给你们" in body  # the quoted name goes too
    assert without_title("推进户籍制度改革。", title) == "推进户籍制度改革。"  # other clauses untouched
    assert without_title("山西省推进落户", "山西省") == "山西省推进落户"  # a short title is left: it is a word


def test_reranker_sees_a_preamble_without_its_document_title(hashing_engine):
    r = hashing_engine.retriever
    chunks = hashing_engine.index.chunks
    # 004's opening: its title "国务院关于印发《…五年行动计划》的通知" heads the letter's preamble
    opening = next(i for i, c in enumerate(chunks) if c.doc_id.startswith("004") and c.kind == "preamble")
    goals = next(i for i, c in enumerate(chunks) if c.doc_id.startswith("004") and c.kind == "body")
    assert "五年行动计划" in chunks[opening].text
    assert "行动计划" not in r.candidate(opening).tokens and "印发" in r.candidate(opening).tokens  # the letter stays
    assert "行动计划" in r.candidate(opening).heading_tokens and "行动计划" in r.candidate(goals).heading_tokens
    # the title's words are every clause's alike for ``coverage``
    assert "行动计划" in r.candidate(goals).title_tokens and r.candidate(goals).title_tokens == r.candidate(opening).title_tokens
    assert r.candidate(opening).kind == "preamble" and r.candidate(goals).kind == "body"


def _clause(doc: str, section: tuple[str, ...], kind: str = "body", part: int = 1, parts: int = 1) -> Chunk:
    text = section[-1] if section else "…"
    return Chunk(f"{doc}#{text}{part}", doc, 0, section, text, 0, 1, 0, 1, kind, part, parts)


@pytest.mark.parametrize(
    ("question", "asks"),
    [
        ("山西2025—2029年实施方案提出的“四大行动”分别是什么?", True),
        ("重点实施哪几项行动?", True),
        ("提出了哪四大行动?", True),
        ("四大行动包括哪些?", True),
        ("what are the four major actions in shanxi's plan?", True),
        ("list the tasks of the plan", True),
        ("山西新型城镇化实施方案管哪几年?", False),  # a period, which the opening gives
        ("实施方案覆盖哪几个年度?", False),
        ("2025年和2027年的城镇化率目标分别为多少?", False),  # figures
        ("十几大城市有哪些?", False),
        ("山西对落户有什么规定?", False),
        ("what are the requirements for settling in taiyuan?", False),
    ],
)
def test_a_question_asks_for_the_members_of_a_list_by_count_or_each(question, asks):
    assert asks_members(question) is asks and read_question(question).members is asks


def test_asked_for_a_list_its_best_member_comes_before_its_announcement():
    opening = _clause("a", (), "preamble")
    background = _clause("a", ("一、起草背景",))
    intro = _clause("a", ("三、四大行动",))
    item = _clause("a", ("三、四大行动", "二是实施县域城镇化水平提升行动"))
    other = _clause("b", ("一、总体要求", "——坚持以人为本"))
    chunks = [opening, background, intro, item, other]
    assert [introduces(chunks, i) for i in range(len(chunks))] == [True, False, True, False, False]

    def first(order: list[int]) -> list[int]:
        return members_first(order, lambda i: i, chunks)

    assert first([2, 4, 1, 3, 0]) == [3, 2, 4, 1, 0]  # the announcement first, then the member
    # a document's opening announces every section, but only an item of a list is a member
    assert first([0, 1, 3]) == [3, 0, 1]
    assert first([0, 1, 4]) == [0, 1, 4]  # another document's item is none
    assert first([1, 2, 3]) == [1, 2, 3]  # no announcement first


def test_a_member_is_the_part_that_names_it_in_the_run_below_its_announcement():
    intro_1 = _clause("a", ("二、主要任务",), part=1, parts=2)  # a long opening paragraph, cut in two
    intro_2 = _clause("a", ("二、主要任务",), part=2, parts=2)
    a_1 = _clause("a", ("二、主要任务", "(一)甲"), part=1, parts=2)
    a_2 = _clause("a", ("二、主要任务", "(一)甲"), part=2, parts=2)
    b = _clause("a", ("二、主要任务", "(二)乙"))
    b_sub = _clause("a", ("二、主要任务", "(二)乙", "1.丙"))
    annex = _clause("a", ("附件",))
    again = _clause("a", ("二、主要任务", "(一)丁"))  # the heading repeated in an annex
    chunks = [intro_1, intro_2, a_1, a_2, b, b_sub, annex, again]
    assert introduces(chunks, 0) and introduces(chunks, 1) and introduces(chunks, 4)
    assert list(members_of(chunks, 0)) == [2, 3, 4, 5]

    def first(order: list[int]) -> list[int]:
        return members_first(order, lambda i: i, chunks)

    assert first([0, 3, 5, 4]) == [4, 0, 3, 5]  # not the second part of (一), not the item one level down
    assert first([0, 3, 5]) == [5, 0, 3]  # one level down serves when no item of the level is there
    assert first([0, 7, 3]) == [0, 7, 3]  # the repeated heading's clause is in no run of 二、
    assert first([0, *([6] * 9), 4]) == [0, *([6] * 9), 4]  # too far down to put first


def test_the_search_puts_a_member_of_the_list_first_and_keeps_the_announcement(hashing_engine):
    from dataclasses import replace

    r, chunks = hashing_engine.retriever, hashing_engine.index.chunks
    q = "山西2025—2029年实施方案提出的四大行动分别是什么?"
    off = [int(p) for p in r.search(q, k=5, config=replace(r.config, members_first=False)).ids]
    on = [int(p) for p in r.search(q, k=5).ids]
    assert introduces(chunks, off[0]) and "四大行动" in chunks[off[0]].text  # the announcement, with the switch off
    member = chunks[on[0]]
    assert member.section[:1] == chunks[off[0]].section and len(member.section) == 2 and member.part == 1
    assert member.text.startswith(member.section[-1][:4])  # the part that names the item
    assert off[0] in on  # still shown
