"""Answer judgement: does what was found answer the question, in part, or not at all?

Every answer gets a ``status`` — ``answered``, ``partial`` or ``not_found`` — and the
``reasons`` behind it, each a machine-readable code and a plain Chinese sentence:

- ``topic_not_found``: no clause is about the question (a calibrated judgement, below);
- ``place_not_covered``: the question names a place no document covers (广州); the
  answer then shows what national documents say, if anything;
- ``year_not_covered``: it asks about a year or edition the documents do not hold;
- ``document_not_covered``: it names in 《》 a document that is not in the corpus;
- ``detail_not_stated``: it asks for a figure, procedure, list of materials or deadline
  that the clauses shown do not state (``qa.search.asks``);
- ``doc_silent``: in a filtered search or a comparison, a document that does not
  address the question ("本文件未提及…").

Whether the best clause is on the question's topic is a logistic model over signals
the pipeline already has (``Signals``), with weights and threshold chosen on the tuning
half (``qa eval --tune``) and stored in the retrieval configuration; before any is
chosen, the hand thresholds of earlier versions decide.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Container, Mapping, Sequence
from dataclasses import asdict, dataclass

from qa.search.expand import Expansion
from qa.search.rerank import weighted_share

ANSWERED, PARTIAL, NOT_FOUND = "answered", "partial", "not_found"
STATUSES = (ANSWERED, PARTIAL, NOT_FOUND)
DETAIL_MESSAGES = {
    "amount": "文件没有给出具体数额",
    "share": "文件没有给出具体比例",
    "count": "文件没有给出具体数量",
    "date": "文件没有给出具体日期或期限",
    "duration": "文件没有给出具体年限或时长",
    "finish_year": "文件没有给出完成的年份",
    "age": "文件没有给出具体年龄",
    "formula": "文件没有给出具体计算方法",
    "names": "文件没有列出具体名单",
    "procedure": "文件没有写明具体办理程序",
    "materials": "文件没有列出所需材料",
    "criteria": "文件没有列出具体标准或条件",
    "score": "文件没有给出具体分值",
    "office": "文件没有写明具体承办部门",
    "figure": "文件没有给出具体数字",
    "contact": "文件没有给出联系方式",
}
NOT_FOUND_MESSAGE = "文件中没有找到直接相关的条款"


@dataclass(frozen=True)
class Reason:
    code: str
    message: str
    doc: str = ""  # the document a reason is about (doc_silent)

    def to_json(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v}


@dataclass(frozen=True)
class Signals:
    """What the pipeline knows about its best clause, as numbers for the judgement."""

    top_dense: float  # the best dense cosine among the candidates
    coverage: float  # IDF-weighted share of the question's words in the first clause
    unknown: float  # share of the question's content words nothing in the corpus knows
    best_sentence: float  # cosine of the first clause's best sentence
    margin: float  # first minus second fused score (0–1 scale)
    agreement: float  # 1 when the first clause is among both retrievers' top 10, else 0.5 or 0
    english: float  # 1 for an English question
    topic_coverage: float = 1.0  # share of the topic words (no places, no framing words) in the first three clauses

    def get(self, name: str) -> float:
        return float(getattr(self, name))


SIGNALS = tuple(Signals.__dataclass_fields__)


@dataclass(frozen=True)
class Calibration:
    """A logistic model P(on topic) = σ(bias + Σ w·signal), and the threshold to accept."""

    weights: Mapping[str, float]
    bias: float
    threshold: float

    def probability(self, s: Signals) -> float:
        z = self.bias + sum(w * s.get(name) for name, w in self.weights.items())
        return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))


@dataclass(frozen=True)
class Judgement:
    status: str
    reasons: tuple[Reason, ...]
    signals: Signals
    probability: float  # P(the best clause is on the question's topic)

    @property
    def confident(self) -> bool:
        return self.status == ANSWERED


def unknown_share(q_tokens: list[str], exp: Expansion | None, vocabulary: Container[str]) -> float:
    """Share of the question's content words found neither in the clauses nor in the word lists."""
    content = [t for t in q_tokens if (len(t) > 1 or not t.isascii()) and not t.isdigit()]
    if not content:
        return 0.0
    unknown = [t for t in content if t not in vocabulary and not (exp is not None and exp.covers(t))]
    return len(unknown) / len(content)


def coverage_of(terms: dict[str, float], tokens: frozenset[str], idf: Callable[[str], float]) -> float:
    return weighted_share(terms, tokens, idf, floor=1.0)


def on_topic(
    s: Signals, calibration: Calibration | None, *, max_unknown: float, min_dense: float, min_coverage: float
) -> tuple[bool, float]:
    """(on topic?, probability): the calibrated model, or the hand thresholds without one."""
    if calibration is not None and calibration.weights:
        p = calibration.probability(s)
        return p >= calibration.threshold, p
    ok = s.unknown < max_unknown and (s.top_dense >= min_dense or s.coverage >= min_coverage)
    return ok, 1.0 if ok else 0.0


def decide(found: bool, topical: bool, probability: float, s: Signals, reasons: Sequence[Reason]) -> Judgement:
    """The status from what was found, whether it is on topic, and the rules' reasons."""
    rs = list(reasons)
    if not found or not topical:
        rs.append(Reason("topic_not_found", NOT_FOUND_MESSAGE))
        return Judgement(NOT_FOUND, tuple(rs), s, probability)
    return Judgement(PARTIAL if rs else ANSWERED, tuple(rs), s, probability)
