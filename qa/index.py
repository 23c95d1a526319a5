"""The on-disk index: clause table, vectors, FAISS index and a manifest.

Layout under the embeddings folder::

    index            -> symlink to the current build (swapped atomically)
    index-<build id>/
        manifest.json   schema, model id + fingerprint, dim, corpus hash, chunker
                        version, build time, library versions, documents
        chunks.jsonl    one clause per line (text, section path, offsets, hash)
        vectors.npy     float32, L2-normalized, one row per clause
        dense.faiss     FAISS inner-product index over the vectors
        sentences.npy   float32, one row per sentence of every clause (for re-ranking)
        sentences.jsonl the clause each sentence belongs to, and its content hash

A build is written to a fresh folder and only then made current by replacing the
symlink, so a crash mid-build leaves the previous index serving. Vectors of clauses
whose embedded text is unchanged (same content hash, same model) are reused.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import faiss
import numpy as np

from qa.chunk import CHUNKER_VERSION, Chunk, chunk_document, sentences
from qa.corpus import Document
from qa.embed import Encoder

SCHEMA_VERSION = 2
CURRENT = "index"
# Exact search is fast enough up to this many clauses (qa bench --scale: p95 8 ms at 100k);
# above it an HNSW graph, searched with efSearch 1024 for recall@10 ≥ 0.98 (README).
FLAT_MAX = 100_000
HNSW_EF_SEARCH = 1024


class IndexNotReady(RuntimeError):
    """The index folder is missing or unreadable."""


@dataclass(frozen=True)
class DocInfo:
    doc_id: str
    title: str
    issuer: str
    region: str
    year: int | None
    doc_number: str
    sha256: str
    n_chunks: int


@dataclass(frozen=True)
class Manifest:
    schema_version: int
    model_name: str
    model_fingerprint: str
    dim: int
    corpus_hash: str
    chunker_version: int
    index_type: str
    n_chunks: int
    build_time: str
    build_seconds: float
    embedded: int  # clauses embedded in this build (the rest were reused)
    n_sentences: int
    sentences_embedded: int
    versions: dict[str, str]
    documents: list[DocInfo]

    @staticmethod
    def from_json(data: dict) -> Manifest:
        docs = [DocInfo(**d) for d in data.pop("documents")]
        return Manifest(documents=docs, **data)


@dataclass(frozen=True)
class Index:
    """A loaded index: manifest, clauses and the dense search structure."""

    path: Path
    manifest: Manifest
    chunks: list[Chunk]
    vectors: np.ndarray
    dense: faiss.Index
    docs: dict[str, DocInfo]
    originals: dict[str, str]  # chunk_id -> clause text as written in the source
    sentence_vectors: np.ndarray  # one row per sentence, grouped by clause
    sentence_owner: np.ndarray  # clause position of each sentence row


def corpus_hash(docs: list[Document]) -> str:
    h = hashlib.sha256()
    for d in sorted(docs, key=lambda d: d.doc_id):
        meta = json.dumps([d.doc_id, d.sha256, d.title, d.issuer, d.region, d.year, d.doc_number], ensure_ascii=False)
        h.update(meta.encode())
    return h.hexdigest()


def embed_text(chunk: Chunk) -> str:
    """What the encoder sees for a clause: the headings above it, then the clause itself."""
    context = chunk.section
    if context and chunk.text.startswith(context[-1].rstrip("…")):
        context = context[:-1]  # the clause starts with its own heading already
    return " ".join((*context, chunk.text))


def content_hash(text: str, fingerprint: str) -> str:
    return hashlib.sha256(f"{fingerprint}\0{text}".encode()).hexdigest()[:24]


def _versions() -> dict[str, str]:
    import importlib.metadata as md

    out = {}
    for pkg in ("faiss-cpu", "sentence-transformers", "torch", "transformers", "bm25s", "jieba", "numpy"):
        try:
            out[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            continue
    return out


def make_dense(vectors: np.ndarray, flat_max: int = FLAT_MAX) -> tuple[faiss.Index, str]:
    dim = vectors.shape[1]
    if len(vectors) <= flat_max:
        index: faiss.Index = faiss.IndexFlatIP(dim)
        kind = "Flat"
    else:
        index = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 40
        index.hnsw.efSearch = HNSW_EF_SEARCH
        kind = "HNSW32"
    if len(vectors):
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index, kind


def current_path(root: Path) -> Path:
    return root / CURRENT


def read_manifest(root: Path) -> Manifest | None:
    try:
        data = json.loads((current_path(root) / "manifest.json").read_text(encoding="utf-8"))
        if data.get("schema_version") != SCHEMA_VERSION:
            return None
        return Manifest.from_json(data)
    except (OSError, ValueError, TypeError, KeyError):
        return None


def is_current(root: Path, docs: list[Document], encoder: Encoder) -> bool:
    """Does the index on disk match this corpus, model and chunker?"""
    m = read_manifest(root)
    return (
        m is not None
        and m.corpus_hash == corpus_hash(docs)
        and m.model_fingerprint == encoder.fingerprint
        and m.chunker_version == CHUNKER_VERSION
    )


def _previous_vectors(root: Path, fingerprint: str, vectors: str, rows: str) -> dict[str, np.ndarray]:
    """Vectors of the current index by content hash, if it was built with this model."""
    m = read_manifest(root)
    if m is None or m.model_fingerprint != fingerprint:
        return {}
    base = current_path(root)
    try:
        vecs = np.load(base / vectors)
        hashes = [json.loads(line)["hash"] for line in (base / rows).read_text(encoding="utf-8").splitlines()]
    except (OSError, ValueError, KeyError):
        return {}
    if len(hashes) != len(vecs):
        return {}
    return dict(zip(hashes, vecs, strict=True))


def _embed(
    texts: list[str], hashes: list[str], cache: dict[str, np.ndarray], encoder: Encoder, show_progress: bool
) -> tuple[np.ndarray, int]:
    """Vectors for ``texts``: from ``cache`` where the content hash is known, else encoded."""
    vectors = np.zeros((len(texts), encoder.dim), dtype=np.float32)
    todo = [i for i, h in enumerate(hashes) if h not in cache]
    if todo:
        fresh = encoder.encode_documents([texts[i] for i in todo], show_progress=show_progress)
        for row, i in enumerate(todo):
            vectors[i] = fresh[row]
    for i, h in enumerate(hashes):
        if h in cache:
            vectors[i] = cache[h]
    return vectors, len(todo)


def build_index(
    root: Path,
    docs: list[Document],
    encoder: Encoder,
    *,
    show_progress: bool = False,
    on_built: Callable[[Path], None] | None = None,
) -> Path:
    """Chunk, embed (reusing unchanged vectors) and write a new index, then make it current."""
    t0 = time.perf_counter()
    root.mkdir(parents=True, exist_ok=True)
    chunks: list[Chunk] = []
    texts: list[str] = []
    for doc in docs:
        for c in chunk_document(doc):
            chunks.append(c)
            texts.append(embed_text(c))
    hashes = [content_hash(t, encoder.fingerprint) for t in texts]
    cache = _previous_vectors(root, encoder.fingerprint, "vectors.npy", "chunks.jsonl")
    vectors, n_embedded = _embed(texts, hashes, cache, encoder, show_progress)
    sent_texts: list[str] = []
    sent_owner: list[int] = []
    for pos, c in enumerate(chunks):
        for sentence in sentences(c.text):
            sent_texts.append(sentence)
            sent_owner.append(pos)
    sent_hashes = [content_hash(t, encoder.fingerprint + ":sentence") for t in sent_texts]
    sent_cache = _previous_vectors(root, encoder.fingerprint, "sentences.npy", "sentences.jsonl")
    sent_vectors, n_sent_embedded = _embed(sent_texts, sent_hashes, sent_cache, encoder, show_progress)

    dense, kind = make_dense(vectors)
    build_id = time.strftime("%Y%m%d-%H%M%S") + "-" + uuid.uuid4().hex[:6]
    tmp = root / f".building-{build_id}"
    tmp.mkdir()
    try:
        with open(tmp / "chunks.jsonl", "w", encoding="utf-8") as fh:
            by_doc = {d.doc_id: d for d in docs}
            for c, h in zip(chunks, hashes, strict=False):
                row = asdict(c)
                row["hash"] = h
                row["original"] = by_doc[c.doc_id].raw[c.orig_start : c.orig_end].strip()
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        np.save(tmp / "vectors.npy", vectors)
        faiss.write_index(dense, str(tmp / "dense.faiss"))
        np.save(tmp / "sentences.npy", sent_vectors)
        with open(tmp / "sentences.jsonl", "w", encoding="utf-8") as fh:
            for owner, h in zip(sent_owner, sent_hashes, strict=True):
                fh.write(json.dumps({"chunk": owner, "hash": h}) + "\n")
        counts: dict[str, int] = {}
        for c in chunks:
            counts[c.doc_id] = counts.get(c.doc_id, 0) + 1
        manifest = Manifest(
            schema_version=SCHEMA_VERSION,
            model_name=encoder.name,
            model_fingerprint=encoder.fingerprint,
            dim=encoder.dim,
            corpus_hash=corpus_hash(docs),
            chunker_version=CHUNKER_VERSION,
            index_type=kind,
            n_chunks=len(chunks),
            build_time=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            build_seconds=round(time.perf_counter() - t0, 3),
            embedded=n_embedded,
            n_sentences=len(sent_texts),
            sentences_embedded=n_sent_embedded,
            versions=_versions(),
            documents=[
                DocInfo(d.doc_id, d.title, d.issuer, d.region, d.year, d.doc_number, d.sha256, counts.get(d.doc_id, 0))
                for d in docs
            ],
        )
        (tmp / "manifest.json").write_text(json.dumps(asdict(manifest), ensure_ascii=False, indent=2), encoding="utf-8")
        final = root / f"index-{build_id}"
        os.replace(tmp, final)
        if on_built is not None:  # test hook: lets a test stop the build between the steps
            on_built(final)
        link_tmp = root / f".link-{build_id}"
        os.symlink(final.name, link_tmp)
        os.replace(link_tmp, current_path(root))  # the atomic switch
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _remove_stale(root, keep=final.name)
    return final


def _remove_stale(root: Path, keep: str) -> None:
    for p in root.glob("index-*"):
        if p.name != keep and p.is_dir():
            shutil.rmtree(p, ignore_errors=True)
    for p in root.glob(".building-*"):
        shutil.rmtree(p, ignore_errors=True)


def load_index(root: Path) -> Index:
    """Load the current index; raises ``IndexNotReady`` with a one-line reason."""
    base = current_path(root)
    m = read_manifest(root)
    if m is None:
        raise IndexNotReady(f"no usable index in {root}; run: qa index")
    try:
        rows = [json.loads(line) for line in (base / "chunks.jsonl").read_text(encoding="utf-8").splitlines()]
        vectors = np.load(base / "vectors.npy")
        dense = faiss.read_index(str(base / "dense.faiss"))
        sent_vectors = np.load(base / "sentences.npy")
        sent_owner = np.array(
            [json.loads(line)["chunk"] for line in (base / "sentences.jsonl").read_text(encoding="utf-8").splitlines()],
            dtype=np.int64,
        )
    except (OSError, ValueError, RuntimeError) as exc:
        raise IndexNotReady(f"index in {base} is damaged ({exc}); run: qa index --rebuild") from exc
    originals = {r["chunk_id"]: r.pop("original") for r in rows}
    for r in rows:
        r.pop("hash", None)
        r["section"] = tuple(r["section"])
    chunks = [Chunk(**r) for r in rows]
    if len(chunks) != len(vectors) or dense.ntotal != len(chunks) or len(sent_vectors) != len(sent_owner):
        raise IndexNotReady(f"index in {base} is inconsistent; run: qa index --rebuild")
    docs = {d.doc_id: d for d in m.documents}
    return Index(base.resolve(), m, chunks, vectors, dense, docs, originals, sent_vectors, sent_owner)
