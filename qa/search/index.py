"""The on-disk index as loaded: clause table, vectors, store, BM25 and a manifest (built by ``qa.search.build``).

Layout under the embeddings folder::

    index            -> symlink to the current build (swapped atomically)
    index-<build id>/
        manifest.json   schema, model id + fingerprint, dim, corpus hash, chunker
                        version, store, build time, library versions, documents
        chunks.jsonl    one clause per line (text, section path, offsets, hash)
        vectors.npy     float32, L2-normalized, one row per clause (memory-mapped)
        dense.faiss     FAISS IVF index, only above FLAT_MAX clauses (qa.search.stores)
        lexical/        BM25 over the clauses' jieba tokens (qa.search.lexical, memory-mapped)
        english.tsv     English glosses of the corpus's words, from CC-CEDICT (qa.search.dictionary)
        sentences.npy   float32, one row per sentence of every clause (for re-ranking)
        sentences.jsonl the clause each sentence belongs to, and its content hash
        sentence_owner.npy  the same owners as int32 (what opening reads: no JSON per sentence)

The manifest also records every file's size and checksums (``qa.search.integrity``):
opening checks sizes and samples and refuses a damaged index with ``IndexDamaged``.

With a Milvus store the vectors and clause texts are also written to a new Milvus
collection named in the manifest (qa.search.stores). A build is written to a fresh folder
(and collection) and only then made current by replacing the symlink, so a crash
mid-build leaves the previous index serving. Vectors of clauses whose embedded text
is unchanged (same content hash, same model) are reused.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qa.errors import IndexDamaged, IndexNotReady
from qa.ingest import CHUNKER_VERSION, Chunk, Document
from qa.ingest.catalog import Entry
from qa.models import Encoder
from qa.search import dictionary
from qa.search.integrity import FileSum, problems
from qa.search.lexical import LexicalIndex
from qa.search.stores import Store, StoreSpec, open_store

SCHEMA_VERSION = 8  # 4: english.tsv; 5: checksums of the files; 6: sentence_owner.npy; 7: validity facts; 8: american glosses
CURRENT = "index"


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
    stage: str = ""  # validity facts (qa.ingest.metadata), read by qa.search.validity
    issued: str = ""
    effective: str = ""
    expires: str = ""
    replaces: tuple[str, ...] = ()


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
    files: dict[str, FileSum]  # every file of the build but the manifest (qa.search.integrity)

    @staticmethod
    def from_json(data: dict) -> Manifest:
        docs = [DocInfo(**{**d, "replaces": tuple(d.get("replaces", ()))}) for d in data.pop("documents")]
        files = {name: FileSum(**f) for name, f in data.pop("files").items()}
        return Manifest(documents=docs, files=files, **data)


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
    english: dict[str, tuple[str, ...]]  # English gloss -> corpus words (qa.search.dictionary)

    def original(self, chunk: Chunk) -> str:
        """The clause as written in the source."""
        return self.originals.get(chunk.chunk_id, chunk.text)

    @functools.cached_property
    def _positions(self) -> dict[str, int]:
        return {c.chunk_id: i for i, c in enumerate(self.chunks)}

    def position(self, chunk_id: str) -> int:
        """Where the clause ``chunk_id`` is in ``chunks`` (``KeyError`` if nowhere); the map is
        built on first use, so opening an index does not pay for it."""
        return self._positions[chunk_id]


def corpus_hash(docs: Sequence[Document | Entry]) -> str:
    h = hashlib.sha256()
    for d in sorted(docs, key=lambda d: d.doc_id):
        facts = [d.doc_id, d.sha256, d.title, d.issuer, d.region, d.year, d.doc_number]
        facts += [d.stage, d.issued, d.effective, d.expires, list(d.replaces)]
        meta = json.dumps(facts, ensure_ascii=False)
        h.update(meta.encode())
    return h.hexdigest()


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


def is_current(root: Path, docs: Sequence[Document | Entry], encoder: Encoder, store: StoreSpec | None = None) -> bool:
    """Does the index on disk match this corpus, model, chunker and store?"""
    m = read_manifest(root)
    return (
        m is not None
        and m.corpus_hash == corpus_hash(docs)
        and m.model_fingerprint == encoder.fingerprint
        and m.chunker_version == CHUNKER_VERSION
        and m.store == (store or StoreSpec("faiss")).name
    )


def damage(root: Path, *, full: bool = False) -> list[str]:
    """What is wrong with the current index's files (empty: nothing, or no index at all)."""
    m = read_manifest(root)
    return [] if m is None else problems(current_path(root), m.files, full=full)


def _json_lines(path: Path) -> list[dict]:
    """One JSON object a line, parsed in one call (a JSON string never holds a raw line
    break): about three times faster than a ``json.loads`` per line."""
    text = path.read_text(encoding="utf-8").strip()
    return json.loads("[" + text.replace("\n", ",") + "]") if text else []


def load_index(root: Path, store: StoreSpec | None = None) -> Index:
    """Load the current index; raises ``IndexNotReady`` with a one-line reason
    (``IndexDamaged`` when its files are not as built).

    ``store``: the configured store, whose credentials are used when it is the one the
    manifest names."""
    base = current_path(root)
    m = read_manifest(root)
    if m is None:
        raise IndexNotReady(f"no usable index in {root}; run: qa index")
    found = problems(base, m.files)
    if found:
        raise IndexDamaged(f"index in {base.resolve()} is damaged: {found[0]}")
    try:
        rows = _json_lines(base / "chunks.jsonl")
        vectors = np.load(base / "vectors.npy", mmap_mode="r")
        spec = store if store is not None and store.name == m.store else StoreSpec.parse(m.store)
        opened = open_store(spec, base, vectors, m.index_type, m.collection)
        lexical = LexicalIndex.load(base / "lexical")
        english = dictionary.load(base)
        sent_vectors = np.load(base / "sentences.npy", mmap_mode="r")
        sent_owner = np.load(base / "sentence_owner.npy").astype(np.int64)
    except (OSError, ValueError, RuntimeError) as exc:
        raise IndexDamaged(f"index in {base.resolve()} is damaged ({exc})") from exc
    # most clean sources read the same after normalizing: keep only the differing ones
    originals = {r["chunk_id"]: o for r in rows if (o := r.pop("original")) != r["text"]}
    for r in rows:
        r.pop("hash", None)
        r["section"] = tuple(r["section"])
    chunks = [Chunk(**r) for r in rows]
    if len(chunks) != len(vectors) or lexical.n != len(chunks) or len(sent_vectors) != len(sent_owner):
        raise IndexDamaged(f"index in {base.resolve()} is inconsistent (clause, vector and token counts differ)")
    docs = {d.doc_id: d for d in m.documents}
    return Index(base.resolve(), m, chunks, vectors, opened, lexical, docs, originals, sent_vectors, sent_owner, english)
