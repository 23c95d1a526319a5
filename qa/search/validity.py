"""Which policy is in force: each document's status on a given day.

From the facts the ingest stage reads (``qa.ingest.metadata``: stage, 成文日期, 施行日期,
有效期, repealed documents), as of a date (today unless asked):

- 被替代 — a document of the corpus issued on or before that day repeals it, naming its
  file name, title or 文号 ("…同时废止", or ``"replaces"`` in the repealing document's
  sidecar); the newest such document is its successor;
- 已失效 — its 有效期 ended before that day;
- 征求意见稿 — a draft for comments;
- 尚未施行 — issued, but its 施行日期 is after that day;
- 现行有效 — none of these.

A document dated after the day asked about is labelled 晚于所查日期: it did not exist yet.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from qa.search.index import DocInfo

CURRENT, REPLACED, EXPIRED, DRAFT, NOT_YET, LATER = "现行有效", "被替代", "已失效", "征求意见稿", "尚未施行", "晚于所查日期"


@dataclass(frozen=True)
class Validity:
    status: str
    successor: str = ""  # the doc_id of the document that replaced it


def _date(doc: DocInfo) -> str:
    """When the document was issued: its 成文日期, else the first day of its year."""
    return doc.issued or (f"{doc.year}-01-01" if doc.year else "")


def _names(doc: DocInfo) -> set[str]:
    return {n for n in (doc.doc_id, doc.title.strip("《》"), doc.doc_number) if n}


def validity(docs: Mapping[str, DocInfo], as_of: dt.date | None = None, only: Iterable[str] | None = None) -> dict[str, Validity]:
    """The status on ``as_of`` (default: today) of every document, or of those in ``only``."""
    day = (as_of or dt.date.today()).isoformat()
    repealers: dict[str, list[DocInfo]] = {}
    for d in docs.values():
        for name in d.replaces:
            repealers.setdefault(name, []).append(d)
    out = {}
    for doc in (docs[i] for i in (docs if only is None else dict.fromkeys(only)) if i in docs):
        candidates = {d.doc_id: d for n in _names(doc) for d in repealers.get(n, ())}
        successors = sorted((d for d in candidates.values() if d.doc_id != doc.doc_id and _date(d) <= day), key=_date)
        if _date(doc) > day:
            out[doc.doc_id] = Validity(LATER)
        elif successors:
            out[doc.doc_id] = Validity(REPLACED, successors[-1].doc_id)
        elif doc.expires and doc.expires < day:
            out[doc.doc_id] = Validity(EXPIRED)
        elif doc.stage == DRAFT:
            out[doc.doc_id] = Validity(DRAFT)
        elif doc.effective and doc.effective > day:
            out[doc.doc_id] = Validity(NOT_YET)
        else:
            out[doc.doc_id] = Validity(CURRENT)
    return out


def parse_day(text: str) -> dt.date:
    """A day written YYYY-MM-DD (``ValueError`` with a readable message otherwise)."""
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"--as-of must be a date written YYYY-MM-DD, not {text!r}") from None
