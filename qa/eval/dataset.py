"""The development set: questions with gold evidence, split into halves, and which clauses are relevant.

Gold evidence is a short verbatim phrase from the source clause, so the set survives
re-chunking: a clause is relevant to a question when its span in the document
overlaps an occurrence of one of the question's gold phrases. The set was split once,
by a fixed seed and per question style, into a tuning half (weights may be chosen on
it) and a held-back half (only measured): the ``split`` field. Earlier versions' fresh
splits, each measured once, are spread over both halves by ``qa.eval.split``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from qa.engine import Engine
from qa.ingest.normalize import normalize_query
from qa.search import Index

SPLITS = ("tune", "held", "fresh")


@dataclass(frozen=True)
class Gold:
    doc: str
    phrase: str


@dataclass(frozen=True)
class Question:
    qid: str
    question: str
    style: str
    gold: tuple[Gold, ...]
    split: str = "tune"  # "tune" (weights may be chosen on it), "held" or "fresh" (only measured)
    kind: str = ""  # for an unanswerable question: other_place, figure, year, topic
    lang: str = "zh-Hans"  # zh-Hans, zh-Hant or en

    @property
    def answerable(self) -> bool:
        return bool(self.gold)


def default_set_paths() -> list[Path]:
    """The development set (tune and held halves) and the fresh split, written after the
    weights and word lists it measures were frozen."""
    data = resources.files("qa.eval") / "data"
    return [Path(str(data / name)) for name in ("dev.jsonl", "fresh.jsonl") if (data / name).is_file()]


def load_questions(path: Path | None = None) -> list[Question]:
    out = []
    for p in [path] if path else default_set_paths():
        out.extend(_read(p))
    return out


def _read(path: Path) -> list[Question]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        o = json.loads(line)
        gold = tuple(Gold(g["doc"], g["phrase"]) for g in o.get("gold", []))
        out.append(
            Question(
                o["id"],
                o["question"],
                o.get("style", "natural"),
                gold,
                o.get("split", "tune"),
                o.get("kind", ""),
                o.get("lang", "zh-Hans"),
            )
        )
    return out


def relevant_chunks(index: Index, doc_texts: dict[str, str], q: Question) -> set[str]:
    """Chunk ids whose span overlaps an occurrence of a gold phrase in its document."""
    rel: set[str] = set()
    for g in q.gold:
        text = doc_texts.get(g.doc)
        if text is None:
            continue
        phrase = normalize_query(g.phrase)
        spans = []
        start = text.find(phrase)
        while start != -1:
            spans.append((start, start + len(phrase)))
            start = text.find(phrase, start + 1)
        for c in index.chunks:
            if c.doc_id == g.doc and any(c.start < e and s < c.end for s, e in spans):
                rel.add(c.chunk_id)
    return rel


def relevance(engine: Engine, questions: list[Question]) -> dict[str, set[str]]:
    doc_texts = {d.doc_id: d.text for d in engine.report.documents}
    return {q.qid: relevant_chunks(engine.index, doc_texts, q) for q in questions}
