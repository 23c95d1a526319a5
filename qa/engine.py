"""Wire the stages together: settings → corpus → (re)built index → retriever.

The CLI, the page and the evaluation open an :class:`Engine` and then only search
through ``engine.retriever`` (``qa.serve.answer.ask`` / ``compare``).

Opening reads no document of an unchanged corpus: the corpus catalog
(``qa.ingest.catalog``) knows each file's identity by its size and modification time,
and texts are read only when a build needs them (or ``engine.report`` is asked for).

Opening never leaves a user without answers when it need not:

- the index is rebuilt under the build lock (``qa.search.lock``), after reading the
  corpus again under it, so concurrent builders cannot undo each other's documents;
- a damaged index (its files not as its manifest's checksums say) is rebuilt from the
  corpus, none of its vectors reused;
- a rebuild that fails (disk full, read-only folder) leaves the previous index
  answering, with a one-line warning that it is stale and why — unless the caller
  asked for the build itself (``qa index``), which then fails with that reason.
"""

from __future__ import annotations

import functools
import logging
import os
import re
from dataclasses import dataclass, replace
from pathlib import Path

from qa.errors import CorpusError, IndexDamaged, IndexNotReady, Unusable, os_error_text
from qa.ingest import CorpusReport
from qa.ingest.catalog import Catalog, Entry, scan
from qa.models import Encoder, load_encoder
from qa.search import Index, RetrievalConfig, Retriever, build_index, is_current, load_index
from qa.search.index import current_path, damage
from qa.search.lock import build_lock
from qa.settings import Settings

log = logging.getLogger(__name__)


def index_root(settings: Settings, encoder: Encoder) -> Path:
    """The folder of one model's index builds under ``embeddings/indexes/``."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", encoder.fingerprint)[:80]
    return settings.embeddings / "indexes" / slug


def scan_corpus(settings: Settings, *, warn: bool = True, fresh: bool = False) -> Catalog:
    """The corpus's documents by identity, reading only files changed since the last scan
    (``fresh``: all of them)."""
    catalog = scan(list(settings.corpus), settings.embeddings / "catalog.json", settings.max_document_mb, fresh=fresh)
    for path, reason in catalog.skipped if warn else ():
        log.warning("skipped %s: %s", path, reason)
    if not catalog.entries:
        raise CorpusError(f"no readable documents in {', '.join(map(str, settings.corpus))}")
    return catalog


@dataclass
class Engine:
    settings: Settings
    encoder: Encoder
    catalog: Catalog
    index: Index
    retriever: Retriever
    rebuilt: bool
    stale: str = ""  # why the index answering is older than the corpus ("" when it is not)
    repaired: tuple[str, ...] = ()  # what was found damaged and rebuilt

    @functools.cached_property
    def report(self) -> CorpusReport:
        """Every document in full (read on first use: opening an unchanged corpus reads none)."""
        return self.catalog.report()

    @classmethod
    def open(
        cls,
        settings: Settings | None = None,
        *,
        rebuild: bool = False,
        verify: bool = False,
        strict: bool = False,
        show_progress: bool = False,
        encoder: Encoder | None = None,
    ) -> Engine:
        """Load the corpus and model, rebuild the index if anything changed, and load it.

        ``verify``: check every file's full checksum first (else sizes and samples).
        ``strict``: a failed build is an error even when an older index could answer."""
        settings = settings or Settings()
        config = RetrievalConfig.load(settings.retrieval_config)  # a bad file fails before any work
        catalog = scan_corpus(settings, fresh=rebuild)
        enc = encoder or load_encoder(settings.model, settings.models_dir)
        root = index_root(settings, enc)
        damaged = tuple(damage(root, full=True)) if verify else ()
        built, stale = False, ""
        if rebuild or damaged or not is_current(root, catalog.entries, enc, settings.store):
            force = rebuild or bool(damaged)
            catalog, built, stale = _update(settings, enc, root, force, not damaged, strict, show_progress, catalog)
        try:
            index = load_index(root, settings.store)
        except IndexDamaged as exc:  # found by the cheap check on opening
            log.warning("%s; rebuilding it from the corpus", exc)
            damaged += (str(exc),)
            catalog, built, stale = _update(settings, enc, root, True, False, True, show_progress)
            index = load_index(root, settings.store)
        return cls(settings, enc, catalog, index, Retriever(index, enc, config), built, stale, damaged)

    def refreshed(self) -> Engine:
        """This engine, or a new one on the current index if another process has switched
        it since this one was opened (one ``readlink``; the model is kept)."""
        root = index_root(self.settings, self.encoder)
        try:
            target = (root / os.readlink(current_path(root))).resolve()
        except OSError:
            return self
        if target == self.index.path:
            return self
        try:
            index = load_index(root, self.settings.store)
        except IndexNotReady as exc:  # keep answering from the index this engine has
            log.warning("not switching to the new index: %s", exc)
            return self
        log.info("switched to the index built by another process: %s", index.path)
        retriever = Retriever(index, self.encoder, self.retriever.config)
        return replace(self, index=index, retriever=retriever, rebuilt=False, stale="", repaired=())


def _update(
    settings: Settings,
    enc: Encoder,
    root: Path,
    force: bool,
    reuse: bool,
    strict: bool,
    show_progress: bool,
    before: Catalog | None = None,
) -> tuple[Catalog, bool, str]:
    """Under the build lock, read the corpus again and build if still needed (``force``:
    build anyway; ``reuse``: take unchanged vectors from the current index).

    Returns the corpus read, whether a build happened, and why the index is stale if the
    build failed but an older index is left to answer."""
    with build_lock(settings.embeddings, settings.build_wait):
        catalog = scan_corpus(settings, warn=False)  # another builder may have changed it meanwhile
        if before is not None:  # keep the documents the first scan read, where still the same
            current = {e.doc_id: e for e in catalog.entries}
            for doc_id, doc in before.read.items():
                if current.get(doc_id) == Entry.of(doc):
                    catalog.read.setdefault(doc_id, doc)
        if not force and is_current(root, catalog.entries, enc, settings.store):
            return catalog, False, ""
        try:
            docs = catalog.report().documents
            build_index(root, docs, enc, show_progress=show_progress, store=settings.store, reuse=reuse)
        except (OSError, Unusable) as exc:
            why = os_error_text(exc) if isinstance(exc, OSError) else str(exc)
            if strict or not _loadable(root, settings):
                if isinstance(exc, OSError):
                    raise IndexNotReady(f"building the index failed: {why}") from exc
                raise
            log.warning("index is stale, answering from the previous build: rebuilding failed (%s)", why)
            return catalog, False, why
        return catalog, True, ""


def _loadable(root: Path, settings: Settings) -> bool:
    try:
        load_index(root, settings.store)
    except IndexNotReady:
        return False
    return True
