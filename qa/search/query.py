"""A question made ready for searching: normalized, tokenized, expanded, places found."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace

from qa.ingest.normalize import normalize_query
from qa.search.asks import Asks, read_question
from qa.search.expand import Expander, Expansion
from qa.search.gazetteer import Place, places_in
from qa.search.places import regions_named
from qa.search.stores import TermGroups
from qa.search.tokens import cached_tokens
from qa.text import is_english


@dataclass(frozen=True)
class Query:
    text: str  # normalized like the documents
    tokens: list[str]  # its words, as BM25 sees them
    expansion: Expansion | None
    extra: list[str]  # expansion terms' words that the question does not already have
    groups: TermGroups  # BM25 term groups with their weights
    terms: dict[str, float]  # words counted for coverage, with their weights
    regions: list[str]  # regions the question names
    places: list[Place]  # the places it names (gazetteer), covered by a document or not
    dense_text: str  # what the encoder sees
    asks: Asks  # what it asks for: kinds of chunk, details, years
    english: bool = False  # an English question (its own weights: ``RetrievalConfig.for_language``)

    @property
    def empty(self) -> bool:
        return not self.text

    def without_places(self, names: Collection[str], known_regions: Sequence[str]) -> Query:
        """The question with ``names`` read as words, not places (老城区: the old town, not
        洛阳's district), and its regions found again without them."""
        kept = [p for p in self.places if p.name not in names]
        return replace(self, places=kept, regions=regions_named(self.text, known_regions, kept))


def prepare(
    question: str,
    expander: Expander | None,
    known_regions: Sequence[str],
    expansion_weight: float,
    coverage_expansion_weight: float,
    english: tuple[bool, bool, bool] = (True, True, True),
) -> Query:
    """``expander`` None: the question's own words only; ``english``: use the glossary,
    CC-CEDICT, the policy terminology."""
    text = normalize_query(question)
    tokens = list(cached_tokens(text))
    exp = expander.expand(text, *english) if expander is not None and text else None
    places = places_in(text)
    share: dict[str, float] = {}
    extra: list[str] = []  # a word two terms share is counted twice: the more terms say it, the surer
    if exp:
        for term, part in exp.weighted():
            for t in cached_tokens(term):
                if t not in tokens:
                    extra.append(t)
                    share[t] = max(share.get(t, 0.0), part)
    terms = {t: 1.0 for t in tokens if len(t) > 1 or not t.isascii()}  # one Latin letter says nothing
    for t in extra:
        terms.setdefault(t, coverage_expansion_weight * share[t])
    levels = sorted(set(share.values()), reverse=True)
    groups = [(tokens, 1.0)] + [([t for t in extra if share[t] == v], expansion_weight * v) for v in levels]
    return Query(
        text=text,
        tokens=tokens,
        expansion=exp,
        extra=extra,
        groups=groups,
        terms=terms,
        regions=regions_named(text, known_regions, places),
        places=places,
        dense_text=exp.text_for_dense(text) if exp else text,
        asks=read_question(text),
        english=exp.english if exp else is_english(text),
    )
