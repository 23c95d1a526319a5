"""Character classes and patterns shared by reading, chunking, searching and rendering.

Kept in one place so that "a Chinese character", "a sentence" and "a date" mean the
same thing when a document is chunked, when a question is tokenized and when a clause
is shown. Text reaches these after normalization (Simplified, half-width punctuation).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

HAN = "\u4e00-\u9fff"  # CJK Unified Ideographs: the characters of policy prose
CJK = "\u3400-\u4dbf" + HAN + "\uf900-\ufaff"  # with Extension A and the compatibility block
SENTENCE_END = "。;!?"  # after normalization (full-width ；！？ are folded to ; ! ?)
SENTENCE = re.compile(rf"[^{SENTENCE_END}\n]+[{SENTENCE_END}]?")  # one sentence, its end mark included
SPLIT_AFTER_SENTENCE = re.compile(rf"(?<=[{SENTENCE_END}])")
DATE_CN = re.compile(r"(\d{4})\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日")  # 2019年7月3日
DATE_ISO = re.compile(r"(?<!\d)(\d{4})-\d{1,2}-\d{1,2}(?!\d)")  # 2019-07-03
NUMBER = re.compile(r"\d+(?:\.\d+)?")


def sentences(text: str) -> list[str]:
    """The sentences of a clause (split at 。;!? and line ends), stripped, empty ones dropped."""
    return [s.strip() for s in SENTENCE.findall(text) if len(s.strip()) >= 2]


def is_han(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


def is_english(text: str) -> bool:
    """Mostly Latin letters: at least twice as many as Chinese characters."""
    letters = sum(c.isascii() and c.isalpha() for c in text)
    han = sum(is_han(c) for c in text)
    return letters > 0 and letters >= 2 * han


def has_date(text: str) -> bool:
    return bool(DATE_CN.search(text) or DATE_ISO.search(text))


def term_spans(text: str, terms: Iterable[str]) -> list[tuple[int, int]]:
    """Non-overlapping spans of ``terms`` in ``text``, longer terms first (so 保障性住房 is one
    span, not also 住房); single characters are skipped (they would match half a Chinese
    sentence). What the page highlights and what a topic counts."""
    taken = [False] * len(text)
    spans: list[tuple[int, int]] = []
    for term in sorted({t for t in terms if len(t) > 1}, key=len, reverse=True):
        start = text.find(term)
        while start != -1:
            end = start + len(term)
            if not any(taken[start:end]):
                spans.append((start, end))
                taken[start:end] = [True] * len(term)
            start = text.find(term, end)
    return sorted(spans)
