"""Turn retrieval results into cited answers: hits with citations, text and JSON forms."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from qa.errors import BadQuestion
from qa.search import Filters, Index, Mode, Retriever

NO_MATCH_NOTE = "文件中没有找到直接相关的条款"
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

    @property
    def citation(self) -> str:
        return citation(self)


@dataclass(frozen=True)
class Answer:
    question: str
    hits: list[Hit]
    confident: bool
    note: str = ""
    truncated: bool = False
    terms: tuple[str, ...] = ()  # the query's words, for highlighting

    def to_json(self) -> dict:
        return {
            "question": self.question,
            "confident": self.confident,
            "note": self.note,
            "truncated": self.truncated,
            "terms": list(self.terms),
            "results": [{**asdict(h), "citation": h.citation} for h in self.hits],
        }


def citation(hit: Hit) -> str:
    """《title》, issuer, year, document number, section path: what a reader needs to check."""
    title = hit.title if "《" in hit.title else f"《{hit.title}》"
    parts = [title if hit.title else hit.doc]
    if hit.issuer:
        parts.append(hit.issuer)
    if hit.year:
        parts.append(f"{hit.year}年")
    if hit.doc_number:
        parts.append(hit.doc_number)
    parts.append(hit.section or "文首/文尾")
    return ",".join(parts)


def clean_question(question: str) -> tuple[str, bool]:
    """Validate a question: strip control characters, cut overly long ones (flagged)."""
    if question is None:
        raise BadQuestion("question is empty", "empty")
    q = "".join(c for c in question if c.isprintable() or c in " \t")
    q = " ".join(q.split())
    if not q:
        raise BadQuestion("question is empty", "empty")
    if not any(c.isalnum() for c in q):
        raise BadQuestion("question has no words, only punctuation or symbols", "no_words")
    truncated = len(q) > MAX_QUESTION_CHARS
    return (q[:MAX_QUESTION_CHARS], truncated)


def make_hits(index: Index, ids, scores, dense, lexical) -> list[Hit]:
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
            )
        )
    return hits


def ask(retriever: Retriever, question: str, k: int = 5, mode: Mode = "hybrid", filters: Filters | None = None) -> Answer:
    """Answer ``question`` with the ``k`` best clauses; raises ``BadQuestion`` on unusable input."""
    q, truncated = clean_question(question)
    if k < 1:
        raise BadQuestion("k must be at least 1", "bad_k")
    res = retriever.search(q, k=k, mode=mode, filters=filters)
    hits = make_hits(retriever.index, res.ids, res.scores, res.dense, res.lexical)
    note = "" if res.confident else NO_MATCH_NOTE
    return Answer(q, hits, res.confident, note, truncated, tuple(retriever.query_terms(q)))


def compare(retriever: Retriever, question: str, filters: Filters | None = None, max_docs: int = 6) -> Answer:
    """One best clause per document for the same question, best documents first.

    The documents are those among the top 50 of an ordinary (filtered) search, so a
    large corpus is not scanned document by document.
    """
    q, truncated = clean_question(question)
    base = retriever.search(q, k=50, filters=filters)
    docs: list[str] = []
    for pos in base.ids:
        d = retriever.index.chunks[int(pos)].doc_id
        if d not in docs:
            docs.append(d)
    hits: list[Hit] = []
    for d in docs[:max_docs]:
        scope = Filters(docs=(d,), regions=filters.regions if filters else (), years=filters.years if filters else ())
        r = retriever.search(q, k=1, filters=scope)
        hits.extend(make_hits(retriever.index, r.ids, r.scores, r.dense, r.lexical))
    hits.sort(key=lambda h: -h.score)
    hits = [Hit(**{**asdict(h), "rank": i}) for i, h in enumerate(hits, start=1)]
    note = "" if base.confident else NO_MATCH_NOTE
    return Answer(q, hits, base.confident, note, truncated, tuple(retriever.query_terms(q)))


def format_answer(ans: Answer) -> str:
    """Readable text for a terminal."""
    lines = [f"问: {ans.question}"]
    if ans.truncated:
        lines.append(f"(问题过长，只检索了前 {MAX_QUESTION_CHARS} 个字)")
    if not ans.hits:
        lines.append("没有找到条款。")
        return "\n".join(lines)
    if not ans.confident:
        lines.append(f"⚠ {ans.note}；以下是最接近的条款，仅供参考。")
    for h in ans.hits:
        lines.append("")
        lines.append(f"[{h.rank}] {h.citation}  (score {h.score:.3f})")
        lines.append(f"    {h.text}")
    return "\n".join(lines)


def neighbour_positions(index: Index, chunk_id: str, before: int = 1, after: int = 1) -> list[int]:
    """Positions in ``index.chunks`` around ``chunk_id`` in the same document (its own included)."""
    pos = next((i for i, c in enumerate(index.chunks) if c.chunk_id == chunk_id), None)
    if pos is None:
        raise KeyError(chunk_id)
    doc = index.chunks[pos].doc_id
    lo = max(0, pos - before)
    hi = min(len(index.chunks), pos + after + 1)
    return [i for i in range(lo, hi) if index.chunks[i].doc_id == doc]


def neighbours(index: Index, chunk_id: str, before: int = 1, after: int = 1) -> list[str]:
    """Chunk ids around ``chunk_id`` in the same document, for reading a clause in context."""
    return [index.chunks[i].chunk_id for i in neighbour_positions(index, chunk_id, before, after)]
