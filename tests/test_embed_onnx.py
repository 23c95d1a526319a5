"""ONNX export and the ONNX Runtime encoder, on a tiny random BERT (no real weights needed).

The tiny model goes through the same code as the default one: sentence-transformers
folder → ``export_onnx`` → ``OnnxEncoder``; its vectors must equal PyTorch's, whatever the
batch, padding and order.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from qa.errors import ModelLoadError
from qa.models.onnx import (
    FILES,
    ONNX_DIR,
    ONNX_FILE,
    QUERY_FILE,
    STAMP_FILE,
    OnnxEncoder,
    OnnxExportError,
    export_onnx,
    onnx_is_current,
)

WORDS = "外地 人 在 太原 落户 需要 什么 条件 农民工 孩子 能 上 公办 学校 吗 保障性 租赁 住房 有 多少 套".split()
TEXTS = [
    "太原 落户",
    "外地 人 在 太原 落户 需要 什么 条件",
    "农民工 孩子 能 上 公办 学校 吗 未知词",
    "保障性 租赁 住房 有 多少 套 保障性 租赁 住房 有 多少 套 保障性 租赁 住房",
    "吗",
]


@pytest.fixture(scope="module")
def tiny_folder(tmp_path_factory) -> Path:
    torch = pytest.importorskip("torch")
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer
    from tokenizers import Tokenizer, pre_tokenizers, processors
    from tokenizers.models import WordLevel
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    base = tmp_path_factory.mktemp("tiny")
    specials = ["<s>", "<pad>", "</s>", "<unk>", "query:", "passage:"]
    vocab = {w: i for i, w in enumerate(specials + WORDS)}
    tok = Tokenizer(WordLevel(vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tok.post_processor = processors.TemplateProcessing(single="<s> $A </s>", special_tokens=[("<s>", 0), ("</s>", 2)])
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>", pad_token="<pad>", unk_token="<unk>")
    torch.manual_seed(0)
    cfg = BertConfig(
        vocab_size=len(vocab),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=64,
        pad_token_id=1,
    )
    hf = base / "hf"
    BertModel(cfg).save_pretrained(hf)
    fast.save_pretrained(hf)
    st = SentenceTransformer(modules=[Transformer(str(hf), max_seq_length=64), Pooling(32, "mean"), Normalize()], device="cpu")
    st.save(str(base / "st"))
    return base / "st"


def test_onnx_vectors_equal_pytorch_whatever_the_batch(tiny_folder):
    from sentence_transformers import SentenceTransformer

    export_onnx(tiny_folder, "tiny-v1")
    assert onnx_is_current(tiny_folder, "tiny-v1") and not onnx_is_current(tiny_folder, "other-weights")
    ref = SentenceTransformer(str(tiny_folder), device="cpu").encode(["passage: " + t for t in TEXTS], normalize_embeddings=True)
    for batch_size in (1, 2, 4, 16):  # padding inside a batch must not change a vector
        enc = OnnxEncoder("tiny", tiny_folder, "fp", prompts=("query: ", "passage: "), batch_size=batch_size)
        got = enc.encode_documents(TEXTS)
        assert got.shape == (len(TEXTS), 32)
        np.testing.assert_allclose(got, ref, atol=1e-5)
    # prompts are applied: a query differs from the same text as a passage (both in float)
    as_float = OnnxEncoder("tiny", tiny_folder, "fp", prompts=("query: ", "passage: "), int8_queries=False)
    assert float(as_float.encode_queries(TEXTS[:1])[0] @ got[0]) < 0.9999
    assert enc.encode_queries([]).shape == (0, 32)
    assert enc.token_ids("太原 落户") == [0, 6 + WORDS.index("太原"), 6 + WORDS.index("落户"), 2]


def test_questions_go_through_the_int8_graph_close_to_the_float_one(tiny_folder):
    from sentence_transformers import SentenceTransformer

    export_onnx(tiny_folder, "tiny-v1")
    ref = SentenceTransformer(str(tiny_folder), device="cpu").encode(["query: " + t for t in TEXTS], normalize_embeddings=True)
    int8 = OnnxEncoder("tiny", tiny_folder, "fp", prompts=("query: ", "passage: "))
    as_float = OnnxEncoder("tiny", tiny_folder, "fp", prompts=("query: ", "passage: "), int8_queries=False)
    np.testing.assert_allclose(as_float.encode_queries(TEXTS), ref, atol=1e-5)
    got = int8.encode_queries(TEXTS)
    assert ONNX_FILE not in int8._sessions  # questions alone never load the float graph
    cosine = np.sum(got * ref, axis=1)
    assert cosine.min() > 0.98, cosine  # the same model, weights rounded to 7 bits
    assert np.abs(got - ref).max() > 1e-4  # and really the int8 graph, not the float one
    # documents stay in float whichever graph questions use
    st = SentenceTransformer(str(tiny_folder), device="cpu")
    passages = st.encode(["passage: " + t for t in TEXTS], normalize_embeddings=True)
    np.testing.assert_allclose(int8.encode_documents(TEXTS), passages, atol=1e-5)


def test_each_layers_attention_is_one_fused_op_in_both_graphs(tiny_folder):
    import json

    import onnx

    export_onnx(tiny_folder, "tiny-v1")
    out = tiny_folder / ONNX_DIR

    def graph(name: str) -> onnx.GraphProto:
        return onnx.load(str(out / name), load_external_data=False).graph

    layers = 2  # the tiny BERT's
    documents = [n.op_type for n in graph(ONNX_FILE).node]
    questions = [n.op_type for n in graph(QUERY_FILE).node]
    # exported from SDPA, attention is a chain of reshapes and a Softmax that no fusion knows
    assert documents.count("Attention") == layers and "Softmax" not in documents
    assert questions.count("QAttention") == layers and "Softmax" not in questions
    stamp = json.loads((out / STAMP_FILE).read_text())
    assert stamp["fused"]["Attention"] == stamp["layers"] == layers
    # the embeddings are not fused, so the question graph's word table is a plain 8-bit Gather
    assert "EmbedLayerNormalization" not in documents + questions
    vocab = 6 + len(WORDS)
    tables = [t for t in graph(QUERY_FILE).initializer if t.dims and t.dims[0] == vocab]
    assert tables and all(t.data_type in (onnx.TensorProto.INT8, onnx.TensorProto.UINT8) for t in tables)


def test_the_fused_graph_reads_the_mask_as_given_even_left_padded(tiny_folder):
    """The fused Attention op takes the raw mask, not lengths that assume right padding."""
    import onnxruntime as ort
    import torch
    from sentence_transformers import SentenceTransformer

    export_onnx(tiny_folder, "tiny-v1")
    enc = OnnxEncoder("tiny", tiny_folder, "fp", prompts=("query: ", "passage: "))
    ids = [enc.token_ids("passage: " + t) for t in TEXTS]
    width = max(map(len, ids))
    input_ids = np.full((len(ids), width), enc.pad_id, np.int64)
    mask = np.zeros((len(ids), width), np.int64)
    for row, seq in enumerate(ids):  # padding on the left
        input_ids[row, width - len(seq) :] = seq
        mask[row, width - len(seq) :] = 1
    session = ort.InferenceSession(str(tiny_folder / ONNX_DIR / ONNX_FILE), providers=["CPUExecutionProvider"])
    got = session.run(None, {"input_ids": input_ids, "attention_mask": mask})[0]
    bert = SentenceTransformer(str(tiny_folder), device="cpu")[0].auto_model.eval()
    with torch.no_grad():
        hidden = bert(input_ids=torch.from_numpy(input_ids), attention_mask=torch.from_numpy(mask)).last_hidden_state
    m = torch.from_numpy(mask).unsqueeze(-1).float()
    ref = torch.nn.functional.normalize((hidden * m).sum(1) / m.sum(1), dim=1).numpy()
    np.testing.assert_allclose(got, ref, atol=1e-5)


def test_a_graph_whose_vectors_are_not_pytorchs_is_refused_in_one_line(tiny_folder):
    from qa.models.onnx import _check, _Traced

    export_onnx(tiny_folder, "tiny-v1")
    enc = OnnxEncoder("tiny", tiny_folder, "fp", prompts=("query: ", "passage: "))
    ids = np.array([enc.token_ids("passage: 太原 落户")], np.int64)
    inputs = {"input_ids": ids, "attention_mask": np.ones_like(ids)}
    right = enc.encode_documents(["太原 落户"])
    graph = tiny_folder / ONNX_DIR / ONNX_FILE
    _check(graph, _Traced(2, 32, 2, inputs, right))  # its own vectors pass
    with pytest.raises(RuntimeError) as err:
        _check(graph, _Traced(2, 32, 2, inputs, right[:, ::-1].copy()))
    assert "\n" not in str(err.value) and "differ from PyTorch's" in str(err.value)


def test_an_export_redone_under_a_running_encoder_is_refused_in_one_line(tiny_folder):
    export_onnx(tiny_folder, "tiny-v1")
    enc = OnnxEncoder("tiny", tiny_folder, "fp", prompts=("query: ", "passage: "))
    enc.encode_queries(TEXTS[:1])
    stamp = tiny_folder / ONNX_DIR / STAMP_FILE
    before = stamp.read_text()
    try:
        stamp.write_text(before.replace('"tiny-v1"', '"tiny-v2"'))  # another process exported other weights
        with pytest.raises(ModelLoadError) as err:
            enc.encode_documents(TEXTS[:1])  # would load the new float graph beside the old int8 one
        assert "\n" not in str(err.value) and "restart" in str(err.value)
    finally:
        stamp.write_text(before)


def test_a_failed_quantization_fails_in_one_line_and_keeps_the_old_export(tiny_folder, monkeypatch):
    import qa.models.onnx as mod

    export_onnx(tiny_folder, "tiny-v1")
    before = {name: (tiny_folder / ONNX_DIR / name).read_bytes() for name in FILES}

    def broken(source, target):
        raise RuntimeError("[ONNXRuntimeError] : 1 : FAIL :\nline two\nline three")

    monkeypatch.setattr(mod, "_quantize_for_queries", broken)
    with pytest.raises(OnnxExportError) as err:
        export_onnx(tiny_folder, "tiny-v2")
    assert "\n" not in str(err.value) and "FAIL" in str(err.value)
    assert not list(tiny_folder.glob(ONNX_DIR + ".tmp-*"))
    assert {name: (tiny_folder / ONNX_DIR / name).read_bytes() for name in FILES} == before
    assert onnx_is_current(tiny_folder, "tiny-v1")


@pytest.mark.parametrize("damaged", FILES)
def test_a_damaged_export_is_redone(tiny_folder, damaged):
    export_onnx(tiny_folder, "tiny-v1")
    data = tiny_folder / ONNX_DIR / damaged
    before = data.read_bytes()
    with open(data, "r+b") as fh:  # a copy cut short
        fh.truncate(len(before) // 2)
    assert not onnx_is_current(tiny_folder, "tiny-v1")
    export_onnx(tiny_folder, "tiny-v1")
    assert onnx_is_current(tiny_folder, "tiny-v1") and data.read_bytes() == before
    assert not list(tiny_folder.glob(ONNX_DIR + ".tmp-*"))  # no leftovers


def test_export_of_a_folder_without_a_model_fails_in_one_line(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(OnnxExportError) as err:
        export_onnx(tmp_path, "x")
    assert "\n" not in str(err.value) and str(tmp_path) in str(err.value)
    assert not (tmp_path / ONNX_DIR).exists()


def test_two_processes_exporting_at_once_both_succeed(tiny_folder, monkeypatch):
    import os
    import shutil

    import qa.models.onnx as mod

    export_onnx(tiny_folder, "tiny-v1")
    finished = tiny_folder.parent / "finished-export"
    shutil.copytree(tiny_folder / ONNX_DIR, finished)
    shutil.rmtree(tiny_folder / ONNX_DIR)
    real_replace = os.replace

    def other_process_wins(src, dst):
        shutil.copytree(finished, dst)  # the other export lands between our rmtree and rename
        real_replace(src, dst)  # so this rename fails: the target is not empty

    monkeypatch.setattr(mod.os, "replace", other_process_wins)
    path = export_onnx(tiny_folder, "tiny-v1")
    assert path == tiny_folder / ONNX_DIR / "model.onnx" and onnx_is_current(tiny_folder, "tiny-v1")
    assert not list(tiny_folder.glob(ONNX_DIR + ".tmp-*"))
