"""Second stage: re-score the top candidates with features the first stage cannot see.

Features of a clause for a question (each in [0, 1]):

- ``fused``: the first-stage hybrid score, min-max normalized over the candidates;
- ``coverage``: IDF-weighted share of the question's words (and, at half weight, its
  expansion terms) found in the clause or its document's title. The title's words count
  for every clause of the document alike: a clause restating the title ("…印发了《…实施方案》",
  "依据本行动计划") is no nearer the question for it, so the title is taken out of the
  clause's own words (``without_title``) and its words are given to all;
- ``section``: the same share over the clause's section headings and document title;
- ``number``: the question's numbers found in the clause (its document's own years aside:
  they name the edition), or, for a question that asks for an amount or a date (多少, 几,
  比例, 哪年, how many …), whether the clause states one;
- ``region``: the clause's document belongs to a place the question names
  (太原 → 山西, 国务院 → 全国; ``qa.search.places``);
- ``sentence``: the dense similarity of the clause's best-matching sentence, min-max
  normalized over the candidates (a long clause is judged by its best sentence, not
  by its average);
- ``body``: the chunk is a numbered clause, not a document's preamble, title or
  sign-off (``qa.ingest.kinds``), which restate the document's subject in general words;
  a preamble counts as one when the question asks about the document as a whole (what
  it is based on, its number, its deadline: ``qa.search.asks.ASKS_DOCUMENT``);
- ``edition``: the question names a year that is the clause's document's own (its year,
  or a year of its title: "山西2016年的意见", "the 2025–2029 plan"), when two documents of
  one place differ by edition.

The score is a weighted sum (``rescore``); the weights, keyed by feature name, are
chosen on the tuning half of the development set (``qa eval --tune``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from qa.ingest.kinds import BODY, PREAMBLE
from qa.search.asks import states
from qa.search.fusion import minmax
from qa.text import NUMBER

FEATURES = ("fused", "coverage", "section", "number", "region", "sentence", "body", "edition")
_FIGURES = frozenset({"amount", "share", "count", "date", "finish_year", "duration", "age", "score", "figure"})
_ASKS_AMOUNT = re.compile(r"多少|几|比例|百分之|哪年|哪一年|哪天|什么时候|何时|多久|how many|how much|when|what year|rate")


@dataclass(frozen=True)
class Candidate:
    tokens: frozenset[str]  # the words of ``text``
    heading_tokens: frozenset[str]  # its section path and document title
    text: str  # the clause, its document's title taken out (``without_title``)
    region: str
    kind: str = "body"  # qa.ingest.kinds
    editions: frozenset[int] = frozenset()  # its document's own years (``scope.years_of`` of year and title)
    title_tokens: frozenset[str] = frozenset()  # the words of its document's title


_QUOTED = re.compile(r"《([^》]+)》")


def without_title(text: str, title: str) -> str:
    """The clause with its document's title (and the titles quoted in it) taken out.

    A document's opening restates its title, and a scraped page adds it again to the
    breadcrumb: by those words alone the opening then matches every question about the
    document ("山西到2029年…目标是多少?" found the page header first). The title is
    credited to every clause of the document alike instead: through ``section``, and its
    words through ``coverage`` (``Candidate.title_tokens``)."""
    names = [title, *_QUOTED.findall(title)]
    for name in sorted({n for n in names if len(n) >= 6}, key=lambda n: (-len(n), n)):  # longest first, fixed order
        text = text.replace(f"《{name}》", "").replace(name, "")
    return text


def weighted_share(terms: dict[str, float], have: frozenset[str], idf: Callable[[str], float], floor: float = 0.0) -> float:
    """IDF-weighted share of ``terms`` found in ``have``; ``floor`` keeps words the corpus
    lacks (idf 0) from dropping out of the total."""
    return share_of(term_weights(terms, idf, floor), have)


def term_weights(terms: dict[str, float], idf: Callable[[str], float], floor: float = 0.0) -> dict[str, float]:
    """Each term's weight times its IDF: computed once per question, shared by every clause."""
    return {t: w * max(idf(t), floor) for t, w in terms.items()}


def share_of(weight: dict[str, float], have: frozenset[str]) -> float:
    """Share of the total ``weight`` (``term_weights``) carried by the terms in ``have``."""
    total = sum(weight.values())
    if total <= 0:
        return 0.0
    return sum(v for t, v in weight.items() if t in have) / total


def features(
    query: str,
    q_terms: dict[str, float],
    regions: Sequence[str],
    fused: np.ndarray,
    cands: Sequence[Candidate],
    idf: Callable[[str], float],
    best_sentence: np.ndarray | None = None,
    about_document: bool = False,
    years: Sequence[int] = (),
    details: Sequence[str] = (),
) -> np.ndarray:
    """Feature matrix (candidates × FEATURES)."""
    lo, hi = (float(fused.min()), float(fused.max())) if len(fused) else (0.0, 0.0)
    if best_sentence is None:
        best_sentence = np.zeros(len(cands), dtype=np.float32)
    s_lo, s_hi = (float(best_sentence.min()), float(best_sentence.max())) if len(cands) else (0.0, 0.0)
    numbers = NUMBER.findall(query)
    as_year = {n: int(n) for n in numbers if len(n) == 4 and n.isdigit()}  # "1.25" is no year
    asks_amount = bool(_ASKS_AMOUNT.search(query.lower()))
    typed = [d for d in details if d in _FIGURES]
    weight = term_weights(q_terms, idf)
    rows = []
    for f, c, bs in zip(fused, cands, best_sentence, strict=True):
        # a year naming the clause's own edition ("2025—2029年方案") is credited by ``edition``
        asked = [n for n in numbers if as_year.get(n) not in c.editions]
        if asked:
            number = sum(n in c.text for n in asked) / len(asked)
        elif typed:  # a share is stated by a percentage, an amount by yuan: not by any number
            number = float(any(states(d, c.text) for d in typed))
        else:
            number = 1.0 if asks_amount and NUMBER.search(c.text) else 0.0
        rows.append(
            (
                (f - lo) / (hi - lo) if hi > lo else 0.0,
                share_of(weight, c.tokens | c.title_tokens),
                share_of(weight, c.heading_tokens),
                number,
                1.0 if regions and c.region in regions else 0.0,
                (bs - s_lo) / (s_hi - s_lo) if s_hi > s_lo else 0.0,
                1.0 if c.kind == BODY or (about_document and c.kind == PREAMBLE) else 0.0,
                1.0 if any(y in c.editions for y in years) else 0.0,
            )
        )
    return np.asarray(rows, dtype=np.float32).reshape(len(cands), len(FEATURES))


def rescore(fused: np.ndarray, top: np.ndarray, feats: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Scores of all candidates after re-ranking the ``top`` ones by ``feats @ weights``:
    the re-ranked stay above the rest, which keep their first-stage order."""
    if len(top) == 0:
        return fused
    rescored = feats @ weights
    scores = float(rescored.min()) - 1.0 + 0.5 * minmax(fused.astype(np.float64))
    scores[top] = rescored
    return scores
