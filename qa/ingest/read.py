"""Read policy documents from a folder: extracting, normalizing, metadata.

Each file of a known format (``qa.ingest.formats``: .txt, .md, .pdf, .docx, .html)
becomes a :class:`Document`: its text extracted by the format's library, normalized,
and described by rules, hints from the format (a web page's date and source) and
the sidecar, in that order of precedence from last to first.
A file that is not text, is larger than the size limit (reading a document costs
tens of times its size in memory), is hidden, or has an invalid sidecar is reported
in ``CorpusReport.skipped`` with the reason and left out; the rest of the corpus is
still read. Metadata comes from
``qa.ingest.metadata`` (rules, then the sidecar).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from pathlib import Path

from qa.errors import CorpusError
from qa.ingest.formats import SUFFIXES, Extracted, decode_bytes, extract
from qa.ingest.metadata import Metadata, describe, metadata_of, with_sidecar
from qa.ingest.normalize import Normalized, normalize
from qa.text import DATE_ISO

__all__ = ["SUFFIXES", "CorpusReport", "Document", "decode_bytes", "list_files", "load_corpus", "load_document"]
MAX_DOCUMENT_MB = 8.0  # default limit; Settings.max_document_mb / QA_MAX_DOC_MB
MB = 1 << 20


@dataclass(frozen=True)
class Document:
    """One policy document: its text as written, its normalized text and metadata."""

    doc_id: str  # the file name, unique within a corpus folder
    path: str
    raw: str
    norm: Normalized
    title: str
    issuer: str
    region: str
    year: int | None
    doc_number: str
    encoding: str  # the text encoding, or the format ("pdf", "docx", "html")
    sha256: str
    pages: tuple[int, ...] = ()  # PDF: offset in ``raw`` where each page starts
    # what its validity depends on (qa.ingest.metadata): stage, ISO dates, repealed documents
    stage: str = ""
    issued: str = ""
    effective: str = ""
    expires: str = ""
    replaces: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        return self.norm.text


@dataclass
class CorpusReport:
    documents: list[Document] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)


def check_name(path: Path) -> None:
    """Refuse names the corpus scan would not read as documents (``ValueError``)."""
    if path.name.startswith("."):
        raise ValueError("hidden file (the name starts with '.'); rename it to add it")
    if path.suffix.lower() not in SUFFIXES:
        raise ValueError(f"only {', '.join(SUFFIXES)} documents can be read")


def check_size(path: Path, max_mb: float = MAX_DOCUMENT_MB) -> None:
    """Refuse a file over the limit before reading it (``ValueError``)."""
    size = path.stat().st_size
    if size > max_mb * MB:
        raise ValueError(f"{size / MB:.1f} MB is over the {max_mb:g} MB limit for one document (QA_MAX_DOC_MB)")


def load_document(path: Path, max_mb: float = MAX_DOCUMENT_MB) -> Document:
    """Read and describe one file; raises ``ValueError`` with a reason if it cannot."""
    check_name(path)
    check_size(path, max_mb)
    data = path.read_bytes()
    got = extract(path.suffix, data)
    raw = got.text if got.pages else got.text.replace("\r\n", "\n").replace("\r", "\n")
    if not raw.strip():
        raise ValueError("empty file")
    norm = normalize(raw)
    meta = with_sidecar(_with_hints(describe(norm.text), got), path)
    return Document(
        doc_id=path.name,
        path=str(path),
        raw=raw,
        norm=norm,
        encoding=got.encoding,
        sha256=hashlib.sha256(data).hexdigest(),
        pages=got.pages,
        **metadata_of(meta),
    )


def _with_hints(meta: Metadata, got: Extracted) -> Metadata:
    """Fill what the rules did not find from the format's own hints (a web page's
    publication date and site name), never overriding the document's text."""
    year = meta.year
    if year is None and (m := DATE_ISO.search(got.hints.get("date", ""))):
        year = int(m.group(1))
    return replace(meta, year=year, issuer=meta.issuer or got.hints.get("source", ""))


def list_files(folder: Path) -> list[Path]:
    """Documents under ``folder``, in sub-folders too, but not in hidden folders (.git, .trash …).
    Hidden files are listed, so that the scan reports them rather than passing over them."""
    return sorted(
        p
        for p in folder.rglob("*")
        if p.is_file()
        and p.suffix.lower() in SUFFIXES
        and not any(part.startswith(".") for part in p.relative_to(folder).parent.parts)
    )


def load_corpus(folders: list[Path] | Path, max_mb: float = MAX_DOCUMENT_MB) -> CorpusReport:
    """Read every document under ``folders``; unreadable files are reported, not fatal."""
    if isinstance(folders, Path):
        folders = [folders]
    report = CorpusReport()
    seen: set[str] = set()
    for folder in folders:
        if not folder.is_dir():
            raise CorpusError(f"corpus folder not found: {folder}")
        for path in list_files(folder):
            try:
                doc = load_document(path, max_mb)
            except (OSError, ValueError) as exc:
                report.skipped.append((str(path), str(exc)))
                continue
            if doc.doc_id in seen:
                report.skipped.append((str(path), f"duplicate file name {doc.doc_id}"))
                continue
            seen.add(doc.doc_id)
            report.documents.append(doc)
    return report
