"""Normalize scraped Chinese policy text for indexing and matching.

Steps, in this order (each keeps a map back to the original characters):

1. remove pinyin annotations inserted after characters: ``國(guó)`` → ``國``;
2. cut mojibake runs (``?,F``, ``??刂瞥鞘袦厥覛怏w``) out of the text;
3. Traditional → Simplified (OpenCC ``t2s``);
4. full-width → half-width folding (NFKC on the compatibility forms only).

The result is a :class:`Normalized` string plus ``origin[i]``: the offset in the
original text of normalized character ``i``. A citation can therefore always show
the source as written. The per-character bookkeeping is done in numpy arrays (4 bytes
a character), not Python lists of ints and one-character strings (~100 bytes each):
reading a document costs a few times its size in memory, not sixty.
"""

from __future__ import annotations

import functools
import os
import re
import unicodedata
from dataclasses import dataclass

import numpy as np
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


@dataclass(frozen=True, eq=False)
class Normalized:
    """Normalized text and, per character, its offset in the original text."""

    text: str
    origin: np.ndarray  # int32, one per character of ``text``
    mojibake_runs: tuple[tuple[int, int], ...] = ()  # (start, end) in the original

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Map a normalized half-open span back to a span of the original text."""
        n = len(self.origin)
        if start >= end or not n:
            pos = int(self.origin[start]) if start < n else (int(self.origin[-1]) + 1 if n else 0)
            return pos, pos
        return int(self.origin[start]), int(self.origin[end - 1]) + 1


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


_BLOCK = 1 << 16
_BLOCK_END = re.compile(r"[\n。]")  # a file may have no line breaks at all
_MAY_CONVERT = re.compile("[\u2e80-\U0010ffff]")


def to_simplified(text: str) -> str:
    """Traditional → Simplified; OpenCC t2s is length-preserving on this kind of text.

    Long texts go through in blocks ending at a line break or a full stop: OpenCC's own working memory
    is about 20 bytes a character, paid per block instead of for the whole document. Text with
    no character from U+2E80 (CJK radicals) up is returned as it is: OpenCC maps none below it,
    and an English question is spared the conversion (0.25 ms)."""
    if not _MAY_CONVERT.search(text):
        return text
    if len(text) <= _BLOCK:
        return _t2s().convert(text)
    out, start = [], 0
    while start < len(text):
        cut = _BLOCK_END.search(text, start + _BLOCK)
        end = cut.end() if cut else len(text)
        out.append(_t2s().convert(text[start:end]))
        start = end
    return "".join(out)


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


_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


def _fold_width(text: str) -> str:
    """Full-width ASCII forms and the ideographic space → their half-width forms."""
    return text.translate(_WIDTH)


def _codes(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def _text(codes: np.ndarray) -> str:
    return codes.tobytes().decode("utf-32-le", "surrogatepass")


def normalize(text: str) -> Normalized:
    """Normalize ``text`` for indexing, keeping a map to original offsets."""
    codes = _codes(text)
    keep = np.ones(len(codes), dtype=bool)
    for m in _PINYIN.finditer(text):
        if is_pinyin(m.group(1)):
            keep[m.start() : m.end()] = False
    # Mojibake is searched on the text without pinyin so that "?,F(xiàn)" is one run.
    stripped_idx = np.flatnonzero(keep).astype(np.int32)
    runs: list[tuple[int, int]] = []
    for s, e in find_mojibake(_text(codes[stripped_idx])):
        keep[stripped_idx[s:e]] = False
        runs.append((int(stripped_idx[s]), int(stripped_idx[e - 1]) + 1))
    del stripped_idx
    kept_idx = np.flatnonzero(keep).astype(np.int32)
    kept = _text(codes[kept_idx])
    simple = to_simplified(kept)
    if len(simple) != len(kept):  # phrase conversion changed the length: go char by char
        simple = "".join(to_simplified(c) for c in kept)
    return Normalized(text=_fold_width(simple), origin=kept_idx, mojibake_runs=tuple(runs))


def normalize_query(text: str) -> str:
    """Normalize a user's question the same way documents are (no mojibake cut)."""
    kept = _PINYIN.sub(lambda m: "" if is_pinyin(m.group(1)) else m.group(0), text)
    simple = to_simplified(kept)
    folded = _fold_width(simple)
    folded = "".join(c for c in folded if unicodedata.category(c)[0] != "C" or c in "\n\t")
    return re.sub(r"\s+", " ", folded).strip()
