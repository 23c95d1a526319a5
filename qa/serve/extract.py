"""The extractive answer: which sentence of a clause answers, and the answer's few lines.

No generated text: every line shown is a sentence of a clause, chosen by how much of
the question's weight (idf of its words and their expansions) it covers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from qa.ingest.kinds import BODY
from qa.serve.answer import Answer
from qa.text import SENTENCE

MIN_SENTENCE = 8  # shorter "sentences" are headings such as "(三)加强住房保障。"
MAX_LINE = 160  # a longer sentence is cut (with …) in the summary; the card shows it whole
SUMMARY_LINES = 2


def _score(sentence: str, terms: Sequence[str], weight: Callable[[str], float]) -> float:
    return sum(weight(t) for t in set(terms) if len(t) > 1 and t in sentence)


def key_span(text: str, terms: Sequence[str], weight: Callable[[str], float]) -> tuple[int, int] | None:
    """Span of the sentence covering the most query weight (None if none matches); a
    heading-length sentence only when nothing longer matches as well."""
    best, best_score = None, (0.0, False)
    for m in SENTENCE.finditer(text):
        sentence = m.group(0)
        score = (_score(sentence, terms, weight), len(sentence.strip()) >= MIN_SENTENCE)
        if score[0] > 0 and score > best_score:
            best, best_score = (m.start(), m.end()), score
    return best


def short_answer(ans: Answer, weight: Callable[[str], float], lines: int = SUMMARY_LINES) -> list[tuple[str, int]]:
    """(sentence, rank of its clause) for the first ``lines`` clauses that address the
    question, body clauses only, one sentence each, no sentence twice."""
    out: list[tuple[str, int]] = []
    seen: set[str] = set()
    for hit in ans.hits:
        if len(out) >= lines:
            break
        if not hit.mentions or hit.kind != BODY:
            continue
        span = key_span(hit.text, ans.terms, weight)
        if span is None:
            continue
        sentence = " ".join(hit.text[span[0] : span[1]].split())
        key = "".join(sentence.split())
        if len(key) < MIN_SENTENCE or key in seen:
            continue
        seen.add(key)
        out.append((sentence if len(sentence) <= MAX_LINE else sentence[: MAX_LINE - 1] + "…", hit.rank))
    return out
