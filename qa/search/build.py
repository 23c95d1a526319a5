"""Build an index folder from documents: plan, embed, write, switch.

1. **plan**: chunk every document and say what the encoder will see for each clause
   and each of its sentences (``BuildPlan``);
2. **embed**: vectors for those texts, reused by content hash from the current index
   where it was built by the same model, encoded otherwise;
3. **write**: clause table, vectors, BM25 (tokenized one clause at a time), the store's
   data and the manifest, into a fresh ``.building-<id>`` folder renamed to
   ``index-<id>`` when complete;
4. **switch**: replace the ``index`` symlink in one ``os.replace``, then remove older
   builds. A crash at any step before the switch leaves the previous index serving.

A build holds the build lock of its folder (``qa.search.lock``) from start to end, so
two builders never interleave, and the ``.building-*`` folders it clears are those of
builders that died. Vectors are reused from the current index only if their files still
match the full checksums its manifest recorded (``qa.search.integrity``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from qa.ingest import CHUNKER_VERSION, Chunk, Document, chunk_document
from qa.ingest.kinds import CONTACT, HEADING, SIGNOFF
from qa.ingest.metadata import metadata_of
from qa.models import Encoder
from qa.search import dictionary
from qa.search.index import SCHEMA_VERSION, DocInfo, Manifest, corpus_hash, current_path, read_manifest
from qa.search.integrity import problems, summarize
from qa.search.lexical import LexicalIndex
from qa.search.lock import build_lock
from qa.search.stores import StoreSpec, Written, writer_for
from qa.search.tokens import tokenize
from qa.text import sentences

log = logging.getLogger(__name__)
ASKED_ONLY = (SIGNOFF, CONTACT, HEADING)
_LIBRARIES = ("faiss-cpu", "sentence-transformers", "torch", "transformers", "bm25s", "jieba", "numpy")
_LIBRARIES += ("onnxruntime", "onnx", "pymilvus", "milvus-lite")


def embed_text(chunk: Chunk, title: str = "") -> str:
    """What the encoder (and BM25) sees for a clause: the headings above it, then the clause.

    A sign-off, contact block or lone heading says little by itself ("国务院 2024年7月28日"):
    it is seen under its document's title, so "五年行动计划是哪天印发的?" finds it."""
    if chunk.kind in ASKED_ONLY and title:
        return f"{title} {chunk.text}"
    context = chunk.section
    if context and chunk.text.startswith(context[-1].rstrip("…")):
        context = context[:-1]  # the clause starts with its own heading already
    return " ".join((*context, chunk.text))


def content_hash(text: str, fingerprint: str) -> str:
    return hashlib.sha256(f"{fingerprint}\0{text}".encode()).hexdigest()[:24]


@dataclass(frozen=True)
class BuildPlan:
    """Every clause and sentence of the corpus, and what the encoder sees for each."""

    docs: list[Document]
    chunks: list[Chunk]
    texts: list[str]  # embedded text of each clause (headings + clause)
    hashes: list[str]
    sent_texts: list[str]
    sent_owner: list[int]  # clause position of each sentence
    sent_hashes: list[str]


def plan(docs: list[Document], fingerprint: str) -> BuildPlan:
    chunks = [c for doc in docs for c in chunk_document(doc)]
    titles = {d.doc_id: d.title for d in docs}
    texts = [embed_text(c, titles[c.doc_id]) for c in chunks]
    sent_texts: list[str] = []
    sent_owner: list[int] = []
    for pos, c in enumerate(chunks):
        for sentence in sentences(c.text):
            sent_texts.append(sentence)
            sent_owner.append(pos)
    return BuildPlan(
        docs,
        chunks,
        texts,
        [content_hash(t, fingerprint) for t in texts],
        sent_texts,
        sent_owner,
        [content_hash(t, fingerprint + ":sentence") for t in sent_texts],
    )


def previous_vectors(root: Path, fingerprint: str, vectors: str, rows: str) -> dict[str, np.ndarray]:
    """Vectors of the current index by content hash, if it was built with this model and
    both files still match their recorded checksums (a damaged index is never reused)."""
    base = current_path(root)
    m = read_manifest(root)
    if m is None or m.model_fingerprint != fingerprint:
        return {}
    damaged = problems(base, m.files, full=True, only=(vectors, rows))
    if damaged:
        log.warning("not reusing vectors of %s: %s", base, damaged[0])
        return {}
    try:
        vecs = np.load(base / vectors)
        hashes = [json.loads(line)["hash"] for line in (base / rows).read_text(encoding="utf-8").splitlines()]
    except (OSError, ValueError, KeyError):
        return {}
    if len(hashes) != len(vecs):
        return {}
    return dict(zip(hashes, vecs, strict=True))


def embed(
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


@dataclass(frozen=True)
class Vectors:
    clauses: np.ndarray
    sentences: np.ndarray
    clauses_embedded: int
    sentences_embedded: int


def embed_plan(root: Path, p: BuildPlan, encoder: Encoder, show_progress: bool, reuse: bool = True) -> Vectors:
    fp = encoder.fingerprint
    cache = previous_vectors(root, fp, "vectors.npy", "chunks.jsonl") if reuse else {}
    vectors, n = embed(p.texts, p.hashes, cache, encoder, show_progress)
    sent_cache = previous_vectors(root, fp, "sentences.npy", "sentences.jsonl") if reuse else {}
    sent_vectors, n_sent = embed(p.sent_texts, p.sent_hashes, sent_cache, encoder, show_progress)
    return Vectors(vectors, sent_vectors, n, n_sent)


def _versions() -> dict[str, str]:
    import importlib.metadata as md

    out = {}
    for pkg in _LIBRARIES:
        try:
            out[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            continue
    return out


def _write_jsonl(path: Path, rows) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def write(folder: Path, p: BuildPlan, v: Vectors, encoder: Encoder, spec: StoreSpec, stored: Written, seconds: float) -> None:
    """Everything but the store's own data into ``folder``, the manifest last, with the
    checksums of every file written before it."""
    by_doc = {d.doc_id: d for d in p.docs}
    rows = []
    for c, h in zip(p.chunks, p.hashes, strict=True):
        row = asdict(c)
        row["hash"] = h
        row["original"] = by_doc[c.doc_id].raw[c.orig_start : c.orig_end].strip()
        rows.append(row)
    _write_jsonl(folder / "chunks.jsonl", rows)
    np.save(folder / "vectors.npy", v.clauses)
    np.save(folder / "sentences.npy", v.sentences)
    _write_jsonl(folder / "sentences.jsonl", ({"chunk": o, "hash": h} for o, h in zip(p.sent_owner, p.sent_hashes, strict=True)))
    np.save(folder / "sentence_owner.npy", np.asarray(p.sent_owner, dtype=np.int32))
    counts: dict[str, int] = {}
    for c in p.chunks:
        counts[c.doc_id] = counts.get(c.doc_id, 0) + 1
    manifest = Manifest(
        schema_version=SCHEMA_VERSION,
        model_name=encoder.name,
        model_fingerprint=encoder.fingerprint,
        dim=encoder.dim,
        corpus_hash=corpus_hash(p.docs),
        chunker_version=CHUNKER_VERSION,
        index_type=stored.kind,
        store=spec.name,
        collection=stored.collection,
        n_chunks=len(p.chunks),
        build_time=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        build_seconds=round(seconds, 3),
        embedded=v.clauses_embedded,
        n_sentences=len(p.sent_texts),
        sentences_embedded=v.sentences_embedded,
        versions=_versions(),
        documents=[DocInfo(doc_id=d.doc_id, sha256=d.sha256, n_chunks=counts.get(d.doc_id, 0), **metadata_of(d)) for d in p.docs],
        files=summarize(folder),
    )
    (folder / "manifest.json").write_text(json.dumps(asdict(manifest), ensure_ascii=False, indent=2), encoding="utf-8")


def switch(root: Path, final: Path, build_id: str) -> None:
    """Make ``final`` the current index: one atomic replacement of the ``index`` symlink."""
    link_tmp = root / f".link-{build_id}"
    os.symlink(final.name, link_tmp)
    os.replace(link_tmp, current_path(root))


def _remove_stale(root: Path, keep: str) -> None:
    """Older builds, and unfinished ones left by builders that died (the lock is ours)."""
    for p in root.glob("index-*"):
        if p.name != keep and p.is_dir():
            shutil.rmtree(p, ignore_errors=True)
    for p in root.glob(".building-*"):
        shutil.rmtree(p, ignore_errors=True)
    for p in root.glob(".link-*"):
        p.unlink(missing_ok=True)


def build_index(
    root: Path,
    docs: list[Document],
    encoder: Encoder,
    *,
    show_progress: bool = False,
    store: StoreSpec | None = None,
    reuse: bool = True,
    on_built: Callable[[Path], None] | None = None,
) -> Path:
    """Chunk, embed (reusing unchanged vectors unless ``reuse`` is off) and write a new
    index, then make it current; all under the build lock of ``root``."""
    with build_lock(root):
        return _build(root, docs, encoder, show_progress, store or StoreSpec("faiss"), reuse, on_built)


def _build(
    root: Path,
    docs: list[Document],
    encoder: Encoder,
    show_progress: bool,
    spec: StoreSpec,
    reuse: bool,
    on_built: Callable[[Path], None] | None,
) -> Path:
    t0 = time.perf_counter()
    p = plan(docs, encoder.fingerprint)
    v = embed_plan(root, p, encoder, show_progress, reuse)
    build_id = time.strftime("%Y%m%d-%H%M%S") + "-" + uuid.uuid4().hex[:6]
    writer = writer_for(spec, root)
    tmp = root / f".building-{build_id}"
    tmp.mkdir()
    stored: Written | None = None
    try:
        # token lists are produced one clause at a time: held all at once they would cost
        # gigabytes at a million clauses (a Milvus store gets them again, tokenized anew)
        lexical = LexicalIndex.build(tokenize(t) for t in p.texts)
        lexical.save(tmp / "lexical")
        dictionary.save(dictionary.build(lexical, lexical.df), tmp)
        stored = writer.write(tmp, build_id, v.clauses, lambda: (tokenize(t) for t in p.texts), [c.doc_id for c in p.chunks])
        write(tmp, p, v, encoder, spec, stored, time.perf_counter() - t0)
        final = root / f"index-{build_id}"
        os.replace(tmp, final)
        if on_built is not None:  # test hook: lets a test stop the build between the steps
            on_built(final)
        switch(root, final, build_id)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        writer.discard(stored, build_id)
        raise
    _remove_stale(root, keep=final.name)
    writer.cleanup(stored)
    log.info("index built: %d clauses (%d embedded) in %s", len(p.chunks), v.clauses_embedded, final)
    return final
