"""Stores: where clause vectors are searched (FAISS locally, or Milvus), chosen once by ``factory``."""

from qa.search.stores.base import FLAT_MAX, Store, StoreSpec, TermGroups, dense_kind, ivf_lists, ivf_probes
from qa.search.stores.factory import Written, open_store, writer_for

__all__ = [
    "FLAT_MAX",
    "Store",
    "StoreSpec",
    "TermGroups",
    "Written",
    "dense_kind",
    "ivf_lists",
    "ivf_probes",
    "open_store",
    "writer_for",
]
