"""Milvus (a server, a cluster, or Milvus Lite in a local ``.db`` file) as the store.

One collection per index build holds each clause's position, document, vector and
tokens. Milvus runs both the dense search and the BM25 full-text search. The clause
text is tokenized here, by the same jieba + stop words as the local index, and stored
space-separated, so Milvus only splits on spaces: its BM25 (k1, b as locally) ranks
exactly as the local one, and query expansion keeps working. Credentials for a
server come with the ``StoreSpec`` (``QA_MILVUS_TOKEN``, read by ``qa.settings``).
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from qa.errors import StoreError
from qa.search.lexical import K1, B
from qa.search.stores.base import FLAT_MAX, StoreSpec, TermGroups, dense_kind, ivf_lists, ivf_probes

MILVUS_BATCH = 1000
MILVUS_TOPK_MAX = 16_384


def token_text(tokens: Sequence[str]) -> str:
    """Tokens as Milvus will split them back: space-separated, word characters only."""
    return " ".join(_NON_WORD.sub("_", t) for t in tokens)


_NON_WORD = re.compile(r"\W")


@functools.cache
def milvus_client(uri: str, token: str = ""):
    """One client per URI per process (Milvus Lite starts one local server per file)."""
    try:
        from pymilvus import MilvusClient
    except ImportError as exc:
        raise StoreError("the Milvus store needs pymilvus (and milvus-lite for a .db file): pip install -e '.[milvus]'") from exc
    try:
        if uri.startswith("http"):
            return MilvusClient(uri=uri, token=token)
        Path(uri).parent.mkdir(parents=True, exist_ok=True)
        return MilvusClient(uri)
    except Exception as exc:  # pymilvus raises several types for "cannot connect"
        hint = "" if uri.startswith("http") else " (one process at a time opens a Milvus Lite file: stop the app first)"
        raise StoreError(f"cannot reach Milvus at {uri}: {str(exc).splitlines()[0][:200]}{hint}") from exc


def collection_prefix(index_root: Path) -> str:
    """Collections of one index folder share this prefix (several models may share a server)."""
    return "qa_" + hashlib.sha1(str(index_root.resolve()).encode()).hexdigest()[:10] + "_"


class MilvusStore:
    """Dense and BM25 search in one Milvus collection per index build."""

    full_text = True

    def __init__(self, client, collection: str) -> None:
        self.client = client
        self.collection = collection
        self.n = int(client.get_collection_stats(collection)["row_count"])
        self.kind = dense_kind(self.n)

    @staticmethod
    def write(spec: StoreSpec, collection: str, tokens: Iterable[list[str]], doc_ids: list[str], vectors: np.ndarray) -> str:
        """Create and fill a new collection; returns the dense index kind."""
        from pymilvus import DataType, Function, FunctionType

        client = milvus_client(spec.uri, spec.token)
        schema = client.create_schema(auto_id=False)
        schema.add_field("pos", DataType.INT64, is_primary=True)
        schema.add_field("doc_id", DataType.VARCHAR, max_length=512)
        # a server splits on spaces; Milvus Lite has no "whitespace" tokenizer, but its
        # "standard" one (\w+) does the same on tokens made of word characters only
        analyzer = {"tokenizer": "whitespace" if spec.uri.startswith("http") else "standard"}
        schema.add_field("text", DataType.VARCHAR, max_length=65_535, enable_analyzer=True, analyzer_params=analyzer)
        schema.add_field("dense", DataType.FLOAT_VECTOR, dim=int(vectors.shape[1]))
        schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
        schema.add_function(
            Function(name="bm25", function_type=FunctionType.BM25, input_field_names=["text"], output_field_names=["sparse"])
        )
        texts = [token_text(t) for t in tokens]  # one string per clause, far smaller than its token list
        kind = "Flat" if len(vectors) <= FLAT_MAX else f"IVF{ivf_lists(len(vectors))},Flat"  # Milvus's IVF_FLAT
        params = client.prepare_index_params()
        if kind == "Flat":
            params.add_index("dense", index_type="FLAT", metric_type="IP")
        else:
            params.add_index("dense", index_type="IVF_FLAT", metric_type="IP", params={"nlist": ivf_lists(len(vectors))})
        bm25 = {"bm25_k1": K1, "bm25_b": B}
        # a server reads the flattened keys; Milvus Lite reads them from one "params" JSON value
        params.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25", params={**bm25, "params": bm25})
        client.create_collection(collection, schema=schema, index_params=params)
        try:
            for start in range(0, len(texts), MILVUS_BATCH):
                rows = [
                    # a clause's UTF-8 must fit the field (65,535 bytes); clauses are far shorter
                    {"pos": i, "doc_id": doc_ids[i], "text": texts[i][:20_000] or " ", "dense": vectors[i].tolist()}
                    for i in range(start, min(start + MILVUS_BATCH, len(texts)))
                ]
                client.insert(collection, rows)
            client.flush(collection)
            client.load_collection(collection)
        except BaseException:
            client.drop_collection(collection)
            raise
        return kind

    @classmethod
    def open(cls, spec: StoreSpec, collection: str) -> MilvusStore:
        client = milvus_client(spec.uri, spec.token)
        if not client.has_collection(collection):
            raise StoreError(f"Milvus at {spec.uri} has no collection {collection}; run: qa index --rebuild")
        client.load_collection(collection)
        return cls(client, collection)

    @staticmethod
    def drop(spec: StoreSpec, collection: str) -> None:
        client = milvus_client(spec.uri, spec.token)
        if client.has_collection(collection):
            client.drop_collection(collection)

    @staticmethod
    def drop_stale(spec: StoreSpec, prefix: str, keep: str) -> None:
        client = milvus_client(spec.uri, spec.token)
        for name in client.list_collections():
            if name.startswith(prefix) and name != keep:
                client.drop_collection(name)

    def _search(self, data: list, field: str, k: int, metric: str, filter: str = "", params: dict | None = None):
        hits = self.client.search(
            self.collection,
            data=data,
            anns_field=field,
            limit=min(k, MILVUS_TOPK_MAX),
            filter=filter,
            output_fields=["pos"],
            search_params={"metric_type": metric, "params": params or {}},
        )[0]
        pos = np.array([h["entity"]["pos"] for h in hits], dtype=np.int64)
        # Milvus Lite reports BM25 as a negative distance, a server as a positive score
        return pos, np.abs(np.array([h["distance"] for h in hits], dtype=np.float32))

    def search(self, qv: np.ndarray, k: int) -> np.ndarray:
        params = {"nprobe": ivf_probes(ivf_lists(self.n))} if self.kind != "Flat" else {}
        pos, _ = self._search([np.asarray(qv, dtype=np.float32).tolist()], "dense", k, "IP", params=params)
        return pos

    def score(self, qv: np.ndarray, positions: np.ndarray) -> np.ndarray:
        rows = self.client.get(self.collection, ids=[int(p) for p in positions], output_fields=["dense"])
        by_pos = {int(r["pos"]): np.asarray(r["dense"], dtype=np.float32) for r in rows}
        return np.array([float(by_pos[int(p)] @ qv) if int(p) in by_pos else 0.0 for p in positions], dtype=np.float32)

    def text_search(self, groups: TermGroups, k: int, also: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        queries = [(token_text(tokens), w) for tokens, w in groups if tokens]
        found = [also.astype(np.int64)]
        for text, _ in queries if k else []:  # each term group's own top k, as qa.search.lexical does
            found.append(self._search([text], "sparse", k, "BM25")[0])
        positions = np.unique(np.concatenate(found))
        scores = np.zeros(len(positions), dtype=np.float32)
        if positions.size == 0:
            return positions, scores
        where = f"pos in [{','.join(str(int(p)) for p in positions)}]"
        for text, w in queries:  # every candidate's score, in one filtered search per term group
            pos, s = self._search([text], "sparse", len(positions), "BM25", filter=where)
            scores[np.searchsorted(positions, pos)] += w * s
        return positions, scores
