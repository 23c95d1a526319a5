"""Wire the stages together: settings → corpus → (re)built index → retriever.

This is the one place that knows the default folders; the CLI, the app and the
evaluation all open an :class:`Engine` and then only call ``ask``/``search``.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from qa.corpus import CorpusError, CorpusReport, load_corpus
from qa.embed import DEFAULT_MODEL, MODEL_ENV, Encoder, load_encoder
from qa.index import Index, build_index, is_current, load_index
from qa.retrieve import Retriever
from qa.store import StoreSpec

STORE_ENV = "QA_STORE"

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _default_root() -> Path:
    return Path(os.environ.get("QA_HOME") or PROJECT_ROOT)


@dataclass(frozen=True)
class Settings:
    """Where things are and which model to use; every field has a working default."""

    corpus: tuple[Path, ...] = field(default_factory=lambda: (_default_root() / "seeds",))
    embeddings: Path = field(default_factory=lambda: _default_root() / "embeddings")
    model: str = field(default_factory=lambda: os.environ.get(MODEL_ENV) or DEFAULT_MODEL)
    # "faiss" (embedded), milvus://host:port, or a Milvus Lite file path (qa.store)
    store: StoreSpec = field(default_factory=lambda: StoreSpec.parse(os.environ.get(STORE_ENV)))

    @property
    def models_dir(self) -> Path:
        return self.embeddings / "models"

    def index_root(self, encoder: Encoder) -> Path:
        slug = re.sub(r"[^A-Za-z0-9._-]+", "_", encoder.fingerprint)[:80]
        return self.embeddings / "indexes" / slug


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
        warn=lambda msg: print(msg, file=sys.stderr),
    ) -> Engine:
        """Load the corpus and model, rebuild the index if anything changed, and load it."""
        settings = settings or Settings()
        report = load_corpus(list(settings.corpus))
        for path, reason in report.skipped:
            warn(f"warning: skipped {path}: {reason}")
        if not report.documents:
            raise CorpusError(f"no readable .txt/.md documents in {', '.join(map(str, settings.corpus))}")
        enc = encoder or load_encoder(settings.model, settings.models_dir)
        root = settings.index_root(enc)
        built = False
        if rebuild or not is_current(root, report.documents, enc, settings.store):
            build_index(root, report.documents, enc, show_progress=show_progress, store=settings.store)
            built = True
        index = load_index(root)
        return cls(settings, enc, report, index, Retriever(index, enc), built)
