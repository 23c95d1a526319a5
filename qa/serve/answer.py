"""Turn retrieval results into cited answers: hits with citations, text and JSON forms."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass, replace

from qa.errors import BadQuestion
from qa.ingest.kinds import PLACE_LABEL
from qa.search import Filters, Index, Mode, Retriever
from qa.search.judge import ANSWERED, NOT_FOUND, PARTIAL, Reason
from qa.search.validity import CURRENT, EXPIRED, REPLACED, validity

MAX_QUESTION_CHARS = 500


@dataclass(frozen=True)
class Hit:
    rank: int
    chunk_id: str
    doc: str
    title: str
    issuer: str
    region: str
    year: int | None
    doc_number: str
    section: str
    text: str
    original: str
    score: float
    dense_score: float
    lexical_score: float
    kind: str = "body"  # qa.ingest.kinds: body, preamble, signoff, contact …
    mentions: bool = True  # False: its document does not address the question (comparison, filters)
    page: int = 0  # the PDF page the clause starts on; 0 for formats without pages
    status: str = CURRENT  # qa.search.validity: 现行有效, 被替代, 已失效, 征求意见稿 …
    successor: str = ""  # the document that replaced this one (被替代)

    @property
    def citation(self) -> str:
        return citation(self)


@dataclass(frozen=True)
class Answer:
    question: str
    hits: list[Hit]
    status: str  # answered | partial | not_found (qa.search.judge)
    reasons: tuple[Reason, ...] = ()
    truncated: bool = False
    terms: tuple[str, ...] = ()  # the query's words, for highlighting

    @property
    def confident(self) -> bool:
        """True only for an answer the documents give (status ``answered``)."""
        return self.status == ANSWERED

    @property
    def note(self) -> str:
        """The reasons in one line, for a reader."""
        return "；".join(dict.fromkeys(r.message for r in self.reasons))

    def to_json(self) -> dict:
        return {
            "question": self.question,
            "status": self.status,
            "reasons": [r.to_json() for r in self.reasons],
            "confident": self.confident,
            "note": self.note,
            "truncated": self.truncated,
            "terms": list(self.terms),
            "results": [{**asdict(h), "citation": h.citation} for h in self.hits],
        }


def short_title(title: str, limit: int = 48) -> str:
    """A document's name as staff say it: the 《…》 a covering notice or letter names
    ("国务院关于印发《…五年行动计划》的通知" → 《…五年行动计划》, "…关于征求《…(征求意见稿)》意见的函"
    → 《…(征求意见稿)》), else the title, cut with … only beyond ``limit`` characters."""
    inner = re.search(r"(印发|转发|征求)《([^《》]+)》", title)
    name = f"《{inner.group(2)}》" if inner else title
    return name if len(name) <= limit else name[: limit - 1] + "…"


def book_title(title: str) -> str:
    """``title`` in 书名号, the titles it names in 〈〉 as Chinese usage nests them:
    国务院关于印发《…计划》的通知 → 《国务院关于印发〈…计划〉的通知》."""
    if re.fullmatch(r"《[^《》]+》", title):
        return title
    return "《" + title.replace("《", "〈").replace("》", "〉") + "》"


def staff_citation(hit: Hit) -> str:
    """The citation as staff write it: 《标题》（文号）第X部分 › (一)…，第N页."""
    title = book_title(hit.title) if hit.title else hit.doc
    number = f"（{hit.doc_number}）" if hit.doc_number else ""
    where = hit.section or PLACE_LABEL.get(hit.kind, "正文")
    page = f"，第{hit.page}页" if hit.page else ""
    return f"{title}{number}{where}{page}"


def citation(hit: Hit) -> str:
    """《title》, issuer, year, document number, section path: what a reader needs to check."""
    title = hit.title if "《" in hit.title else f"《{hit.title}》"
    parts = [title if hit.title else hit.doc]
    if hit.issuer and hit.issuer not in hit.title:  # "国务院关于印发…" says its issuer already
        parts.append(hit.issuer)
    if hit.year:
        parts.append(f"{hit.year}年")
    if hit.doc_number:
        parts.append(hit.doc_number)
    parts.append(hit.section or PLACE_LABEL.get(hit.kind, "正文"))
    if hit.page:
        parts.append(f"第{hit.page}页")
    if hit.status != CURRENT:
        parts.append(f"【{hit.status}】" + (f"（已由 {hit.successor} 替代）" if hit.successor else ""))
    return ",".join(parts)


def clean_question(question: str) -> tuple[str, bool]:
    """Validate a question: strip control characters, cut overly long ones (flagged)."""
    if question is None:
        raise BadQuestion("question is empty", "empty")
    question = question[: MAX_QUESTION_CHARS * 4]  # before any work: a 20M-character paste costs nothing
    q = "".join(c for c in question if c.isprintable() or c in " \t")
    q = " ".join(q.split())
    if not q:
        raise BadQuestion("question is empty", "empty")
    if not any(c.isalnum() for c in q):
        raise BadQuestion("question has no words, only punctuation or symbols", "no_words")
    truncated = len(q) > MAX_QUESTION_CHARS
    return (q[:MAX_QUESTION_CHARS], truncated)


SAME_SCORE = 0.02  # relative: closer than this, two clauses count as equally relevant


def prefer_current(hits: list[Hit]) -> list[Hit]:
    """At equal relevance a clause in force goes before one replaced or expired."""
    out = list(hits)
    for i in range(len(out)):  # insertion sort on (score band, out of force): the list is short
        j = i
        while (
            j > 0
            and out[j - 1].status in (REPLACED, EXPIRED)
            and out[j].status not in (REPLACED, EXPIRED)
            and (out[j - 1].score - out[j].score <= SAME_SCORE * max(abs(out[j - 1].score), 1e-9))
        ):
            out[j - 1], out[j] = out[j], out[j - 1]
            j -= 1
    return [replace(h, rank=r) for r, h in enumerate(out, start=1)]


def make_hits(index: Index, ids, scores, dense, lexical, as_of: dt.date | None = None) -> list[Hit]:
    """Hits for clause positions ``ids``, each with its document's status on ``as_of``."""
    positions = [int(p) for p in ids]
    status = validity(index.docs, as_of, only={index.chunks[p].doc_id for p in positions})
    hits = []
    for rank, (pos, s, d, lx) in enumerate(zip(ids, scores, dense, lexical, strict=False), start=1):
        c = index.chunks[int(pos)]
        doc = index.docs[c.doc_id]
        hits.append(
            Hit(
                rank=rank,
                chunk_id=c.chunk_id,
                doc=c.doc_id,
                title=doc.title,
                issuer=doc.issuer,
                region=doc.region,
                year=doc.year,
                doc_number=doc.doc_number,
                section=c.section_path,
                text=c.text,
                original=index.original(c),
                score=round(float(s), 4),
                dense_score=round(float(d), 4),
                lexical_score=round(float(lx), 4),
                kind=c.kind,
                page=c.page,
                status=status[c.doc_id].status,
                successor=status[c.doc_id].successor,
            )
        )
    return hits


def _silent(topic_word: str, hit: Hit) -> Reason:
    where = f"所收录的{hit.region}文件" if hit.region and hit.region != "全国" else f"《{hit.title.strip('《》')}》"
    return Reason("doc_silent", f"{where}未提及{topic_word or '这一问题'}", hit.doc)


def _mark_silent(retriever: Retriever, question: str, hits: list[Hit]) -> tuple[list[Hit], list[Reason]]:
    """Each hit flagged whether its clause addresses the question, and a reason per silent document."""
    topic = retriever.topic(question)  # read once for all the hits
    out, reasons = [], []
    for h in hits:
        says = retriever.addresses(topic, h.chunk_id)
        out.append(replace(h, mentions=says))
        if not says:
            reasons.append(_silent(topic[1], h))
    return out, reasons


def ask(
    retriever: Retriever,
    question: str,
    k: int = 5,
    mode: Mode = "hybrid",
    filters: Filters | None = None,
    as_of: dt.date | None = None,
) -> Answer:
    """Answer ``question`` with the ``k`` best clauses, each labelled with its document's
    status on ``as_of`` (today by default); raises ``BadQuestion`` on unusable input."""
    q, truncated = clean_question(question)
    if k < 1:
        raise BadQuestion("k must be at least 1", "bad_k")
    res = retriever.search(q, k=k, mode=mode, filters=filters)
    hits = prefer_current(make_hits(retriever.index, res.ids, res.scores, res.dense, res.lexical, as_of))
    status, reasons = res.status, list(res.reasons)
    if filters is not None and not filters.empty() and hits:
        # a filtered search shows the chosen documents even where they say nothing of the question
        hits, silent = _mark_silent(retriever, q, hits)
        if not hits[0].mentions:
            reasons = [r for r in reasons if r.code != "topic_not_found"] + silent[:1]
            status = NOT_FOUND if not any(h.mentions for h in hits) else PARTIAL
    return Answer(q, hits, status, tuple(reasons), truncated, res.terms)


def compare(
    retriever: Retriever, question: str, filters: Filters | None = None, max_docs: int = 6, as_of: dt.date | None = None
) -> Answer:
    """The best clause of each place (or each document) for the same question.

    A question that names places ("山东和湖南对居住证分别怎么规定?") compares exactly those:
    each covered place's best clause, marked where its documents do not address the
    question, and a reason for each place no document covers. Otherwise the documents
    are those among the top 50 of an ordinary (filtered) search, best first.
    """
    q, truncated = clean_question(question)
    base = retriever.search(q, k=50, filters=filters)
    regions, missing = retriever.places_compared(q)
    reasons = [r for r in base.reasons if r.code == "place_not_covered"] if missing else []
    hits: list[Hit] = []
    if regions:
        for region in regions:
            scope = Filters(docs=filters.docs if filters else (), regions=(region,), years=filters.years if filters else ())
            r = retriever.search(q, k=1, filters=scope)
            hits.extend(make_hits(retriever.index, r.ids, r.scores, r.dense, r.lexical, as_of))
    else:
        docs = list(dict.fromkeys(retriever.index.chunks[int(pos)].doc_id for pos in base.ids))
        for d in docs[:max_docs]:
            scope = Filters(docs=(d,), regions=filters.regions if filters else (), years=filters.years if filters else ())
            r = retriever.search(q, k=1, filters=scope)
            hits.extend(make_hits(retriever.index, r.ids, r.scores, r.dense, r.lexical, as_of))
        hits.sort(key=lambda h: -h.score)
    hits = [replace(h, rank=i) for i, h in enumerate(hits, start=1)]
    hits, silent = _mark_silent(retriever, q, hits)
    reasons += silent
    if not hits or not any(h.mentions for h in hits) or base.status == NOT_FOUND:
        status = NOT_FOUND
        if not any(r.code == "topic_not_found" for r in reasons):
            reasons += [r for r in base.reasons if r.code == "topic_not_found"]
    else:
        status = PARTIAL if reasons else ANSWERED
    return Answer(q, hits, status, tuple(reasons), truncated, base.terms)


def format_answer(ans: Answer) -> str:
    """Readable text for a terminal."""
    lines = [f"问: {ans.question}"]
    if ans.truncated:
        lines.append(f"(问题过长，只检索了前 {MAX_QUESTION_CHARS} 个字)")
    if not ans.hits:
        lines.append("没有找到条款。")
        return "\n".join(lines)
    if ans.status == NOT_FOUND:
        lines.append(f"⚠ {ans.note}；以下是最接近的条款，仅供参考。")
    elif ans.status == PARTIAL:
        lines.append(f"⚠ 部分回答：{ans.note}。")
    for h in ans.hits:
        lines.append("")
        lines.append(f"[{h.rank}] {h.citation}  (score {h.score:.3f})")
        lines.append(f"    {h.text}")
    return "\n".join(lines)


def neighbour_positions(index: Index, chunk_id: str, before: int = 1, after: int = 1) -> list[int]:
    """Positions in ``index.chunks`` around ``chunk_id`` in the same document (its own included)."""
    pos = index.position(chunk_id)
    doc = index.chunks[pos].doc_id
    lo = max(0, pos - before)
    hi = min(len(index.chunks), pos + after + 1)
    return [i for i in range(lo, hi) if index.chunks[i].doc_id == doc]


def neighbours(index: Index, chunk_id: str, before: int = 1, after: int = 1) -> list[str]:
    """Chunk ids around ``chunk_id`` in the same document, for reading a clause in context."""
    return [index.chunks[i].chunk_id for i in neighbour_positions(index, chunk_id, before, after)]
