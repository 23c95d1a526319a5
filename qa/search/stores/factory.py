"""The one place that turns a ``--store`` value into a store: for writing a build, and for opening one.

A build calls ``writer_for(spec, index_root)`` once and then only ``write``,
``discard`` (its own unfinished data) and ``cleanup`` (older builds' data, after the
switch); opening an index calls ``open_store`` with what its manifest recorded.
Nothing else in the code asks which kind of store it has.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from qa.search.stores.base import Store, StoreSpec
from qa.search.stores.faiss_store import FaissStore


@dataclass(frozen=True)
class Written:
    """What a build wrote into its store: the dense index kind, and its collection (Milvus)."""

    kind: str
    collection: str = ""


class StoreWriter(Protocol):
    def write(
        self, folder: Path, build_id: str, vectors: np.ndarray, tokens: Callable[[], Iterable[list[str]]], doc_ids: list[str]
    ) -> Written: ...

    def discard(self, written: Written | None, build_id: str) -> None: ...

    def cleanup(self, keep: Written) -> None: ...


class FaissWriter:
    """Writes the ANN file (if the size calls for one) into the build folder itself."""

    def write(self, folder, build_id, vectors, tokens, doc_ids) -> Written:
        return Written(FaissStore.write(folder, vectors))

    def discard(self, written, build_id) -> None:  # the build folder is removed with it
        return None

    def cleanup(self, keep) -> None:  # older build folders are removed with their files
        return None


class MilvusWriter:
    """Writes a new collection per build, named after the index folder and the build."""

    def __init__(self, spec: StoreSpec, index_root: Path) -> None:
        from qa.search.stores.milvus_store import collection_prefix

        self.spec = spec
        self.prefix = collection_prefix(index_root)

    def _name(self, build_id: str) -> str:
        return self.prefix + build_id.replace("-", "_")

    def write(self, folder, build_id, vectors, tokens, doc_ids) -> Written:
        from qa.search.stores.milvus_store import MilvusStore

        collection = self._name(build_id)
        return Written(MilvusStore.write(self.spec, collection, tokens(), doc_ids, vectors), collection)

    def discard(self, written, build_id) -> None:
        from qa.search.stores.milvus_store import MilvusStore

        MilvusStore.drop(self.spec, self._name(build_id))  # this build's, never the one serving

    def cleanup(self, keep) -> None:
        from qa.search.stores.milvus_store import MilvusStore

        MilvusStore.drop_stale(self.spec, self.prefix, keep=keep.collection)


def writer_for(spec: StoreSpec, index_root: Path) -> StoreWriter:
    return MilvusWriter(spec, index_root) if spec.kind == "milvus" else FaissWriter()


def open_store(spec: StoreSpec, folder: Path, vectors: np.ndarray, kind: str, collection: str) -> Store:
    """The store of a built index, as its manifest describes it."""
    if spec.kind == "milvus":
        from qa.search.stores.milvus_store import MilvusStore

        return MilvusStore.open(spec, collection)
    return FaissStore.open(folder, vectors, kind)
