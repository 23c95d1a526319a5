"""Evaluation: the development set and its halves, runs of each retriever variant, tuning, reports."""

from qa.eval.dataset import Question, load_questions, relevance
from qa.eval.runs import RunResult, run_variant, variants

__all__ = ["Question", "RunResult", "load_questions", "relevance", "run_variant", "variants"]
