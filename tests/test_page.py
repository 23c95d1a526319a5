"""The page's callbacks on a real engine (hashing encoder), without a browser."""

import json

import pytest

from qa.errors import BadInput
from qa.search import Filters
from qa.serve.answer import ask
from qa.serve.dialog import is_followup, retrieval_text
from qa.serve.web import Page
from qa.settings import Settings, read_auth


@pytest.fixture()
def page(hashing_engine, tmp_path):
    return Page(hashing_engine, tmp_path / "fb" / "feedback.jsonl")


def test_followups_are_read_with_the_previous_question():
    assert is_followup("那长沙呢?") and is_followup("还有别的条件吗") and is_followup("What about Hunan?")
    assert not is_followup("外地人在太原落户需要什么条件?") and not is_followup("长沙保障性租赁住房有多少套")
    assert retrieval_text("那长沙呢?", "落户条件") == ("落户条件 那长沙呢?", True)
    assert retrieval_text("租房补贴", "落户条件") == ("租房补贴", False)
    assert retrieval_text("那长沙呢?", None) == ("那长沙呢?", False)


def test_answer_turn_and_followup(page):
    t1 = page.answer("长沙落户门槛", [], False, Filters(), 3)
    assert t1.answer and t1.answer.hits[0].doc.startswith("003") and not t1.followup_of
    t2 = page.answer("那山东呢?", [t1], False, Filters(), 3)
    assert t2.followup_of == "长沙落户门槛" and t2.answer.hits


def test_bad_input_gets_a_friendly_message(page):
    for bad in ("", "   ", "😀😀", "\x00\x07"):
        t = page.answer(bad, [], False, Filters(), 3)
        assert t.answer is None and t.message and "Traceback" not in t.message
    long = page.answer("落户" * 5000, [], False, Filters(), 3)
    assert long.answer.truncated


def test_compare_gives_one_clause_per_document(page):
    t = page.answer("居住证", [], True, Filters(), 5)
    docs = [h.doc for h in t.answer.hits]
    assert len(docs) == len(set(docs)) >= 3 and t.compare
    assert [h.rank for h in t.answer.hits] == list(range(1, len(docs) + 1))
    t = page.answer("居住证", [], True, Filters(regions=("山西", "山东")), 5)
    assert {h.doc[:3] for h in t.answer.hits} <= {"000", "001", "002"}


def test_votes_are_per_answer_and_a_change_of_mind_is_logged_as_one(page):
    t1 = page.answer("济青双核", [], False, Filters(), 2)
    t2 = page.answer("长沙落户门槛", [t1], False, Filters(), 2)
    page.feedback_log.parent.mkdir(parents=True, exist_ok=True)
    page.feedback_log.write_text('{"earlier": true}\n', encoding="utf-8")
    turns = page.vote(t1.tid, "up", [t1, t2])  # the earlier answer, not the latest
    assert [t.vote for t in turns] == ["up", ""]
    turns = page.vote(t1.tid, "up", turns)  # the same vote again records nothing
    turns = page.vote(t1.tid, "down", turns)
    turns = page.vote(t1.tid, "down", turns, reason="答非所问")
    turns = page.vote(t1.tid, "up", turns)
    assert turns[0].vote == "up" and turns[0].reason == ""
    assert page.vote("no-such-turn", "up", turns) == turns and page.vote(t1.tid, "maybe", turns) == turns
    lines = [json.loads(x) for x in page.feedback_log.read_text(encoding="utf-8").splitlines()]
    assert lines[0] == {"earlier": True}
    assert [(x["vote"], x.get("previous", ""), x.get("reason", "")) for x in lines[1:]] == [
        ("up", "", ""),
        ("down", "up", ""),
        ("down", "", "答非所问"),
        ("up", "down", ""),
    ]
    assert {x["turn"] for x in lines[1:]} == {t1.tid} and lines[1]["question"] == "济青双核"
    assert lines[1]["clause_ids"] == [h.chunk_id for h in t1.answer.hits] and lines[1]["time"]


def test_the_viewer_opens_the_whole_document_at_the_clause(page, hashing_engine):
    target = next(c for c in hashing_engine.index.chunks if c.text.startswith("(三)深化常住人口"))
    out = page.document(target.chunk_id, ("居住证",))
    same_doc = [c for c in hashing_engine.index.chunks if c.doc_id == target.doc_id]
    assert out.count("qa-v-row") == len(same_doc) and out.count("qa-v-target") == 1
    assert hashing_engine.index.docs[target.doc_id].title in out and "现行有效" in out
    idx = hashing_engine.index
    written = next(c for c in idx.chunks if "(guó)" in idx.original(c))  # the national plan, pinyin and all
    out = page.document(written.chunk_id)
    clean = "".join(part.split("</div>")[0] for part in out.split("class='qa-v-clean'>")[1:])
    assert "(guó)" in out and "(guó)" not in clean and "国务院" in clean  # cleaned text, the original behind the toggle
    assert page.document("no-such-id") == ""


def test_an_answer_as_of_a_date_and_a_bad_date(page):
    t = page.answer("长沙落户门槛", [], False, Filters(), 3, as_of="2020-01-01")
    assert t.as_of == "2020-01-01" and {h.status for h in t.answer.hits} >= {"晚于所查日期"}
    bad = page.answer("长沙落户门槛", [], False, Filters(), 3, as_of="去年")
    assert bad.answer is None and "2024-07-31" in bad.message


def test_the_conversation_exports_as_a_record(page, tmp_path):
    assert page.export([], tmp_path) is None
    t = page.answer("长沙落户门槛", [], False, Filters(), 3)
    md, printable = page.export([t], tmp_path)
    text = md.read_text(encoding="utf-8")
    assert "## 1. 长沙落户门槛" in text and t.answer.hits[0].text.splitlines()[0] in text
    assert page.index_version() in text and "<h2>1. 长沙落户门槛</h2>" in printable.read_text(encoding="utf-8")


def test_api_returns_what_the_cli_json_returns(page, hashing_engine):
    got = page.api_ask("长沙保障性租赁住房", 3)
    want = ask(hashing_engine.retriever, "长沙保障性租赁住房", k=3).to_json()
    assert got == want
    assert page.api_ask("   ")["error"] and page.api_ask("落户", mode="bogus")["error"]
    filtered = page.api_ask("落户", 5, "hybrid", None, ["湖南"], None)
    assert {r["doc"][:3] for r in filtered["results"]} == {"003"}


def test_logins_and_admins_from_a_file_or_the_environment(tmp_path):
    f = tmp_path / "users"
    f.write_text("# office logins\nclerk:s3cret\nboss:pw:with:colons\n", encoding="utf-8")
    assert read_auth(str(f)) == (("clerk", "s3cret"), ("boss", "pw:with:colons"))
    env = {"QA_AUTH": "a:b,c:d", "QA_ADMINS": "a, c"}
    s = Settings.from_args(None, env)
    assert s.auth == (("a", "b"), ("c", "d")) and s.admins == {"a", "c"}  # spaces around names are not part of them
    assert Settings.from_args(None, {}).auth == ()
    f.write_text("nopassword\n", encoding="utf-8")
    with pytest.raises(BadInput):
        read_auth(str(f))


def test_upload_is_for_administrators_and_switches_the_index(tmp_path):
    import shutil

    from qa.engine import Engine
    from qa.models import HashingEncoder
    from qa.settings import PROJECT_ROOT, Settings

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(PROJECT_ROOT / "seeds" / "002_c9fc10332399f20f.txt", corpus)
    settings = Settings(corpus=(corpus,), embeddings=tmp_path / "emb", model="hashing")
    engine = Engine.open(settings, encoder=HashingEncoder())
    new = tmp_path / "up" / "租房新规.txt"
    new.parent.mkdir()
    new.write_text("某市关于租赁住房的通知\n一、租房补贴\n(一)新市民租房每月补贴500元。\n", encoding="utf-8")

    assert "未开启" in Page(engine, tmp_path / "fb.jsonl").upload([str(new)], "boss")
    page = Page(engine, tmp_path / "fb.jsonl", frozenset({"boss"}))
    assert "管理员" in page.upload([str(new)], "clerk") and "管理员" in page.upload([str(new)], None)
    assert not (corpus / new.name).exists()
    steps = []
    msg = page.upload([str(new)], "boss", lambda frac, desc="": steps.append(desc))
    assert "已完成" in msg and "租房新规.txt" in msg and (corpus / new.name).exists()
    assert steps == ["检查文件", "更新索引（只嵌入新的条款）", "切换到新索引"]
    assert page.engine is not engine and len(page.engine.index.manifest.documents) == 2
    t = page.answer("新市民租房补贴", [], False, Filters(), 1)
    assert t.answer.hits[0].doc == "租房新规.txt"
    bad = tmp_path / "up" / "x.txt"
    bad.write_bytes(b"\x00\x00")
    assert page.upload([str(bad)], "boss").startswith("未上传")


def test_a_followup_naming_another_place_searches_that_place(page):
    assert retrieval_text("那湖南呢?", "外地人在太原落户需要什么条件?") == ("外地人在落户需要什么条件? 那湖南呢?", True)
    t1 = page.answer("外地人在太原落户需要什么条件?", [], False, Filters(), 3)
    t2 = page.answer("那湖南呢?", [t1], False, Filters(), 3)
    assert t2.followup_of and {h.region for h in t2.answer.hits} <= {"湖南", "全国"}
    t3 = page.answer("那广州呢?", [t1], False, Filters(), 3)
    assert t3.answer.reasons[0].code == "place_not_covered" and {h.region for h in t3.answer.hits} == {"全国"}


def test_comparison_of_named_places_shows_exactly_those_and_says_what_is_missing(page):
    t = page.answer("山东和湖南对居住证分别怎么规定?", [], True, Filters(), 5)
    assert [h.region for h in t.answer.hits] == ["山东", "湖南"]
    assert t.answer.hits[0].mentions and not t.answer.hits[1].mentions  # the 湖南 file never mentions 居住证
    assert any(r.code == "doc_silent" and "湖南" in r.message and "居住证" in r.message for r in t.answer.reasons)
    t = page.answer("各地对居住证怎么规定?", [], True, Filters(), 5)
    assert "未提及居住证" in t.answer.note and "各地" not in t.answer.note  # 各地 frames the question; the topic is 居住证
    t = page.answer("山东和广东对居住证分别怎么规定?", [], True, Filters(), 5)
    assert [h.region for h in t.answer.hits] == ["山东"] and "广东" in t.answer.note


def test_a_filtered_search_says_when_the_documents_are_silent(page):
    t = page.answer("居住证怎么办理?", [], False, Filters(regions=("湖南",)), 3)
    assert t.answer.status == "not_found" and "未提及居住证" in t.answer.note
    assert all(not h.mentions for h in t.answer.hits)
