"""Places a question names, mapped to the regions documents are filed under.

The gazetteer ``qa/search/data/places.tsv`` maps place names (provincial capitals,
larger cities, 国务院 …) to a province or 全国; a province's own name maps to itself.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from importlib import resources


@functools.lru_cache(maxsize=1)
def places() -> dict[str, str]:
    table: dict[str, str] = {}
    text = (resources.files("qa.search") / "data" / "places.tsv").read_text(encoding="utf-8")
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
