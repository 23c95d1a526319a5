"""Normalize scraped Chinese policy text for indexing and matching.

Steps, in this order (each keeps a map back to the original characters):

1. remove pinyin annotations inserted after characters: ``國(guó)`` → ``國``;
2. cut mojibake runs (``?,F``, ``??刂瞥鞘袦厥覛怏w``) out of the text;
3. Traditional → Simplified (OpenCC ``t2s``);
4. full-width → half-width folding (NFKC on the compatibility forms only).

The result is a :class:`Normalized` string plus ``origin[i]``: the offset in the
original text of normalized character ``i``. A citation can therefore always show
the source as written.
"""

from __future__ import annotations

import functools
import os
import re
import unicodedata
from dataclasses import dataclass

from opencc import OpenCC

from qa.text import CJK

_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ"
# A pinyin syllable: optional initial, a vowel cluster, optional final. Toned
# letters make a syllable certain; toneless ones must match this shape.
_SYLLABLE = re.compile(r"^(?:zh|ch|sh|[bpmfdtnlgkhjqxrzcsyw])?[aeiouüv" + _TONED + r"]+(?:ng|n|r)?$")
_PINYIN = re.compile(r"(?<=[" + CJK + r"])[(（]\s*([a-zü" + _TONED + r"]{1,7})\s*[)）]")

# Below this summed jieba frequency a character is rare enough to be a mojibake
# candidate when it follows a stray '?'. Real policy vocabulary sits far above it.
RARE_CHAR_FREQ = 2000
_CHINESE_PUNCT = set("，。、；：？！“”‘’《》〈〉【】（）〔〕—…·「」『』")


@dataclass(frozen=True)
class Normalized:
    """Normalized text and, per character, its offset in the original text."""

    text: str
    origin: tuple[int, ...]
    mojibake_runs: tuple[tuple[int, int], ...] = ()  # (start, end) in the original

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Map a normalized half-open span back to a span of the original text."""
        if start >= end or not self.origin:
            pos = self.origin[start] if start < len(self.origin) else (self.origin[-1] + 1 if self.origin else 0)
            return pos, pos
        return self.origin[start], self.origin[end - 1] + 1


@functools.lru_cache(maxsize=1)
def _t2s() -> OpenCC:
    return OpenCC("t2s")


@functools.lru_cache(maxsize=1)
def _char_freq() -> dict[str, int]:
    """Summed frequency of every character over jieba's dictionary words."""
    import jieba

    freq: dict[str, int] = {}
    path = os.path.join(os.path.dirname(jieba.__file__), "dict.txt")
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            parts = line.split()
            if len(parts) < 2:
                continue
            word, count = parts[0], int(parts[1])
            for ch in set(word):
                freq[ch] = freq.get(ch, 0) + count
    return freq


def to_simplified(text: str) -> str:
    """Traditional → Simplified; OpenCC t2s is length-preserving on this kind of text."""
    return _t2s().convert(text)


def is_pinyin(token: str) -> bool:
    """True if ``token`` looks like one pinyin syllable (with or without tone mark)."""
    return bool(_SYLLABLE.match(token))


def _suspicious(ch: str) -> bool:
    """Could ``ch`` be part of a mojibake run (given that the run began with '?')?"""
    if ch == "?" or ch == "\ufffd":
        return True
    if ch in _CHINESE_PUNCT or ch.isspace():
        return False
    if ch.isascii():
        return ch.isalnum() or ch in ",.;'\")(]["
    if re.match(r"[" + CJK + r"]", ch):
        simple = to_simplified(ch)
        return _char_freq().get(simple, 0) < RARE_CHAR_FREQ
    # Latin-1 letters, Greek, Cyrillic, box drawing…: never in Chinese policy prose.
    return unicodedata.category(ch)[0] in "LS"


def find_mojibake(text: str) -> list[tuple[int, int]]:
    """Spans of mojibake: a stray '?' (or U+FFFD) followed by improbable characters.

    A lone '?' is kept (it may be a real question mark); a run needs at least one
    more suspicious character after it.
    """
    runs: list[tuple[int, int]] = []
    i = 0
    n = len(text)
    while i < n:
        if text[i] not in "?\ufffd":
            i += 1
            continue
        j = i + 1
        while j < n and _suspicious(text[j]):
            j += 1
        if j - i >= 2 or text[i] == "\ufffd":
            runs.append((i, j))
        i = j
    return runs


def _fold_width(ch: str) -> str:
    code = ord(ch)
    if 0xFF01 <= code <= 0xFF5E:
        return chr(code - 0xFEE0)
    if ch == "\u3000":
        return " "
    return ch


def normalize(text: str) -> Normalized:
    """Normalize ``text`` for indexing, keeping a map to original offsets."""
    keep = [True] * len(text)
    for m in _PINYIN.finditer(text):
        if is_pinyin(m.group(1)):
            for k in range(m.start(), m.end()):
                keep[k] = False
    # Mojibake is searched on the text without pinyin so that "?,F(xiàn)" is one run.
    stripped_idx = [i for i, k in enumerate(keep) if k]
    stripped = "".join(text[i] for i in stripped_idx)
    runs: list[tuple[int, int]] = []
    for s, e in find_mojibake(stripped):
        for k in range(s, e):
            keep[stripped_idx[k]] = False
        runs.append((stripped_idx[s], stripped_idx[e - 1] + 1))
    kept_idx = [i for i, k in enumerate(keep) if k]
    kept = "".join(text[i] for i in kept_idx)
    simple = to_simplified(kept)
    if len(simple) != len(kept):  # phrase conversion changed the length: go char by char
        simple = "".join(to_simplified(c) for c in kept)
    folded = "".join(_fold_width(c) for c in simple)
    return Normalized(text=folded, origin=tuple(kept_idx), mojibake_runs=tuple(runs))


def normalize_query(text: str) -> str:
    """Normalize a user's question the same way documents are (no mojibake cut)."""
    kept = _PINYIN.sub(lambda m: "" if is_pinyin(m.group(1)) else m.group(0), text)
    simple = to_simplified(kept)
    folded = "".join(_fold_width(c) for c in simple)
    folded = "".join(c for c in folded if unicodedata.category(c)[0] != "C" or c in "\n\t")
    return re.sub(r"\s+", " ", folded).strip()
