import json

import pytest

from qa.ingest import load_corpus
from qa.ingest.read import decode_bytes

TEXT = "某省人民政府关于推进户籍制度改革的意见\n一、总体要求\n全面放开落户限制。\n某省人民政府\n2023年5月6日\n"


@pytest.mark.parametrize(
    "data,enc",
    [
        (TEXT.encode("utf-8"), "utf-8"),
        (b"\xef\xbb\xbf" + TEXT.encode("utf-8"), "utf-8-sig"),
        (TEXT.encode("gb18030"), "gb18030"),
        (TEXT.encode("utf-16"), "utf-16"),
    ],
)
def test_encodings_detected(data, enc):
    text, got = decode_bytes(data)
    assert got == enc and text.startswith("某省人民政府")


def test_bad_files_skipped_with_reason_rest_indexed(tmp_path):
    (tmp_path / "good.txt").write_text(TEXT, encoding="gb18030")
    (tmp_path / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (tmp_path / "empty.md").write_text("  \n", encoding="utf-8")
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.4")
    (tmp_path / "ignored.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    report = load_corpus(tmp_path)
    assert [d.doc_id for d in report.documents] == ["good.txt"]
    reasons = dict((p.split("/")[-1], r) for p, r in report.skipped)
    assert "binary" in reasons["image.txt"] and "empty" in reasons["empty.md"]
    assert reasons["broken.pdf"].startswith("not a readable PDF")
    assert "ignored.xls" not in reasons  # not a document type at all


def test_metadata_rules_and_sidecar(tmp_path):
    (tmp_path / "a.txt").write_text(TEXT, encoding="utf-8")
    doc = load_corpus(tmp_path).documents[0]
    assert doc.title == "某省人民政府关于推进户籍制度改革的意见"
    assert doc.issuer == "某省人民政府" and doc.year == 2023
    (tmp_path / "a.txt.meta.json").write_text(json.dumps({"region": "山西", "year": 2022}), encoding="utf-8")
    doc = load_corpus(tmp_path).documents[0]
    assert doc.region == "山西" and doc.year == 2022 and doc.issuer == "某省人民政府"


def test_sidecar_with_unknown_field_is_reported(tmp_path):
    (tmp_path / "a.txt").write_text(TEXT, encoding="utf-8")
    (tmp_path / "a.txt.meta.json").write_text(json.dumps({"auther": "x"}), encoding="utf-8")
    report = load_corpus(tmp_path)
    assert not report.documents and "unknown field 'auther'" in report.skipped[0][1]


def test_seed_metadata(seeds):
    docs = {d.doc_id[:3]: d for d in load_corpus(seeds).documents}
    assert len(docs) == 5
    assert docs["004"].doc_number == "国发〔2024〕17号" and docs["004"].issuer == "国务院" and docs["004"].region == "全国"
    assert docs["002"].year == 2019 and docs["002"].region == "山东"
    assert docs["003"].issuer == "湖南省推进新型城镇化工作领导小组办公室" and docs["003"].year == 2021
    assert docs["000"].year == 2016 and docs["000"].region == "山西"
    assert docs["000"].doc_number == ""  # 国发〔2016〕8号 is cited, not this document's number
