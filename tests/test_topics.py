"""Topic lookup: labels from the search's vocabulary, and the table the page shows."""

from dataclasses import replace

import pytest

from qa.ingest.chunk import Chunk
from qa.search.expand import Expander
from qa.search.topics import TOPICS, Topic, clauses_on, labels, topic
from qa.serve.web import Page


def _chunk(text: str, section: tuple[str, ...] = ("一、总则",), kind: str = "body", doc: str = "a.txt") -> Chunk:
    return Chunk(f"{doc}#1", doc, 1, section, text, 0, len(text), 0, len(text), kind)


def test_a_topic_is_its_everyday_words_expanded_by_the_thesaurus():
    housing = topic("住房/保障房", Expander.default())
    assert "租房" in housing.terms and "租赁住房" in housing.terms  # 租房 → 租赁住房, the documents' term
    assert list(housing.terms) == sorted(housing.terms, key=len, reverse=True)
    with pytest.raises(KeyError):
        topic("天气", Expander.default())


def test_a_clause_is_on_a_topic_when_it_says_it_twice_or_in_its_heading():
    permit = Topic("居住证", ("居住证",))
    assert permit.covers(_chunk("全面实施居住证制度,以居住证为载体提供基本公共服务。"))
    assert not permit.covers(_chunk("推进户籍、土地、居住证、社保等改革。"))  # a passing word in a list
    assert permit.covers(_chunk("以居住证为载体。", section=("二、", "(三)深入实施居住证制度")))
    assert not permit.covers(_chunk("居住证居住证", kind="signoff"))  # only body clauses
    assert Topic("x", ("保障性住房", "住房")).mentions("保障性住房和住房") == 2  # the longer term's 住房 not again
    two = [_chunk("居住证和居住证"), replace(_chunk("居住证,居住证", doc="b.txt"), chunk_id="b.txt#1"), _chunk("无关")]
    assert {d: len(cs) for d, cs in clauses_on(permit, two).items()} == {"a.txt": 1, "b.txt": 1}
    assert labels(two[0], [permit, Topic("住房", ("住房",))]) == ["居住证"]


def test_the_topic_table_lists_every_document_with_its_clauses_or_silence(hashing_engine, tmp_path):
    page = Page(hashing_engine, tmp_path / "fb.jsonl")
    out = page.topic_table("居住证")
    docs = hashing_engine.index.manifest.documents
    assert out.count("<tr><th scope='row'>") == len(docs) and "未涉及" in out
    assert "data-action='open'" in out and "qa-t-cite'>《" in out  # clauses with citations and 查看原文
    for label in TOPICS:
        assert "qa-t-table" in page.topic_table(label)
    assert page.topic_table("<script>") == ""
