"""Second stage: re-score the top candidates with features the first stage cannot see.

Features of a clause for a question (each in [0, 1]):

- ``fused``: the first-stage hybrid score, min-max normalized over the candidates;
- ``coverage``: IDF-weighted share of the question's words (and, at half weight, its
  expansion terms) found in the clause, its document's title taken out of it
  (``without_title``);
- ``section``: the same share over the clause's section headings and document title;
- ``number``: the question's numbers found in the clause, or, for a question that asks
  for an amount or a date (多少, 几, 比例, 哪年, how many …), whether the clause states one;
- ``region``: the clause's document belongs to a place the question names
  (太原 → 山西, 国务院 → 全国; gazetteer in ``qa/data/places.tsv``);
- ``sentence``: the dense similarity of the clause's best-matching sentence, min-max
  normalized over the candidates (a long clause is judged by its best sentence, not
  by its average).

The score is a weighted sum; the weights are learned on the tuning half of the
development set (``qa eval --tune``). Questions that name several places or ask what
each says ("分别", "各地") get results diversified across documents.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources

import numpy as np

FEATURES = ("fused", "coverage", "section", "number", "region", "sentence")
_ASKS_AMOUNT = re.compile(r"多少|几|比例|百分之|哪年|哪一年|哪天|什么时候|何时|多久|how many|how much|when|what year|rate")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_EACH = re.compile(r"分别|各地|各省|各自|对比|比较|各有|各文件|each|respectively|compare")


@functools.lru_cache(maxsize=1)
def places() -> dict[str, str]:
    table: dict[str, str] = {}
    text = (resources.files("qa") / "data" / "places.tsv").read_text(encoding="utf-8")
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, region = line.partition("\t")
            table[name.strip()] = region.strip()
    return table


def regions_named(query: str, known_regions: Sequence[str]) -> list[str]:
    """Regions the question names, by place name or province name, in order of mention."""
    found: list[tuple[int, str]] = []
    for name, region in places().items():
        i = query.find(name)
        if i != -1:
            found.append((i, region))
    for region in known_regions:
        i = query.find(region)
        if region and i != -1:
            found.append((i, region))
    out: list[str] = []
    for _, r in sorted(found):
        if r not in out:
            out.append(r)
    return out


def wants_each(query: str, regions: Sequence[str]) -> bool:
    return len(regions) >= 2 or bool(_EACH.search(query.lower()))


@dataclass(frozen=True)
class Candidate:
    tokens: frozenset[str]  # the words of ``text``
    heading_tokens: frozenset[str]  # its section path and document title
    text: str  # the clause, its document's title taken out (``without_title``)
    region: str


_QUOTED = re.compile(r"《([^》]+)》")


def without_title(text: str, title: str) -> str:
    """The clause with its document's title (and the titles quoted in it) taken out.

    A document's opening restates its title, and a scraped page adds it again to the
    breadcrumb: by those words alone the opening then matches every question about the
    document ("山西到2029年…目标是多少?" found the page header first). The title is
    credited to every clause of the document through ``section`` instead."""
    names = [title, *_QUOTED.findall(title)]
    for name in sorted({n for n in names if len(n) >= 6}, key=lambda n: (-len(n), n)):  # longest first, fixed order
        text = text.replace(f"《{name}》", "").replace(name, "")
    return text


def weighted_share(terms: dict[str, float], have: frozenset[str], idf: Callable[[str], float], floor: float = 0.0) -> float:
    """IDF-weighted share of ``terms`` found in ``have``; ``floor`` keeps words the corpus
    lacks (idf 0) from dropping out of the total."""
    weight = {t: w * max(idf(t), floor) for t, w in terms.items()}
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
) -> np.ndarray:
    """Feature matrix (candidates × FEATURES)."""
    lo, hi = (float(fused.min()), float(fused.max())) if len(fused) else (0.0, 0.0)
    if best_sentence is None:
        best_sentence = np.zeros(len(cands), dtype=np.float32)
    s_lo, s_hi = (float(best_sentence.min()), float(best_sentence.max())) if len(cands) else (0.0, 0.0)
    numbers = _NUMBER.findall(query)
    asks_amount = bool(_ASKS_AMOUNT.search(query.lower()))
    rows = []
    for f, c, bs in zip(fused, cands, best_sentence, strict=True):
        if numbers:
            number = sum(n in c.text for n in numbers) / len(numbers)
        else:
            number = 1.0 if asks_amount and _NUMBER.search(c.text) else 0.0
        rows.append(
            (
                (f - lo) / (hi - lo) if hi > lo else 0.0,
                weighted_share(q_terms, c.tokens, idf),
                weighted_share(q_terms, c.heading_tokens, idf),
                number,
                1.0 if regions and c.region in regions else 0.0,
                (bs - s_lo) / (s_hi - s_lo) if s_hi > s_lo else 0.0,
            )
        )
    return np.asarray(rows, dtype=np.float32).reshape(len(cands), len(FEATURES))


def diversify(
    order: Sequence[int], docs: Sequence[str], doc_region: Callable[[str], str], regions: Sequence[str], k: int
) -> list[int]:
    """Reorder so the top ``k`` holds the best clause of each named region (else of each
    document among the leaders) before any second clause of the same document."""
    chosen: list[int] = []
    for r in regions:
        for i in order:
            if doc_region(docs[i]) == r and i not in chosen:
                chosen.append(i)
                break
    seen = {docs[i] for i in chosen}
    for i in order[: max(k, 10)]:
        if len(chosen) >= k:
            break
        if docs[i] not in seen:
            chosen.append(i)
            seen.add(docs[i])
    rest = [i for i in order if i not in chosen]
    return chosen + rest
