"""Chinese lexical tokenization for BM25: jieba search-mode words, stop words dropped.

bm25s's default token pattern treats a run of Chinese characters as one token, so
the text is segmented with jieba first. Search mode also emits the shorter words
inside a long one (城镇化 → 城镇, 城镇化), which lets a query word match a longer
document word. Text is normalized (Simplified, half-width) before it gets here.
"""

from __future__ import annotations

import functools
import logging
import re

from qa.text import HAN

# Function words and policy boilerplate that carry no topic.
STOPWORDS = frozenset(
    "的 了 和 与 及 以及 或 等 在 是 为 对 将 把 被 从 向 于 由 其 之 也 都 并 而 且 就 要 以 按 按照 "
    "有 有的 这 那 这个 那个 什么 怎么 怎样 如何 哪些 哪 吗 呢 吧 啊 么 能 能否 可以 会 我 我们 你 你们 "
    "他 他们 她 它 各 每 个 一 一个 多少 几 还 又 再 很 更 最 不 没 没有 请问 想 知道 一下 "
    "a an the of to in on for and or is are be been being was were what how which do does did can could will would "
    "should shall may might must with by at from into about after before between than then there their they them "
    "this that these those it its we you your our i me my he she his her not no if when where who why while also "
    "just still any all each every some such only so too very more most less many much get got have has had".split()
)
_TOKEN_OK = re.compile(rf"[\w{HAN}]")


@functools.lru_cache(maxsize=1)
def _jieba():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


def tokenize(text: str) -> list[str]:
    """Tokens of normalized ``text`` for lexical matching (lower-cased, no stop words)."""
    words = _jieba().lcut_for_search(text.lower())
    return [w for w in (w.strip() for w in words) if w and w not in STOPWORDS and _TOKEN_OK.search(w)]


@functools.lru_cache(maxsize=4096)
def cached_tokens(text: str) -> tuple[str, ...]:
    """``tokenize`` for the query path, remembered: a question is tokenized by several steps,
    and expansion terms (户籍, 落户 …) recur from question to question."""
    return tuple(tokenize(text))


def in_dictionary(word: str) -> bool:
    """Is ``word`` one of jieba's dictionary words? A Chinese token that is not was put
    together by jieba's HMM from characters it could not otherwise place: a piece of the
    question's wording (小区里会不会 → 里会) or a term jieba does not know (网红)."""
    return _jieba().dt.FREQ.get(word, 0) > 0
