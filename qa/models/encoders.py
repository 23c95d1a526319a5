"""Sentence encoders: the interface, any sentence-transformers model, and a hashing
encoder for tests. (The ONNX Runtime encoder of the default model is ``qa.models.onnx``;
choosing one by name is ``qa.models.loader``.)

Queries and documents are encoded differently where the model wants it
(e5: ``query: `` / ``passage: ``). Every encoder has a ``fingerprint`` that names
the exact weights, so an index knows when it was built with another model.
"""

from __future__ import annotations

import hashlib
import itertools
import os
from collections.abc import Sequence
from typing import Protocol

import numpy as np

from qa.errors import ModelLoadError

HASHING_MODEL = "hashing"


class Encoder(Protocol):
    name: str
    fingerprint: str
    dim: int

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def encode_documents(self, texts: Sequence[str], show_progress: bool = False) -> np.ndarray: ...


class HashingEncoder:
    """Deterministic character n-gram hashing encoder: fast, no weights.

    Used by the unit tests and usable as a lexical stand-in where no model exists.
    Vectors are L2-normalized sums of signed hashed unigrams and bigrams. 1024 dimensions:
    in 256 the seed corpus's characters and bigrams collided so often that a clause sharing
    no word with a question could have the closest sentence, and the re-ranker, which
    weighs that sentence, put it first.
    """

    def __init__(self, dim: int = 1024) -> None:
        self.dim = dim
        self.name = HASHING_MODEL
        self.fingerprint = f"hashing-v1-{dim}"

    def _one(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, dtype=np.float32)
        chars = [c for c in text.lower() if not c.isspace()]
        grams = chars + [a + b for a, b in itertools.pairwise(chars)]
        for g in grams:
            h = int.from_bytes(hashlib.blake2b(g.encode(), digest_size=8).digest(), "little")
            v[h % self.dim] += 1.0 if (h >> 63) & 1 else -1.0
        n = float(np.linalg.norm(v))
        return v / n if n > 0 else v

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return np.stack([self._one(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def encode_documents(self, texts: Sequence[str], show_progress: bool = False) -> np.ndarray:
        return self.encode_queries(texts)


def prompts_for(name: str, configured: dict[str, str]) -> tuple[str, str]:
    """(query prefix, document prefix) for a model: its own config first, else known families."""
    q = configured.get("query", "")
    d = configured.get("document", configured.get("passage", ""))
    if q or d:
        return q, d
    low = name.lower()
    if "e5" in low:
        return "query: ", "passage: "
    if "bge" in low and "zh" in low:
        return "为这个句子生成表示以用于检索相关文章：", ""
    return "", ""


def load_sentence_transformer(path: str, attn_implementation: str | None = None):
    """A sentence-transformers model from local files only, without transformers' load report.

    The rebuilt e5 has no pooler, so transformers reports "pooler.dense.bias MISSING …
    Consider training …" on every load: expected here, and nothing a user can act on.
    ``attn_implementation`` chooses transformers' attention code ("eager" for the ONNX
    export); None keeps its default."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    kwargs = {"model_kwargs": {"attn_implementation": attn_implementation}} if attn_implementation else {}
    return SentenceTransformer(path, device="cpu", local_files_only=True, **kwargs)


class SentenceTransformerEncoder:
    """Any sentence-transformers model, loaded from a local folder or the local HF cache."""

    def __init__(self, name: str, path: str, fingerprint: str, batch_size: int = 32, int8: bool = False) -> None:
        try:
            self.model = load_sentence_transformer(path)
        except Exception as exc:
            raise ModelLoadError(
                f"cannot load model {name!r} offline ({type(exc).__name__}); "
                "download it on a connected machine and pass --model /path/to/model-folder"
            ) from exc
        if int8:
            self.model = quantize_int8(self.model)
        self.name = name
        self.fingerprint = fingerprint
        self.batch_size = batch_size
        get_dim = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        self.dim = int(get_dim() or 0)
        self.query_prefix, self.doc_prefix = prompts_for(name, dict(self.model.prompts or {}))

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode([self.query_prefix + t for t in texts], False)

    def encode_documents(self, texts: Sequence[str], show_progress: bool = False) -> np.ndarray:
        # Sorting by length cuts padding; the order is restored below.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        vecs = self._encode([self.doc_prefix + texts[i] for i in order], show_progress)
        out = np.empty_like(vecs)
        out[order] = vecs
        return out

    def _encode(self, texts: list[str], show_progress: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        v = self.model.encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=show_progress,
        )
        return np.asarray(v, dtype=np.float32)


def quantize_int8(model):
    """Dynamic int8 quantization of the Linear layers: about 2.7× the CPU throughput here
    (README has the measurement), weights stay float on disk."""
    import warnings

    import torch

    with warnings.catch_warnings():  # torch points to torchao for new code; the eager API still works
        warnings.simplefilter("ignore")
        return torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
