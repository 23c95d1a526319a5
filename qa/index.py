"""The on-disk index: clause table, vectors, FAISS index and a manifest.

Layout under the embeddings folder::

    index            -> symlink to the current build (swapped atomically)
    index-<build id>/
        manifest.json   schema, model id + fingerprint, dim, corpus hash, chunker
                        version, store, build time, library versions, documents
        chunks.jsonl    one clause per line (text, section path, offsets, hash)
        vectors.npy     float32, L2-normalized, one row per clause (memory-mapped)
        dense.faiss     FAISS IVF index, only above FLAT_MAX clauses (qa.store)
        lexical/        BM25 over the clauses' jieba tokens (qa.lexical, memory-mapped)
        sentences.npy   float32, one row per sentence of every clause (for re-ranking)
        sentences.jsonl the clause each sentence belongs to, and its content hash

With a Milvus store the vectors and clause texts are also written to a new Milvus
collection named in the manifest (qa.store). A build is written to a fresh folder
(and collection) and only then made current by replacing the symlink, so a crash
mid-build leaves the previous index serving. Vectors of clauses whose embedded text
is unchanged (same content hash, same model) are reused.
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

import numpy as np

from qa.chunk import CHUNKER_VERSION, Chunk, chunk_document, sentences
from qa.corpus import Document
from qa.embed import Encoder
from qa.lexical import LexicalIndex
from qa.store import FaissStore, MilvusStore, Store, StoreError, StoreSpec, collection_prefix
from qa.tokens import tokenize

SCHEMA_VERSION = 3
CURRENT = "index"


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
    store: str  # "faiss", or the Milvus URI
    collection: str  # the Milvus collection of this build ("" with FAISS)
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
    """A loaded index: manifest, clauses, the dense store and the lexical index."""

    path: Path
    manifest: Manifest
    chunks: list[Chunk]
    vectors: np.ndarray  # memory-mapped
    store: Store
    lexical: LexicalIndex
    docs: dict[str, DocInfo]
    originals: dict[str, str]  # chunk_id -> clause text as written, where it differs from the normalized text
    sentence_vectors: np.ndarray  # one row per sentence, grouped by clause
    sentence_owner: np.ndarray  # clause position of each sentence row

    def original(self, chunk: Chunk) -> str:
        """The clause as written in the source."""
        return self.originals.get(chunk.chunk_id, chunk.text)


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
    packages = ("faiss-cpu", "sentence-transformers", "torch", "transformers", "bm25s", "jieba", "numpy")
    packages += ("onnxruntime", "onnx", "pymilvus", "milvus-lite")
    for pkg in packages:
        try:
            out[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            continue
    return out


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


def is_current(root: Path, docs: list[Document], encoder: Encoder, store: StoreSpec | None = None) -> bool:
    """Does the index on disk match this corpus, model, chunker and store?"""
    m = read_manifest(root)
    return (
        m is not None
        and m.corpus_hash == corpus_hash(docs)
        and m.model_fingerprint == encoder.fingerprint
        and m.chunker_version == CHUNKER_VERSION
        and m.store == (store or StoreSpec("faiss")).name
    )


def _previous_vectors(root: Path, fingerprint: str, vectors: str, rows: str) -> dict[str, np.ndarray]:
    """Vectors of the current index by content hash, if it was built with this model
    (by any schema version: the vectors file has not changed)."""
    base = current_path(root)
    try:
        if json.loads((base / "manifest.json").read_text(encoding="utf-8")).get("model_fingerprint") != fingerprint:
            return {}
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
    store: StoreSpec | None = None,
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

    # token lists are produced one clause at a time: held all at once they would cost
    # gigabytes at a million clauses (Milvus gets them again, tokenized anew)
    lexical = LexicalIndex.build(tokenize(t) for t in texts)
    spec = store or StoreSpec("faiss")
    build_id = time.strftime("%Y%m%d-%H%M%S") + "-" + uuid.uuid4().hex[:6]
    tmp = root / f".building-{build_id}"
    tmp.mkdir()
    collection = ""
    try:
        with open(tmp / "chunks.jsonl", "w", encoding="utf-8") as fh:
            by_doc = {d.doc_id: d for d in docs}
            for c, h in zip(chunks, hashes, strict=False):
                row = asdict(c)
                row["hash"] = h
                row["original"] = by_doc[c.doc_id].raw[c.orig_start : c.orig_end].strip()
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        np.save(tmp / "vectors.npy", vectors)
        lexical.save(tmp / "lexical")
        if spec.kind == "milvus":
            collection = collection_prefix(root) + build_id.replace("-", "_")
            tokens = (tokenize(t) for t in texts)
            kind = MilvusStore.write(spec, collection, tokens, [c.doc_id for c in chunks], vectors)
        else:
            kind = FaissStore.write(tmp, vectors)
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
            store=spec.name,
            collection=collection,
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
        if collection:
            MilvusStore.drop(spec, collection)  # this build's, never the one serving
        raise
    _remove_stale(root, keep=final.name)
    if spec.kind == "milvus":
        MilvusStore.drop_stale(spec, collection_prefix(root), keep=collection)
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
        vectors = np.load(base / "vectors.npy", mmap_mode="r")
        if m.collection:
            store: Store = MilvusStore.open(StoreSpec.parse(m.store), m.collection)
        else:
            store = FaissStore.open(base, vectors, m.index_type)
        lexical = LexicalIndex.load(base / "lexical")
        sent_vectors = np.load(base / "sentences.npy", mmap_mode="r")
        sent_owner = np.array(
            [json.loads(line)["chunk"] for line in (base / "sentences.jsonl").read_text(encoding="utf-8").splitlines()],
            dtype=np.int64,
        )
    except StoreError:
        raise
    except (OSError, ValueError, RuntimeError) as exc:
        raise IndexNotReady(f"index in {base} is damaged ({exc}); run: qa index --rebuild") from exc
    # most clean sources read the same after normalizing: keep only the differing ones
    originals = {r["chunk_id"]: o for r in rows if (o := r.pop("original")) != r["text"]}
    for r in rows:
        r.pop("hash", None)
        r["section"] = tuple(r["section"])
    chunks = [Chunk(**r) for r in rows]
    if len(chunks) != len(vectors) or lexical.n != len(chunks) or len(sent_vectors) != len(sent_owner):
        raise IndexNotReady(f"index in {base} is inconsistent; run: qa index --rebuild")
    docs = {d.doc_id: d for d in m.documents}
    return Index(base.resolve(), m, chunks, vectors, store, lexical, docs, originals, sent_vectors, sent_owner)
