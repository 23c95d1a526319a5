"""Answer judgement: does the best clause really answer the question?

Two signals, with thresholds from the retrieval configuration:

- ``unknown``: the share of the question's content words that neither the clauses nor
  the word lists know (a question about something the corpus never mentions);
- ``top_dense`` and ``coverage``: the best dense cosine among the candidates, and the
  IDF-weighted share of the question's words found in the first clause.

"No clause matches well" is flagged when too many words are unknown, or when both the
dense similarity and the coverage are low. The closest clauses are still returned.
"""

from __future__ import annotations

from collections.abc import Callable, Container
from dataclasses import dataclass

from qa.search.expand import Expansion
from qa.search.rerank import weighted_share


@dataclass(frozen=True)
class Judgement:
    confident: bool
    top_dense: float  # the best dense cosine among the candidates
    coverage: float  # IDF-weighted share of the question's words in the first clause
    unknown: float  # share of the question's content words nothing in the corpus knows


def unknown_share(q_tokens: list[str], exp: Expansion | None, vocabulary: Container[str]) -> float:
    """Share of the question's content words found neither in the clauses nor in the word lists."""
    content = [t for t in q_tokens if (len(t) > 1 or not t.isascii()) and not t.isdigit()]
    if not content:
        return 0.0
    unknown = [t for t in content if t not in vocabulary and not (exp is not None and exp.covers(t))]
    return len(unknown) / len(content)


def judge(
    found: bool,
    top_dense: float,
    terms: dict[str, float],
    first_tokens: frozenset[str],
    idf: Callable[[str], float],
    unknown: float,
    *,
    max_unknown: float,
    min_dense: float,
    min_coverage: float,
) -> Judgement:
    """Confident when something was found, few words are unknown, and either the dense
    similarity or the first clause's coverage is high enough."""
    coverage = weighted_share(terms, first_tokens, idf, floor=1.0) if found else 0.0
    confident = found and unknown < max_unknown and (top_dense >= min_dense or coverage >= min_coverage)
    return Judgement(bool(confident), top_dense, coverage, unknown)
