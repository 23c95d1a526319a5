"""Query expansion: everyday words → policy terms, English policy words → Chinese terms.

Word lists ship with the package (``qa/search/data``): a thesaurus of the plain words
people use for the documents' vocabulary (户口 → 户籍/落户, 租房 → 租赁, 看病 → 医疗/就医 …;
a reviewed part, then everyday words a helper wrote from the documents without the
evaluation questions), an English glossary (hukou, residence permit, migrant workers …)
and, through ``qa.search.dictionary``, a policy terminology and CC-CEDICT. The small
offline model's cross-lingual retrieval is weak, so an English question is searched
mostly through its Chinese terms.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources

from qa.search.dictionary import EnglishDictionary, american
from qa.search.tokens import cached_tokens
from qa.text import is_english


@dataclass(frozen=True)
class Expansion:
    """What a question adds to itself before searching."""

    terms: tuple[str, ...]  # policy terms to add, in order, without duplicates
    english: bool  # the question is (mostly) English
    matched: tuple[str, ...] = ()  # the thesaurus words / glossary phrases that fired
    # each term's share of the weight of the word it translates: a dictionary's several
    # readings of one English word share it ("plan" → 规划, 计划, 方案: a third each), so a
    # word with many readings does not outweigh one with a single exact one
    shares: tuple[float, ...] = ()

    def weighted(self) -> list[tuple[str, float]]:
        """(term, share) for each term; without shares, each has all of its word's weight."""
        return list(zip(self.terms, self.shares or (1.0,) * len(self.terms), strict=True))

    def covers(self, word: str) -> bool:
        """Did a thesaurus word or glossary phrase account for ``word``?"""
        if word.isascii():
            word = american(word)  # the phrases matched are read in American spelling
        return any(word == m or word in m.split() or (not word.isascii() and (word in m or m in word)) for m in self.matched)

    def text_for_dense(self, query: str) -> str:
        return f"{query} {' '.join(self.terms)}" if self.terms else query


def _load(name: str) -> dict[str, tuple[str, ...]]:
    table: dict[str, tuple[str, ...]] = {}
    text = (resources.files("qa.search") / "data" / name).read_text(encoding="utf-8")
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        key, _, terms = line.partition("\t")
        table[key.strip().lower()] = tuple(terms.split())
    return table


class Expander:
    """Looks a normalized question up in the thesaurus and the English glossary."""

    def __init__(
        self,
        thesaurus: dict[str, tuple[str, ...]],
        glossary: dict[str, tuple[str, ...]],
        dictionary: EnglishDictionary | None = None,
    ) -> None:
        self.thesaurus = thesaurus
        self.glossary = {american(k): v for k, v in glossary.items()}  # its English as questions are read
        self.dictionary = dictionary
        phrases = sorted(self.glossary, key=len, reverse=True)
        self._en = re.compile(r"\b(" + "|".join(re.escape(p) for p in phrases) + r")\b") if phrases else None

    @classmethod
    @functools.lru_cache(maxsize=1)
    def default(cls) -> Expander:
        return cls(_load("thesaurus.tsv"), _load("glossary_en.tsv"))

    def with_dictionary(self, dictionary: EnglishDictionary | None) -> Expander:
        return Expander(self.thesaurus, self.glossary, dictionary)

    def expand(self, query: str, glossary: bool = True, dictionary: bool = True, terminology: bool = True) -> Expansion:
        """Policy terms for ``query``: the thesaurus's, and for an English question the
        glossary's and then the dictionary's (CC-CEDICT: ``dictionary``, the policy
        terminology: ``terminology``) for the words no glossary phrase took."""
        share: dict[str, float] = {}  # term → its share (``Expansion.shares``), terms in order
        matched: list[str] = []

        def add(words: Iterable[str], part: float = 1.0) -> None:
            for w in words:  # a term two sources give keeps the larger share
                share[w] = max(share.get(w, 0.0), part)

        english = is_english(query)
        rest = american(query)
        if english and glossary and self._en is not None:
            for m in self._en.finditer(rest):
                add(self.glossary[m.group(1)])  # reviewed: each reading counts whole
                matched.append(m.group(1))
            rest = self._en.sub(" | ", rest)  # a phrase the glossary took is not looked up again
        if english and (dictionary or terminology) and self.dictionary is not None:
            for phrase, words in self.dictionary.lookup(rest, dictionary, terminology):
                add(words, 1.0 / len(words))
                matched.append(phrase)
        tokens = set(cached_tokens(query))
        for word, mapped in self.thesaurus.items():
            # one-character words only as whole tokens: "地" must not fire inside "外地"
            if word in tokens or (len(word) > 1 and word in query):
                add(mapped)
                matched.append(word)
        out = [t for t in share if t not in tokens]
        return Expansion(tuple(out), english, tuple(matched), tuple(share[t] for t in out))
