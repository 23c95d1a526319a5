"""Offline question answering over Chinese policy documents: clause index, hybrid cited retrieval.

The stages, each a subpackage: ``ingest`` → ``search`` (with ``models``) → ``serve``;
``eval`` and ``bench`` sit beside them. The small public API is re-exported here.
"""

from qa.engine import Engine
from qa.search import Filters
from qa.serve import Answer, Hit, ask, compare
from qa.settings import Settings

__all__ = ["Answer", "Engine", "Filters", "Hit", "Settings", "ask", "compare"]
