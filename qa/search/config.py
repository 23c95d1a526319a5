"""Every knob of retrieval in one file: ``qa/search/data/retrieval.json``, or ``--retrieval-config FILE``.

The shipped values were chosen on the tuning half of the development set
(``qa eval --tune``, which writes a new file under ``reports/`` rather than into the
installed package). Re-ranker weights are keyed by feature name
(``qa.search.rerank.FEATURES``); a feature a file does not name weighs 0.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from importlib import resources
from pathlib import Path

import numpy as np

from qa.errors import BadInput
from qa.search.judge import SIGNALS, Calibration
from qa.search.rerank import FEATURES

SHIPPED = "retrieval.json"


@dataclass(frozen=True)
class RetrievalConfig:
    """Weights and thresholds of every retrieval stage."""

    # candidates: each retriever's top ``candidates`` clauses (at least 4·k)
    candidates: int = 100
    # fusion: w·dense + (1−w)·lexical over min-max normalized scores; RRF's k for comparison
    dense_weight: float = 0.5
    rrf_k: int = 60
    # expansion: BM25 weight of the added terms relative to the question's own words
    expand: bool = True
    expansion_weight: float = 0.5
    english_glossary: bool = True  # an English question's policy phrases, from the reviewed glossary
    english_dictionary: bool = True  # its other words, through CC-CEDICT (qa.search.dictionary)
    english_terms: bool = True  # … and through the policy terminology (qa.search.dictionary)
    # re-ranking: a weighted sum of features over the top ``rerank_depth`` candidates
    rerank: bool = True
    rerank_depth: int = 30
    rerank_weights: Mapping[str, float] = field(default_factory=lambda: {"fused": 1.0})
    coverage_expansion_weight: float = 0.5  # an expansion term counts this much in word coverage
    # an English question reaches the clauses through translated terms and a cross-lingual
    # encoder, so its evidence weighs differently: its own fusion weight and re-ranker
    # weights, tuned on the English questions of the tuning half (None / empty: the above)
    english_dense_weight: float | None = None
    english_rerank_weights: Mapping[str, float] = field(default_factory=dict)
    # diversification across documents when a question asks what each place says
    diversify: bool = True
    # asked for the members of a list, a member first, not its announcement (qa.search.lists)
    members_first: bool = True
    # answer judgement, "no clause matches well": a large share of the question's words is
    # unknown to the corpus and the word lists, or the top dense cosine and the best
    # clause's coverage are both low
    no_match_unknown: float = 1.01
    no_match_dense: float = 0.86
    no_match_coverage: float = 0.5
    # the calibrated judgement that replaces those thresholds once chosen (qa.search.judge):
    # logistic weights keyed by signal name, bias, and the accepted probability
    judge_weights: Mapping[str, float] = field(default_factory=dict)
    judge_bias: float = 0.0
    judge_threshold: float = 0.5

    def __post_init__(self) -> None:
        for weights in (self.rerank_weights, self.english_rerank_weights):
            unknown = set(weights) - set(FEATURES)
            if unknown:
                raise BadInput(f"unknown re-ranker features {sorted(unknown)}; known: {list(FEATURES)}")
        unknown = set(self.judge_weights) - set(SIGNALS)
        if unknown:
            raise BadInput(f"unknown judgement signals {sorted(unknown)}; known: {list(SIGNALS)}")

    @property
    def english_sources(self) -> tuple[bool, bool, bool]:
        """Which word lists an English question is read through: glossary, CC-CEDICT, terminology."""
        return (self.english_glossary, self.english_dictionary, self.english_terms)

    def calibration(self) -> Calibration | None:
        return Calibration(dict(self.judge_weights), self.judge_bias, self.judge_threshold) if self.judge_weights else None

    def for_language(self, english: bool) -> RetrievalConfig:
        """The weights for an English question, or this configuration itself."""
        return self._english if english else self

    @functools.cached_property
    def _english(self) -> RetrievalConfig:
        """Built once per configuration, not once per English question."""
        if self.english_dense_weight is None and not self.english_rerank_weights:
            return self
        return replace(
            self,
            dense_weight=self.dense_weight if self.english_dense_weight is None else self.english_dense_weight,
            rerank_weights=self.english_rerank_weights or self.rerank_weights,
        )

    def weight_vector(self) -> np.ndarray:
        """The re-ranker weights in the order of ``FEATURES``."""
        return np.array(list(_every_feature(self.rerank_weights).values()), dtype=np.float32)

    @classmethod
    def from_json(cls, data: Mapping) -> RetrievalConfig:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise BadInput(f"unknown retrieval settings {sorted(unknown)}")
        maps = ("rerank_weights", "english_rerank_weights", "judge_weights")
        return cls(**{k: (dict(v) if k in maps else v) for k, v in data.items()})

    @classmethod
    def load(cls, path: Path | None = None) -> RetrievalConfig:
        """The configuration in ``path``, or the shipped one."""
        try:
            if path is None:
                text = (resources.files("qa.search") / "data" / SHIPPED).read_text(encoding="utf-8")
            else:
                text = Path(path).read_text(encoding="utf-8")
            data = json.loads(text)
        except (OSError, ValueError) as exc:
            raise BadInput(f"retrieval config {path or SHIPPED}: {exc}") from exc
        if not isinstance(data, dict):
            raise BadInput(f"retrieval config {path or SHIPPED}: expected a JSON object")
        try:
            return cls.from_json(data)
        except TypeError as exc:
            raise BadInput(f"retrieval config {path or SHIPPED}: {exc}") from exc

    def to_json(self) -> dict:
        d = asdict(self)
        d["rerank_weights"] = _every_feature(self.rerank_weights)
        if self.english_rerank_weights:
            d["english_rerank_weights"] = _every_feature(self.english_rerank_weights)
        return d

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_json(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")

    def baseline(self) -> RetrievalConfig:
        """The first stage alone: no expansion, no re-ranking, no diversification."""
        return replace(self, expand=False, rerank=False, diversify=False, members_first=False)


def _every_feature(weights: Mapping[str, float]) -> dict[str, float]:
    """Re-ranker weights for every feature, in the order of ``FEATURES`` (0 where unnamed)."""
    return {f: float(weights.get(f, 0.0)) for f in FEATURES}
