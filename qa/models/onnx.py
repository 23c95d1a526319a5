"""The default model on ONNX Runtime: documents in float32, questions in int8.

PyTorch's eager BERT on 2 cores embeds ~21 clauses/s; the same graph exported once to
ONNX and run by ONNX Runtime (with its graph fusions) embeds ~41 clauses/s, with vectors
equal to PyTorch's to six decimals (README, *Embedding throughput*). Documents are
embedded with these float weights, so an index is PyTorch's.

The model is exported with transformers' plain ("eager") attention, not its SDPA kernel,
and ONNX Runtime's BERT fusions (``onnxruntime.transformers.optimizer``) then turn each
layer's attention into one ``Attention`` op: torch's SDPA export is a chain of ~40 small
reshapes, transposes and masks per layer that no fusion recognizes (a quarter of the kernel
time of a 40-token question in ONNX Runtime's profiler); fused, a question is encoded
10–18% faster (README, *Measured*). The figures below were measured before the fusion.

A question is encoded by a second graph with the same weights quantized to int8
(``onnxruntime.quantization.quantize_dynamic``: per output channel, 7-bit for CPUs
without VNNI). A question is one short sequence, and for it the model's cost is mostly
reading 84 MB of float weights per call; in int8 they are 21 MB and the encoder's time
for a question falls by a quarter to a third (``qa bench --embedding``: p50 7.2 → 5.0
ms). Its vector stays within cosine 0.993 of the float one (README, *Measured*), and the
index need not change: both sides share one fingerprint.

``export_onnx`` writes ``onnx/model.onnx`` (and ``onnx/query-int8.onnx``) inside a
sentence-transformers folder (mean pooling and L2 normalization are part of the graph),
once, atomically, stamped with the versions that made it. ``OnnxEncoder`` then needs only
``tokenizers`` and ``onnxruntime``: serving does not import torch.
"""

from __future__ import annotations

import contextlib
import gc
import json
import logging
import os
import shutil
import tempfile
import threading
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from qa.errors import ModelLoadError

log = logging.getLogger(__name__)

ONNX_DIR = "onnx"
ONNX_FILE = "model.onnx"
# the weights, apart: ONNX Runtime memory-maps them; "<graph>.data" is the name ONNX Runtime's
# optimizer gives them (``OnnxModel.save_model_to_file``)
DATA_FILE = ONNX_FILE + ".data"
QUERY_FILE = "query-int8.onnx"  # the same graph, weights in int8: for questions
QUERY_DATA_FILE = QUERY_FILE + ".data"
STAMP_FILE = "export.json"
EXPORT_VERSION = 3  # bump when the exported graphs change (2: the int8 question graph; 3: fused attention)
FILES = (ONNX_FILE, DATA_FILE, QUERY_FILE, QUERY_DATA_FILE)
OPSET = 17
# Batches of 4 clauses, sorted by token count: small batches waste the least on padding
# and measured fastest here (bs 1/4/8/16: 40.7/40.8/37.0/34.2 clauses/s).
BATCH_SIZE = 4


class OnnxExportError(RuntimeError):
    """The model folder could not be exported to ONNX; the message is one line."""


def onnx_is_current(folder: Path, source_fingerprint: str) -> bool:
    """True if ``folder/onnx`` holds a complete export of these weights by this export code."""
    out = folder / ONNX_DIR
    try:
        stamp = json.loads((out / STAMP_FILE).read_text())
        sizes = {name: (out / name).stat().st_size for name in FILES}
    except (OSError, ValueError):
        return False
    return (
        stamp.get("export_version") == EXPORT_VERSION
        and stamp.get("source") == source_fingerprint
        and stamp.get("sizes") == sizes
    )


def export_onnx(folder: Path, source_fingerprint: str) -> Path:
    """Export the sentence-transformers model in ``folder`` to ``folder/onnx`` unless current.

    Takes ~45 s for e5-small (export, fusion, then quantization). The graph takes
    ``input_ids`` and ``attention_mask`` (int64, batch × tokens, both dynamic) and returns
    normalized mean-pooled ``embedding``. Written into a temporary folder and renamed, so a
    crash never leaves a half-written model.
    """
    out = folder / ONNX_DIR
    if onnx_is_current(folder, source_fingerprint):
        return out / ONNX_FILE
    try:
        from qa.models.encoders import load_sentence_transformer

        st = load_sentence_transformer(str(folder), attn_implementation="eager")  # the pattern the fusions know
    except Exception as exc:
        raise OnnxExportError(f"cannot load {folder} for ONNX export ({type(exc).__name__})") from exc
    folder.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=ONNX_DIR + ".tmp-", dir=folder))
    try:
        traced = _export_torch(st, tmp / "inline.onnx")
        del st
        gc.collect()  # the PyTorch model (470 MB) is not needed while the graph is fused
        fused = _fuse(tmp / "inline.onnx", tmp / ONNX_FILE, traced.heads, traced.hidden)
        gc.collect()  # the optimizer's model is held in reference cycles: ~2 GB until collected
        if fused.get("Attention", 0) != traced.layers:  # a correct graph still, only slower
            log.warning("ONNX Runtime fused %d of %d attention layers", fused.get("Attention", 0), traced.layers)
        _check(tmp / ONNX_FILE, traced)
        _quantize_for_queries(tmp / ONNX_FILE, tmp / QUERY_FILE)
        stamp = {
            "export_version": EXPORT_VERSION,
            "source": source_fingerprint,
            "opset": OPSET,
            "layers": traced.layers,
            "fused": fused,
            "versions": _versions(),
            "sizes": {name: (tmp / name).stat().st_size for name in FILES},
        }
        (tmp / STAMP_FILE).write_text(json.dumps(stamp, indent=2))
        os.chmod(tmp, 0o755)
        if out.exists():
            shutil.rmtree(out)
        os.replace(tmp, out)
    except Exception as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if onnx_is_current(folder, source_fingerprint):  # another process (app and qa index) finished first
            return out / ONNX_FILE
        raise OnnxExportError(f"ONNX export of {folder.name} failed ({_first_line(exc)})") from exc
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out / ONNX_FILE


@dataclass(frozen=True)
class _Traced:
    """What the export knows of the model that the later steps need."""

    heads: int  # attention heads and hidden size: what the fusions must be told
    hidden: int
    layers: int  # one Attention op each, once fused
    inputs: dict[str, np.ndarray]  # a batch of two texts of different lengths …
    expected: np.ndarray  # … and PyTorch's vectors for it, to check the fused graph against


def _pooled(bert: Any) -> Any:
    """The torch module exported: BERT, then the folder's mean pooling and normalization.
    (``bert`` is passed in, not closed over, so it is freed with the module.)"""
    import torch

    class Pooled(torch.nn.Module):
        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.bert = inner

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2.0, dim=1)

    return Pooled(bert).eval()


def _export_torch(st: Any, target: Path) -> _Traced:
    """Write the model as one ONNX graph, weights inline, to ``target``."""
    import torch

    bert = st[0].auto_model.eval()
    module = _pooled(bert)
    example = st.tokenizer(["query: 示例", "passage: 两个 不同长度的 输入"], padding=True, return_tensors="pt")
    args = (example["input_ids"], example["attention_mask"])
    with warnings.catch_warnings(), torch.no_grad():
        # the TorchScript exporter is deprecated in favour of dynamo (which needs onnxscript
        # and exports this model more slowly); torch is pinned, so it is here to stay for us
        warnings.simplefilter("ignore")
        torch.onnx.export(
            module,
            args,
            str(target),
            input_names=["input_ids", "attention_mask"],
            output_names=["embedding"],
            dynamic_axes={
                "input_ids": {0: "batch", 1: "tokens"},
                "attention_mask": {0: "batch", 1: "tokens"},
                "embedding": {0: "batch"},
            },
            opset_version=OPSET,
            dynamo=False,
        )
        expected = module(*args).numpy()
    cfg = bert.config
    return _Traced(
        heads=cfg.num_attention_heads,
        hidden=cfg.hidden_size,
        layers=cfg.num_hidden_layers,
        inputs={"input_ids": args[0].numpy(), "attention_mask": args[1].numpy()},
        expected=expected,
    )


def _check(graph: Path, traced: _Traced, tolerance: float = 1e-4) -> None:
    """Refuse a graph whose vectors are not PyTorch's: a fusion that misread the model
    would otherwise give wrong vectors for every document, with nothing to say so."""
    import onnxruntime as ort

    session = ort.InferenceSession(str(graph), providers=["CPUExecutionProvider"])
    got = session.run(None, traced.inputs)[0]
    worst = float(np.abs(got - traced.expected).max())
    if not worst <= tolerance:  # NaN fails too
        raise RuntimeError(f"the fused graph's vectors differ from PyTorch's by {worst:.2g}")


def _first_line(exc: BaseException) -> str:
    """``exc`` as one line: onnx and ONNX Runtime errors run to many lines; ours are one."""
    return f"{type(exc).__name__}: {(str(exc).splitlines() or [''])[0][:200]}"


@contextlib.contextmanager
def _warnings_silenced() -> Iterator[None]:
    """Warnings and lesser log records off while ONNX Runtime's tools run; restored after."""
    quiet = logging.root.manager.disable
    logging.disable(logging.WARNING)
    try:
        yield
    finally:
        logging.disable(quiet)


def _versions() -> dict[str, str]:
    import onnx
    import onnxruntime
    import torch
    import transformers

    return {
        "torch": torch.__version__,
        "transformers": transformers.__version__,  # its attention code is the pattern fused
        "onnx": onnx.__version__,
        "onnxruntime": onnxruntime.__version__,
    }


def _fuse(inline: Path, target: Path, heads: int, hidden: int) -> dict[str, int]:
    """Write ``inline`` with ONNX Runtime's BERT fusions applied to ``target``, its weights
    apart in ``target`` + ".data"; return how many ops of the fused kinds the result holds.

    Each layer's attention becomes one ``Attention`` op (``QAttention`` once quantized),
    its residual layer norms ``SkipLayerNormalization``, its GELU ``BiasGelu``: graph
    rewrites only, the vectors stay PyTorch's (``tests/test_embed_onnx.py``). The mask is
    read as given (raw, not as lengths), so the graph does not rely on right padding. The
    embeddings' own fusion is left out: it would hold the word table in float inside the
    question graph (406 MB instead of 118), where int8 quantizes a plain ``Gather``.

    The weights are apart so that ONNX Runtime memory-maps them: inline, it parses all 470
    MB into its own memory (853 MB resident after one query); from a separate file the 384
    MB word-embedding table costs only the rows a corpus uses, and those pages are shared
    and reclaimable.
    """
    from onnxruntime.transformers.fusion_options import FusionOptions
    from onnxruntime.transformers.optimizer import optimize_model

    options = FusionOptions("bert")
    options.enable_embed_layer_norm = False
    options.use_raw_attention_mask(True)
    with _warnings_silenced():  # the optimizer reports each fusion it tries
        model = optimize_model(
            str(inline),
            model_type="bert",
            num_heads=heads,
            hidden_size=hidden,
            opt_level=0,  # fusions only: ONNX Runtime's own optimizations run when a session loads
            optimization_options=options,
        )
    counts = {op: n for op, n in model.get_fused_operator_statistics().items() if n}
    # sorts the graph, declares the com.microsoft ops' domain, writes the weights to target + ".data"
    model.save_model_to_file(str(target), use_external_data_format=True)
    inline.unlink()
    for path in (target, target.with_name(target.name + ".data")):
        os.chmod(path, 0o644)
    return counts


def _quantize_for_queries(source: Path, target: Path) -> None:
    """Write the int8 copy of ``source`` that questions are encoded with.

    Dynamic quantization: MatMul and attention weights and the word-embedding table in
    int8 (118 MB on disk instead of 470), activations quantized as they come. Per output
    channel and in 7 bits (``reduce_range``), as ONNX Runtime advises for CPUs without
    VNNI: on the seed questions the vectors stay within cosine 0.993 of the float ones
    (0.986 with 8 bits per tensor)."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with _warnings_silenced():  # "consider pre-processing": it matters for static quantization only
        quantize_dynamic(
            source,
            target,
            op_types_to_quantize=["MatMul", "Attention", "Gather"],
            per_channel=True,
            reduce_range=True,
            weight_type=QuantType.QInt8,
            use_external_data_format=True,
            # ONNX's shape inference knows no type for the fused ops' (com.microsoft) outputs
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )
    for name in (QUERY_FILE, QUERY_DATA_FILE):
        os.chmod(target.parent / name, 0o644)


def _read_stamp(folder: Path) -> str:
    """The export's stamp as written: which export the graphs on disk belong to."""
    try:
        return (folder / ONNX_DIR / STAMP_FILE).read_text()
    except OSError:
        return ""


class OnnxEncoder:
    """Encoder over an exported folder: ``tokenizers`` for ids, ONNX Runtime for vectors.

    ``int8_queries``: questions go through the int8 graph (the default model's setting);
    False encodes them with the float graph, as documents are. The float graph is loaded
    on first use, so a server whose index is current never holds it; if the export was
    redone meanwhile (another process, new weights), that load refuses in one line rather
    than mix the new graph with the old one."""

    def __init__(
        self,
        name: str,
        folder: Path,
        fingerprint: str,
        prompts: tuple[str, str],
        max_tokens: int = 512,
        batch_size: int = BATCH_SIZE,
        int8_queries: bool = True,
    ) -> None:
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_tokens)
        self.tokenizer.no_padding()  # batches are padded here, after sorting by length
        pad = self.tokenizer.token_to_id("<pad>")
        self.pad_id = 0 if pad is None else pad
        self.folder = folder
        self.name = name
        self.fingerprint = fingerprint
        self.batch_size = batch_size
        self.query_prefix, self.doc_prefix = prompts
        self.query_graph = QUERY_FILE if int8_queries else ONNX_FILE  # the graph questions go through
        self._sessions: dict[str, Any] = {}  # graph file → onnxruntime.InferenceSession
        self._lock = threading.Lock()
        self._stamp = _read_stamp(folder)
        self.dim = int(self._session(self.query_graph).get_outputs()[0].shape[-1])

    def _session(self, file: str) -> Any:
        """The ONNX Runtime session of one graph of the folder, created once (the lock is
        taken only to create one, so questions do not wait while the float graph loads)."""
        session = self._sessions.get(file)
        if session is not None:
            return session
        with self._lock:
            session = self._sessions.get(file)
            if session is None:
                import onnxruntime as ort

                if _read_stamp(self.folder) != self._stamp:
                    raise ModelLoadError(f"the model export in {self.folder} changed while this process ran; restart it")

                opts = ort.SessionOptions()
                opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
                opts.log_severity_level = 3  # warnings about unused initializers are noise
                path = self.folder / ONNX_DIR / file
                try:
                    session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
                except Exception as exc:  # a damaged file, or ops this onnxruntime does not have
                    raise ModelLoadError(
                        f"ONNX Runtime cannot load {path} ({_first_line(exc)}); delete {path.parent} to export the model again"
                    ) from exc
                self._sessions[file] = session
            return session

    def token_ids(self, text: str) -> list[int]:
        return self.tokenizer.encode(text).ids

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode([self.query_prefix + t for t in texts], self.query_graph, False)

    def encode_documents(self, texts: Sequence[str], show_progress: bool = False) -> np.ndarray:
        return self._encode([self.doc_prefix + t for t in texts], ONNX_FILE, show_progress)

    def _encode(self, texts: list[str], graph: str, show_progress: bool) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), np.float32)
        if not texts:
            return out
        session = self._session(graph)
        ids = [e.ids for e in self.tokenizer.encode_batch(texts)]
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        starts = range(0, len(order), self.batch_size)
        if show_progress:
            from tqdm import tqdm

            starts = tqdm(starts, desc="embedding", unit="batch")
        for s in starts:
            batch = order[s : s + self.batch_size]
            width = max(len(ids[i]) for i in batch)
            input_ids = np.full((len(batch), width), self.pad_id, np.int64)
            mask = np.zeros((len(batch), width), np.int64)
            for row, i in enumerate(batch):
                input_ids[row, : len(ids[i])] = ids[i]
                mask[row, : len(ids[i])] = 1
            out[batch] = session.run(None, {"input_ids": input_ids, "attention_mask": mask})[0]
        return out
