"""What a chunk is (clause, preamble, sign-off, contact, page furniture) and what a question asks for."""

from __future__ import annotations

import itertools

import pytest

from qa.ingest import chunk_document, load_document
from qa.ingest.kinds import line_kinds
from qa.search.asks import asked_part_first, read_question, states


def test_line_kinds_tell_furniture_contact_and_sign_off():
    lines = [
        "当前位置:首页 > 政策解读 > 正文",
        "某省关于加快城镇化的通知",
        "日期: 2024-11-14 来源: 某省政府门户网站",
        "各市人民政府:",
        "现将有关事项通知如下。",
        "联系人:张三 88950076",
        "邮箱:abc@163.com",
        "某省城镇化工作领导小组办公室",
        "2021年7月15日",
        "(本文有删减)",
    ]
    assert line_kinds(lines) == [
        "furniture", "heading", "furniture", "preamble", "preamble", "contact", "contact", "signoff", "signoff", "furniture",
    ]  # fmt: skip
    assert (
        line_kinds(["某省关于加快城镇化的通知", "各市人民政府:", "现将有关事项通知如下。"])[0] == "preamble"
    )  # a title opens its preamble


def test_seed_chunks_carry_their_kind_and_still_tile_the_text(seeds):
    page = load_document(seeds / "001_5761e3c3252a412b.txt")  # a saved web page
    chunks = chunk_document(page)
    assert chunks[0].kind == "furniture" and chunks[0].text.startswith("当前位置")
    assert any(c.kind == "furniture" and c.text.startswith("日期") for c in chunks)
    letter = chunk_document(load_document(seeds / "003_217c44fc42c73619.txt"))
    contact = next(c for c in letter if c.kind == "contact")
    assert "联系人" in contact.text and "hnzjt0076@163.com" in contact.text
    assert any(c.kind == "signoff" and "2021年7月15日" in c.text for c in letter)
    for doc_chunks, doc in ((chunks, page), (letter, load_document(seeds / "003_217c44fc42c73619.txt"))):
        assert doc_chunks[0].start == 0 and doc_chunks[-1].end == len(doc.text)
        assert all(a.end == b.start for a, b in itertools.pairwise(doc_chunks))
        assert sum(c.kind == "body" for c in doc_chunks) > len(doc_chunks) / 2


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("五年行动计划是哪天印发的?", "signoff"),
        ("湖南城镇化工作要点的联系电话是多少?", "contact"),
        ("When was the plan issued?", "signoff"),
    ],
)
def test_a_question_that_asks_for_a_part_allows_it(question, kind):
    assert kind in read_question(question.lower()).kinds
    assert kind not in read_question("外地人在太原落户需要什么条件?").kinds


def test_details_asked_for_and_stated_beside_the_topic():
    asks = read_question("长沙保障性租赁住房有多少套?")
    assert asks.details == ("count",)
    assert states("count", "筹集建设4.35万套保障性租赁住房", ["保障性租赁住房"])
    assert not states("count", "保障性租赁住房建设。另建成学校12所,医院3家", ["保障性租赁住房"])  # counts of something else
    assert read_question("山西公积金贷款最高额度是多少钱?").details == ("amount",)
    assert read_question("办理居住证需要哪些材料?").details == ("materials",)
    assert read_question("结婚登记需要带哪些证件?").details == ("materials",)
    assert read_question("生育津贴怎么申领?").details == ("procedure",)
    assert read_question("山东2030年城镇化率目标是多少?").years == (2030,)
    assert read_question("湖南的省域副中心城市是哪几个?").details == ()  # a list, not a count
    assert "date" not in read_question("Can insurance be transferred when workers change cities?").details


def test_the_asked_part_of_the_best_document_comes_first():
    asks = read_question("五年行动计划是哪天印发的?")
    kinds = ["body", "body", "signoff", "signoff"]
    docs = ["a", "b", "b", "a"]
    assert asked_part_first([0, 1, 2, 3], kinds, docs, asks) == [3, 0, 1, 2]
    assert asked_part_first([0, 1, 2, 3], kinds, docs, read_question("落户条件")) == [0, 1, 2, 3]


def test_papers_are_asked_for_when_they_are_to_be_handed_in_and_stated_by_a_clause_that_asks_for_them():
    # the certificates a permit lets one obtain, an industry's 新材料: no papers asked for
    assert "materials" not in read_question("居住证持有人可以在居住地办理哪些证件?").details
    assert "materials" not in read_question("山西发展哪些新材料产业?").details
    assert "materials" in read_question("what documents do i need to register a marriage?").details
    assert "materials" not in read_question("which documents call for lifting settlement restrictions?").details
    # proving something, an important certificate, a plan's sources: no papers asked for either
    proving = ("需要证明自己在本地连续居住吗?", "居住证是不是重要证件?", "规划的主要材料来源是什么?", "申请人需要证明哪些事项?")
    for question in proving:
        assert "materials" not in read_question(question).details, question
    # publishing documents, a meeting: 公开/召开 are no handing in
    for question in ("政府公开哪些资料?", "会议召开什么资料都印发了吗?", "社交什么资料?"):
        assert "materials" not in read_question(question).details, question
    handing_in = ("落户需要什么手续和材料?", "材料有哪些?", "证件要带哪些?", "需要提供哪些相关证明材料?", "需要开具哪些证明?")
    for question in (*handing_in, "要上交哪些材料?", "去哪开什么证明?"):
        assert "materials" in read_question(question).details, question
    # a clause that names a certificate as a service states no papers to hand in …
    services = "居住证持有人在居住地享有按照国家及省有关规定办理出入境证件、换领补领居民身份证、机动车登记"
    assert not states("materials", services, ["居住证", "登记"])
    assert not states("materials", "推进居住证与身份证功能衔接", ["居住证"])
    # … one that says what to submit does
    assert states("materials", "申领居住证应当提交身份证和居住证明。", ["居住证"])
    assert states("materials", "申请随迁子女入学所需材料由教育部门公布", ["入学"])
    assert states("materials", "申领居住证,申请人须持本人居民身份证、户口本到居住地派出所办理", ["居住证"])
    assert states("materials", "申请公租房须提交:申请表、户口本、婚姻状况证明。", ["公租房"])
    assert not states("materials", "支持衡阳以先进装备、特色材料等重点产业", ["衡阳"])  # 支持 is no 持
    # "怎么申领" asks a procedure, which a clause saying where to apply states
    assert states("procedure", "居住证持有人可以向居住地公安派出所申领居住证", ["居住证"])
