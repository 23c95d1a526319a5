"""Places a question names, as the regions documents are filed under (a province, or 全国).

Names come from the gazetteer (``qa.search.gazetteer``): every province, city and county,
and 国务院/全国 for the nation. A region a question names may have no document at all
(广州 → 广东); ``covered`` says which of them the corpus holds.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from qa.search.gazetteer import NATIONAL, Place, places_in


def regions_named(query: str, known_regions: Sequence[str] = (), places: Sequence[Place] | None = None) -> list[str]:
    """Regions the question names, by place name or province name, in order of mention
    (``known_regions``: the corpus's own region names, matched as written too; ``places``:
    those ``places_in(query)`` already found)."""
    places = places_in(query) if places is None else places
    found = [(query.lower().find(p.name.lower()), p.province) for p in places]
    found += [(query.find(r), r) for r in known_regions if r and r in query]
    out: list[str] = []
    for _, r in sorted(found):
        if r not in out:
            out.append(r)
    return out


def uncovered(places: Iterable[Place], covered: set[str]) -> list[Place]:
    """The places whose region no document covers (the nation is always covered by a national document)."""
    return [p for p in places if p.province != NATIONAL and p.province not in covered]
