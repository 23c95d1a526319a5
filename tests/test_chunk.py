import itertools
import re

from qa.ingest import load_corpus, load_document
from qa.ingest.chunk import chunk_document, cn_to_int, find_markers

CN_ITEMS = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二", "十三", "十四", "十五",
            "十六", "十七", "十八", "十九", "二十", "二十一", "二十二", "二十三", "二十四", "二十五"]  # fmt: skip


def _docs(seeds):
    return {d.doc_id[:3]: d for d in load_corpus(seeds).documents}


def test_cn_numerals():
    assert [cn_to_int(s) for s in ("一", "十", "十一", "二十", "二十五", "一百零三", "12")] == [1, 10, 11, 20, 25, 103, 12]


def test_every_item_of_002_starts_its_own_chunk(seeds):
    doc = _docs(seeds)["002"]
    chunks = chunk_document(doc)
    for item in CN_ITEMS:
        owners = [c for c in chunks if c.text.startswith(f"({item})")]
        assert len(owners) == 1, item
        assert owners[0].section[-1].startswith(f"({item})")


def test_no_chunk_crosses_a_clause_boundary(seeds):
    doc = _docs(seeds)["002"]
    for c in chunk_document(doc):
        inner = re.findall(r"\n\s*\(([一二三四五六七八九十]+)\)", c.text)
        assert not inner, (c.chunk_id, inner)


def test_chunks_tile_each_document_without_loss(seeds):
    for doc in _docs(seeds).values():
        chunks = chunk_document(doc)
        assert chunks[0].start == 0 and chunks[-1].end == len(doc.text)
        for a, b in itertools.pairwise(chunks):
            assert a.end == b.start
        joined = "".join(c.text for c in chunks)
        assert re.sub(r"\s", "", joined) == re.sub(r"\s", "", doc.text)


def test_inline_markers_in_file_without_line_breaks(seeds):
    doc = _docs(seeds)["000"]
    assert "\n" not in doc.raw
    chunks = chunk_document(doc)
    paths = [c.section_path for c in chunks]
    assert "二、积极推进农业转移人口市民化 › (二)全面落实居住证制度" in paths
    assert any(p.startswith("四、加快培育中小城市和特色小城镇 › (十二)") for p in paths)


def test_nested_numbering_path(seeds):
    chunks = chunk_document(_docs(seeds)["004"])
    c = next(c for c in chunks if "随迁子女在流入地受教育权利" in c.text)
    assert c.section == ("二、实施新一轮农业转移人口市民化行动", "(二)重点任务", "4.保障随迁子女在流入地受教育权利")
    dash = [c for c in chunks if c.text.startswith("——")]
    assert len(dash) == 4 and all(c.section[0] == "一、总体要求" for c in dash)


def test_preamble_and_signoff_are_chunks(seeds):
    chunks = chunk_document(_docs(seeds)["002"])
    assert [c.kind for c in chunks[:3]] == ["heading", "furniture", "preamble"]  # title, "分类:… 浏览:…", salutation
    assert chunks[0].section == () and chunks[0].text.startswith("山东省城镇化工作领导小组办公室《关于印发")
    assert chunks[-1].kind == "signoff" and "2019年7月3日" in chunks[-1].text


def test_offsets_point_into_the_original_text(seeds):
    doc = _docs(seeds)["004"]
    for c in chunk_document(doc):
        original = doc.raw[c.orig_start : c.orig_end]
        assert original.strip()
        # the original, normalized, is the clause (pinyin and traditional forms undone)
        from qa.ingest.normalize import normalize

        assert re.sub(r"\s", "", normalize(original).text) == re.sub(r"\s", "", c.text)


def test_long_clause_split_at_sentences_keeps_path(tmp_path):
    body = "。".join(f"第{i}句话讲的是落户政策的第{i}个方面内容" for i in range(60)) + "。"
    (tmp_path / "law.txt").write_text(
        f"某某条例\n第一章 总则\n第一条 {body}\n第二条 附则。本条例自发布之日起施行。\n", encoding="utf-8"
    )
    doc = load_document(tmp_path / "law.txt")
    chunks = chunk_document(doc, max_chars=200)
    parts = [c for c in chunks if c.section and c.section[-1].startswith("第一条")]
    assert len(parts) > 3
    assert all(len(c.text) <= 200 for c in parts)
    assert all(c.section[0].startswith("第一章") for c in parts)
    assert all(c.text.endswith("。") for c in parts)
    assert any(c.section and c.section[-1].startswith("第二条") for c in chunks)


def test_sequence_check_rejects_stray_numbers():
    text = "一、总则\n本办法所称人口为2.5万人。1.第一项。3.不是第二项\n2.第二项。\n"
    kinds = [(m.kind.name, m.number) for m in find_markers(text)]
    assert ("arabic", 3) not in kinds and ("arabic", 2) in kinds and ("arabic", 1) in kinds
