"""Wire the stages together: settings → corpus → (re)built index → retriever.

The CLI, the page and the evaluation open an :class:`Engine` and then only search
through ``engine.retriever`` (``qa.serve.answer.ask`` / ``compare``).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

from qa.errors import CorpusError
from qa.ingest import CorpusReport, load_corpus
from qa.models import Encoder, load_encoder
from qa.search import Index, RetrievalConfig, Retriever, build_index, is_current, load_index
from qa.settings import Settings

log = logging.getLogger(__name__)


def index_root(settings: Settings, encoder: Encoder) -> Path:
    """The folder of one model's index builds under ``embeddings/indexes/``."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", encoder.fingerprint)[:80]
    return settings.embeddings / "indexes" / slug


@dataclass
class Engine:
    settings: Settings
    encoder: Encoder
    report: CorpusReport
    index: Index
    retriever: Retriever
    rebuilt: bool

    @classmethod
    def open(
        cls,
        settings: Settings | None = None,
        *,
        rebuild: bool = False,
        show_progress: bool = False,
        encoder: Encoder | None = None,
    ) -> Engine:
        """Load the corpus and model, rebuild the index if anything changed, and load it."""
        settings = settings or Settings()
        config = RetrievalConfig.load(settings.retrieval_config)  # a bad file fails before any work
        report = load_corpus(list(settings.corpus))
        for path, reason in report.skipped:
            log.warning("skipped %s: %s", path, reason)
        if not report.documents:
            raise CorpusError(f"no readable .txt/.md documents in {', '.join(map(str, settings.corpus))}")
        enc = encoder or load_encoder(settings.model, settings.models_dir)
        root = index_root(settings, enc)
        built = False
        if rebuild or not is_current(root, report.documents, enc, settings.store):
            build_index(root, report.documents, enc, show_progress=show_progress, store=settings.store)
            built = True
        index = load_index(root, settings.store)
        return cls(settings, enc, report, index, Retriever(index, enc, config), built)
