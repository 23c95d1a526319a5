"""Diversification: when a question asks what each place or document says, the best
clause of each comes first, before any second clause of the same document."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

# words that ask what each place or document says (also framing words, not a topic: qa.search.asks)
EACH_WORDS = ("分别", "各地", "各省", "各自", "对比", "比较", "各有", "各文件", "each", "respectively", "compare")
# an English word stands alone ("each", not the "each" of "teaching")
_EACH = re.compile("|".join(rf"\b{w}\b" if w.isascii() else w for w in EACH_WORDS))


def wants_each(query: str, regions: Sequence[str]) -> bool:
    """The question names several places, or asks what each says (分别, 各地, compare …)."""
    return len(regions) >= 2 or bool(_EACH.search(query.lower()))


def diversify(
    order: Sequence[int], docs: Sequence[str], doc_region: Callable[[str], str], regions: Sequence[str], k: int
) -> list[int]:
    """Reorder so the top ``k`` holds the best clause of each named region (else of each
    document among the leaders) before any second clause of the same document. The regions'
    best clauses keep their order of score, not the question's order of naming: the first
    clause stays first when its region is named."""
    chosen: list[int] = []
    for r in regions:
        for i in order:
            if doc_region(docs[i]) == r and i not in chosen:
                chosen.append(i)
                break
    rank = {i: n for n, i in enumerate(order)}
    chosen.sort(key=rank.__getitem__)
    seen = {docs[i] for i in chosen}
    for i in order[: max(k, 10)]:
        if len(chosen) >= k:
            break
        if docs[i] not in seen:
            chosen.append(i)
            seen.add(docs[i])
    rest = [i for i in order if i not in chosen]
    return chosen + rest
