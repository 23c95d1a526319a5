"""Topic lookup: which clauses of each document speak of a topic staff ask about most.

A topic is a handful of everyday words, expanded by the search's own thesaurus
(``qa.search.expand``) into the terms documents use; a body clause is labelled with the
topic when those terms occur in it at least twice, or once in its section heading (a single
passing mention in a long list is not a clause *on* the topic). No per-topic word list is
fitted to the corpus: the words below are what a member of staff would type.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from qa.ingest.chunk import Chunk
from qa.ingest.kinds import BODY
from qa.search.expand import Expander
from qa.text import term_spans

# label → the everyday words behind it (the chips on the page, in this order)
TOPICS: dict[str, str] = {
    "住房/保障房": "住房保障 保障性住房 保障房 公租房 租房 住房租赁",
    "户籍/落户": "户口 落户 户籍",
    "居住证": "居住证",
    "随迁子女教育": "随迁子女 孩子上学 义务教育",
    "医保/社保": "医保 社保 社会保险 养老保险",
    "就业培训": "职业技能培训 就业服务 创业",
    "老旧小区/城市更新": "老旧小区 城市更新 城中村 棚户区",
}
MIN_MENTIONS = 2


@dataclass(frozen=True)
class Topic:
    label: str
    terms: tuple[str, ...]  # the words and their expansions (two characters or more), longest first

    def mentions(self, text: str) -> int:
        """Occurrences of the topic's terms in ``text``, a longer term's inner words not counted twice."""
        return len(term_spans(text, self.terms))

    def covers(self, chunk: Chunk) -> bool:
        if chunk.kind != BODY:
            return False
        return self.mentions(chunk.text) >= MIN_MENTIONS or self.mentions(" ".join(chunk.section)) > 0


def topic(label: str, expander: Expander) -> Topic:
    """The topic ``label`` (a key of ``TOPICS``) with its words expanded; ``KeyError`` if unknown."""
    words = TOPICS[label].split()
    expanded = expander.expand(" ".join(words), glossary=True, dictionary=False, terminology=False).terms
    terms = {t for t in (*words, *expanded) if len(t) > 1}
    return Topic(label, tuple(sorted(terms, key=len, reverse=True)))


def clauses_on(topic_: Topic, chunks: Iterable[Chunk]) -> dict[str, list[Chunk]]:
    """The clauses on the topic, per document, in document order."""
    out: dict[str, list[Chunk]] = {}
    for c in chunks:
        if topic_.covers(c):
            out.setdefault(c.doc_id, []).append(c)
    return out


def labels(chunk: Chunk, topics: Sequence[Topic]) -> list[str]:
    """Every topic a clause is on."""
    return [t.label for t in topics if t.covers(chunk)]
