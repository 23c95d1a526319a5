"""Search: tokens, BM25, vector stores, the index (build and load), and retrieval in stages."""

from qa.search.build import build_index
from qa.search.config import RetrievalConfig
from qa.search.filters import Filters
from qa.search.fusion import MODES, Mode
from qa.search.index import Index, is_current, load_index
from qa.search.retrieve import Results, Retriever

__all__ = [
    "MODES",
    "Filters",
    "Index",
    "Mode",
    "Results",
    "RetrievalConfig",
    "Retriever",
    "build_index",
    "is_current",
    "load_index",
]
