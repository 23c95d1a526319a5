"""The corpus as last read: one entry per file, so an unchanged corpus is not read again.

Deciding whether the index is current needs each document's identity — content hash
and metadata — not its text. The catalog keeps that identity per file in
``embeddings/catalog.json``, keyed by path and stamped with the size and modification
time of the file and of its sidecar. Opening scans the folders (one ``stat`` a file) and
reads only the files whose stamp changed; the texts are read in full only when a build
needs them (:meth:`Catalog.report`), and never twice in one process.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from qa.errors import CorpusError
from qa.ingest.metadata import metadata_of, sidecar_path
from qa.ingest.read import MAX_DOCUMENT_MB, CorpusReport, Document, check_name, check_size, list_files, load_document

log = logging.getLogger(__name__)
CATALOG_VERSION = 2  # 2: validity facts
Stamp = tuple[int, int, int, int]  # size and mtime (ns) of the file, then of its sidecar (0, 0: none)


@dataclass(frozen=True)
class Entry:
    """A document's identity, as ``qa.search.index.corpus_hash`` reads it."""

    doc_id: str
    sha256: str
    title: str
    issuer: str
    region: str
    year: int | None
    doc_number: str
    stage: str = ""
    issued: str = ""
    effective: str = ""
    expires: str = ""
    replaces: tuple[str, ...] = ()

    @classmethod
    def of(cls, doc: Document) -> Entry:
        return cls(doc_id=doc.doc_id, sha256=doc.sha256, **metadata_of(doc))


def stamp(path: Path) -> Stamp:
    st = path.stat()
    try:
        side = sidecar_path(path).stat()
        return (st.st_size, st.st_mtime_ns, side.st_size, side.st_mtime_ns)
    except FileNotFoundError:
        return (st.st_size, st.st_mtime_ns, 0, 0)


@dataclass
class Catalog:
    """The documents of the corpus folders: identities for all, texts for those read."""

    entries: list[Entry]
    paths: dict[str, Path]  # doc_id -> file
    skipped: list[tuple[str, str]]  # (path, reason)
    max_mb: float = MAX_DOCUMENT_MB
    read: dict[str, Document] = field(default_factory=dict)  # documents read in this scan

    def report(self) -> CorpusReport:
        """Every document in full, reading those this scan did not."""
        docs = []
        for e in self.entries:
            doc = self.read.get(e.doc_id)
            if doc is None:
                try:
                    doc = self.read[e.doc_id] = load_document(self.paths[e.doc_id], self.max_mb)
                except (OSError, ValueError) as exc:  # changed since the scan: said, not hidden
                    raise CorpusError(f"{self.paths[e.doc_id]} changed while being read ({exc}); run the command again") from exc
            docs.append(doc)
        return CorpusReport(docs, list(self.skipped))


def _load(path: Path | None) -> dict[str, dict]:
    if path is None:
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("version") != CATALOG_VERSION or not isinstance(data.get("files"), dict):
        return {}
    return data["files"]


def _save(path: Path, files: dict[str, dict]) -> None:
    """Write the catalog atomically; a folder that cannot be written only costs the cache."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps({"version": CATALOG_VERSION, "files": files}, ensure_ascii=False), encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        log.info("corpus catalog not saved (%s): the next start reads every document again", exc)
        tmp.unlink(missing_ok=True)


def scan(folders: list[Path], cache: Path | None, max_mb: float = MAX_DOCUMENT_MB, *, fresh: bool = False) -> Catalog:
    """The corpus under ``folders``; only files whose stamp differs from ``cache`` are read
    (``fresh``: every file, as ``qa index --rebuild`` does; the cache is then rewritten)."""
    known = {} if fresh else _load(cache)
    roots = [str(f.resolve()) + os.sep for f in folders]
    files = {k: v for k, v in known.items() if not k.startswith(tuple(roots))}  # other corpora's entries stay
    catalog = Catalog([], {}, [], max_mb)
    seen: set[str] = set()
    for folder in folders:
        if not folder.is_dir():
            raise CorpusError(f"corpus folder not found: {folder}")
        for path in list_files(folder):
            key = str(path.resolve())
            try:
                st = stamp(path)
                check_name(path)  # the rules of this run, whatever the catalog says
                check_size(path, max_mb)
            except (OSError, ValueError) as exc:
                catalog.skipped.append((str(path), str(exc)))
                continue
            row = known.get(key)
            doc = None
            if row is None or tuple(row.get("stamp", ())) != st or ("skipped" not in row and "entry" not in row):
                row = {"stamp": list(st)}
                try:
                    doc = load_document(path, max_mb)
                    row["entry"] = asdict(Entry.of(doc))
                except (OSError, ValueError) as exc:
                    row["skipped"] = str(exc)
            files[key] = row
            if "skipped" in row:
                catalog.skipped.append((str(path), row["skipped"]))
                continue
            entry = Entry(**{**row["entry"], "replaces": tuple(row["entry"].get("replaces", ()))})
            if entry.doc_id in seen:
                catalog.skipped.append((str(path), f"duplicate file name {entry.doc_id}"))
                continue
            seen.add(entry.doc_id)
            catalog.entries.append(entry)
            catalog.paths[entry.doc_id] = path
            if doc is not None:
                catalog.read[entry.doc_id] = doc
    if cache is not None and (fresh or files != known):
        _save(cache, files)
    return catalog
