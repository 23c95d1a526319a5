"""The lexical index: BM25 over the clauses' jieba tokens, built once and kept on disk.

Tokenizing stays outside (``qa.search.tokens``); this module only scores token lists. The
index is written into the index folder at build time and memory-mapped when served,
so opening an index does not re-tokenize the corpus and a million clauses do not
have to sit in RAM. Document frequencies (for the re-ranker's idf weights and the
"unknown words" share of the no-match flag) come from the same matrix.
"""

from __future__ import annotations

import functools
from array import array
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import bm25s
import numpy as np

K1, B = 1.2, 0.75


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Positions of the ``k`` highest scores, best first (ties keep position order)."""
    if k >= len(scores):
        return np.argsort(-scores, kind="stable")
    top = np.argpartition(-scores, k - 1)[:k]
    return top[np.lexsort((top, -scores[top]))]


@dataclass(frozen=True)
class _TokenIds:
    """Every clause's token ids in one flat int32 array: what bm25s reads as ``ids``.

    bm25s turns lists of token strings into lists of Python ints, which at a million
    clauses (60M tokens) costs several GB; held like this they cost 4 bytes each, and a
    clause becomes a list only while bm25s looks at it.
    """

    flat: np.ndarray
    offsets: np.ndarray

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __iter__(self) -> Iterator[list[int]]:
        for a, b in zip(self.offsets[:-1], self.offsets[1:], strict=True):
            yield self.flat[a:b].tolist()


@dataclass(frozen=True)
class _Corpus:
    ids: _TokenIds
    vocab: dict[str, int]


class LexicalIndex:
    """BM25 scores of every clause for a list of query tokens."""

    def __init__(self, bm25: bm25s.BM25) -> None:
        self.bm25 = bm25
        self.vocab: dict[str, int] = bm25.vocab_dict
        self.n = int(bm25.scores["num_docs"])
        self._df = np.diff(np.asarray(bm25.scores["indptr"]))

    @classmethod
    def build(cls, tokens: Iterable[Sequence[str]]) -> LexicalIndex:
        """Index clauses given as token lists, read once, one at a time (a generator will do)."""
        vocab: dict[str, int] = {}
        flat = array("i")
        offsets = array("q", [0])
        for doc in tokens:
            # an empty clause still needs a row so that positions line up with the clause table
            flat.extend(vocab.setdefault(t, len(vocab)) for t in (doc or ("",)))
            offsets.append(len(flat))
        ids = _TokenIds(np.frombuffer(flat, dtype=np.int32), np.frombuffer(offsets, dtype=np.int64))
        bm25 = bm25s.BM25(k1=K1, b=B)
        bm25.index(_Corpus(ids, vocab), show_progress=False)
        return cls(bm25)

    def save(self, folder: Path) -> None:
        self.bm25.save(str(folder))

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        return cls(bm25s.BM25.load(str(folder), mmap=True))

    def scores(self, query_tokens: list[str]) -> np.ndarray:
        ids = [self.vocab[t] for t in query_tokens if t in self.vocab]
        if not ids:
            return np.zeros(self.n, dtype=np.float32)
        return np.asarray(self.bm25.get_scores(ids), dtype=np.float32)

    def search(self, groups: Sequence[tuple[Sequence[str], float]], k: int, also: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each term group's top ``k`` clauses united with ``also``, and each one's
        weighted score Σ w·BM25(group) — the same contract as a store's full-text search."""
        total = np.zeros(self.n, dtype=np.float32)
        found = [np.asarray(also, dtype=np.int64)]
        for tokens, w in groups:
            if not tokens:
                continue
            s = self.scores(list(tokens))
            total += w * s
            if k:
                top = top_k(s, min(k, self.n))
                found.append(top[s[top] > 0])  # a clause sharing no word is no lexical candidate
        positions = np.unique(np.concatenate(found))
        return positions, total[positions]

    def df(self, term: str) -> int:
        """In how many clauses ``term`` occurs (0 when unseen)."""
        tid = self.vocab.get(term)
        return int(self._df[tid]) if tid is not None and term else 0

    def idf(self, term: str) -> float:
        """Inverse document frequency of ``term`` over the clauses (0 when unseen)."""
        n = self.df(term)
        return float(np.log(1 + (self.n - n + 0.5) / (n + 0.5))) if n else 0.0

    def __contains__(self, term: str) -> bool:
        return self.df(term) > 0

    @functools.cached_property
    def characters(self) -> frozenset[str]:
        """Every character of the clauses' words."""
        return frozenset("".join(self.vocab))
