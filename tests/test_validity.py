"""Which policy is in force: facts read from the document, statuses on a day, labels on answers."""

from __future__ import annotations

import datetime as dt
import json

from qa.ingest.metadata import describe
from qa.ingest.read import load_document
from qa.search.index import DocInfo
from qa.search.validity import CURRENT, DRAFT, EXPIRED, LATER, NOT_YET, REPLACED, validity
from qa.settings import PROJECT_ROOT

OLD = """某省居住证管理办法
晋政发〔2014〕3号
一、申领条件
(一)在本省居住满一年、有合法稳定就业的,可以申领居住证。
(二)申领居住证应当提交身份证和居住证明。
某省人民政府
2014年3月1日
"""
NEW = """某省人民政府关于进一步做好居住证工作的通知
晋政发〔2020〕5号
一、申领条件
(一)在本省居住满半年、有合法稳定就业的,可以申领居住证。
(二)申领居住证应当提交身份证和居住证明。
二、附则
本通知自2020年3月1日起施行,有效期5年。《某省居住证管理办法》(晋政发〔2014〕3号)同时废止。
某省人民政府
2020年2月10日
"""


def test_validity_facts_are_read_from_the_official_layout():
    m = describe(NEW)
    assert (m.issued, m.effective, m.expires) == ("2020-02-10", "2020-03-01", "2025-02-28")
    assert m.replaces == ("某省居住证管理办法", "晋政发〔2014〕3号") and m.stage == ""
    assert describe(OLD).replaces == () and describe(OLD).issued == "2014-03-01"
    assert describe("关于印发某办法(试行)的通知\n一、总则\n自印发之日起施行。\n某厅\n2019年5月6日\n").effective == "2019-05-06"
    hunan = load_document(PROJECT_ROOT / "seeds" / "003_217c44fc42c73619.txt")
    assert hunan.stage == DRAFT  # the 湖南 征求意见稿
    shanxi = load_document(PROJECT_ROOT / "seeds" / "000_7eb558928ca9a35a.txt")
    assert shanxi.stage == ""  # citing 《居住证暂行条例》 does not make it 暂行


def _info(doc_id, **kw) -> DocInfo:
    base = {"title": doc_id, "issuer": "", "region": "", "year": None, "doc_number": "", "sha256": "", "n_chunks": 1}
    return DocInfo(doc_id=doc_id, **(base | kw))


def test_statuses_on_a_day():
    docs = {
        "old": _info("old", title="某省居住证管理办法", doc_number="晋政发〔2014〕3号", issued="2014-03-01"),
        "new": _info("new", issued="2020-02-10", effective="2020-03-01", expires="2025-02-28", replaces=("晋政发〔2014〕3号",)),
        "draft": _info("draft", issued="2021-01-05", stage=DRAFT),
        "by-name": _info("by-name", issued="2010-01-01"),
        "side": _info("side", issued="2011-01-01", replaces=("by-name",)),
    }
    on = lambda day: {k: v.status for k, v in validity(docs, dt.date.fromisoformat(day)).items()}  # noqa: E731
    assert on("2022-06-01") == {"old": REPLACED, "new": CURRENT, "draft": DRAFT, "by-name": REPLACED, "side": CURRENT}
    assert validity(docs, dt.date(2022, 6, 1))["old"].successor == "new"
    assert on("2020-02-20")["new"] == NOT_YET and on("2020-02-20")["old"] == REPLACED  # issued, not yet in force
    assert on("2019-01-01") == {"old": CURRENT, "new": LATER, "draft": LATER, "by-name": REPLACED, "side": CURRENT}
    assert on("2026-01-01")["new"] == EXPIRED


def test_answers_label_status_put_the_current_clause_first_and_answer_as_of_a_day(tmp_path, qa):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "old.txt").write_text(OLD, encoding="utf-8")
    (corpus / "new.txt").write_text(NEW, encoding="utf-8")
    common = ["--corpus", corpus, "--model", "hashing", "--embeddings", tmp_path / "emb", "--json"]
    q = "申领居住证应当提交什么材料"  # the same clause in both
    hits = json.loads(qa("ask", q, "--as-of", "2024-01-01", *common).stdout)["results"]
    by_doc = {h["doc"]: h for h in hits}
    assert hits[0]["doc"] == "new.txt" and by_doc["new.txt"]["status"] == CURRENT
    assert by_doc["old.txt"]["status"] == REPLACED and by_doc["old.txt"]["successor"] == "new.txt"
    assert "【被替代】（已由 new.txt 替代）" in by_doc["old.txt"]["citation"]
    earlier = json.loads(qa("ask", q, "--as-of", "2019-01-01", *common).stdout)["results"]
    assert {h["doc"]: h["status"] for h in earlier} == {"old.txt": CURRENT, "new.txt": LATER}
    bad = qa("ask", q, "--as-of", "yesterday", *common)
    assert bad.returncode == 2 and "YYYY-MM-DD" in bad.stderr


def test_a_sidecar_can_say_what_a_document_replaces(tmp_path, qa):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text(OLD.replace("晋政发〔2014〕3号\n", ""), encoding="utf-8")
    (corpus / "b.txt").write_text(NEW.split("二、附则")[0], encoding="utf-8")
    (corpus / "b.txt.meta.json").write_text('{"replaces": ["a.txt"], "issued": "2020-02-10"}', encoding="utf-8")
    r = qa("ask", "居住证", "--json", "--corpus", corpus, "--model", "hashing", "--embeddings", tmp_path / "emb")
    statuses = {h["doc"]: h["status"] for h in json.loads(r.stdout)["results"]}
    assert statuses == {"a.txt": REPLACED, "b.txt": CURRENT}
