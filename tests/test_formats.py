"""Real files in: PDF, Word, web pages and Big5 text, each made at test time by a real library.

Fixtures come from ``qa.bench.formats`` (reportlab renders a text PDF with an Adobe CJK
font, python-docx writes the .docx, the web page has breadcrumbs and a footer); they
are read back through ``qa.ingest`` exactly as a user's file is.
"""

from __future__ import annotations

import io
import json

import pytest

from qa.bench.formats import clauses, render_docx, render_html, render_pdf
from qa.ingest import chunk_document, load_corpus
from qa.ingest.read import load_document
from qa.serve.answer import citation, make_hits
from qa.settings import PROJECT_ROOT

SEED = PROJECT_ROOT / "seeds" / "001_5761e3c3252a412b.txt"  # the Shanxi plan's 解读: 4 headed sections
LONG = PROJECT_ROOT / "seeds" / "004_22f10f2e85e2a610.txt"  # the national plan: several pages


@pytest.fixture(scope="module")
def seed_text() -> str:
    return load_document(SEED).raw


def _write(tmp_path, name: str, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_a_text_pdf_gives_the_clauses_of_the_txt_and_their_pages(tmp_path):
    doc_txt = load_document(LONG)
    pdf = _write(tmp_path, "plan.pdf", render_pdf(doc_txt.raw))
    want, got = clauses(LONG), clauses(pdf)
    assert sum((want & got).values()) / sum(want.values()) >= 0.98
    doc = load_document(pdf)
    assert doc.encoding == "pdf" and len(doc.pages) >= 3 and doc.pages[0] == 0
    chunks = chunk_document(doc)
    pages = [c.page for c in chunks]
    assert pages[0] == 1 and pages == sorted(pages) and pages[-1] == len(doc.pages)
    assert doc.title == doc_txt.title and doc.doc_number == doc_txt.doc_number


def test_a_pdf_clause_is_cited_with_its_page(tmp_path, qa):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    _write(corpus, "plan.pdf", render_pdf(load_document(LONG).raw))
    common = ["--corpus", corpus, "--model", "hashing", "--embeddings", tmp_path / "emb"]
    r = qa("ask", "城市更新行动", "--json", *common)
    assert r.returncode == 0, r.stderr
    hits = json.loads(r.stdout)["results"]
    assert hits and all(h["page"] >= 1 and h["citation"].endswith(f"第{h['page']}页") for h in hits)


def test_a_docx_gives_the_same_clauses_and_reads_tables(tmp_path, seed_text):
    path = _write(tmp_path, "plan.docx", render_docx(seed_text))
    assert clauses(path) == clauses(SEED)
    import docx

    document = docx.Document(io.BytesIO(path.read_bytes()))
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text, table.rows[0].cells[1].text = "城镇化率", "70%"
    out = io.BytesIO()
    document.save(out)
    doc = load_document(_write(tmp_path, "with-table.docx", out.getvalue()))
    assert doc.encoding == "docx" and "城镇化率 | 70%" in doc.text


def test_a_saved_web_page_gives_the_article_only_and_its_date(tmp_path, seed_text):
    title = load_document(SEED).title
    page = render_html(seed_text, title)
    path = _write(tmp_path, "page.html", page)
    doc = load_document(path)
    for furniture in ("互动交流", "当前位置：", "网站标识码", "备案号", "网站地图", "字号：【"):  # the page's, not the seed's
        assert furniture in page.decode() and furniture not in doc.text
    want = clauses(SEED)
    assert want & clauses(path) == want  # every clause of the .txt (the page adds its heading)
    draft = PROJECT_ROOT / "seeds" / "003_217c44fc42c73619.txt"  # its first line: the title in 繁体 with pinyin
    doc = load_document(draft)
    repeated = _write(tmp_path, "draft.html", render_html(doc.raw, doc.title))  # <h1> clean, article as written
    assert clauses(repeated) == clauses(draft)  # the heading the article repeats is read once
    bare = "<html><head><meta name='date' content='2023-05-06'></head><body><article>"
    bare += "<p>某市关于租房补贴的通知</p><p>一、补贴对象。新市民租房每月补贴500元,按季度发放。</p></article></body></html>"
    assert load_document(_write(tmp_path, "bare.htm", bare.encode())).year == 2023  # from the page's date


def test_big5_text_is_detected_not_read_as_gb18030(tmp_path):
    text = "臺北市政府關於居住證的通知\n一、申領條件\n(一)在本市居住滿半年並有合法穩定就業的,可以申領居住證。\n"
    path = _write(tmp_path, "big5.txt", text.encode("big5"))
    assert text.encode("big5").decode("gb18030")  # decodes without error, into garbage: why detection matters
    doc = load_document(path)
    assert doc.encoding.startswith("big5") and doc.title == "台北市政府关于居住证的通知"  # normalized to Simplified
    assert "居住满半年" in doc.text


def test_unreadable_and_scanned_files_are_refused_with_their_reason(tmp_path, qa):
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    c = canvas.Canvas(out)
    c.rect(100, 100, 300, 400, fill=1)  # an image-only page: no text layer
    c.showPage()
    c.save()
    scanned = _write(tmp_path, "scan.pdf", out.getvalue())
    broken = _write(tmp_path, "broken.pdf", b"%PDF-1.4\n garbage")
    not_docx = _write(tmp_path, "fake.docx", b"PK\x03\x04 not a zip")
    report = load_corpus(tmp_path)
    reasons = dict((p.rsplit("/", 1)[-1], r) for p, r in report.skipped)
    assert reasons["scan.pdf"] == "no text in the PDF, not even by OCR"  # a black box, nothing to read
    assert reasons["broken.pdf"].startswith("not a readable PDF")
    assert reasons["fake.docx"].startswith("not a readable .docx")
    for path in (scanned, broken, not_docx):
        r = qa("add", path, "--corpus", PROJECT_ROOT / "seeds", "--model", "hashing", "--embeddings", tmp_path / "emb")
        assert r.returncode == 2 and path.name in r.stderr and "Traceback" not in r.stderr


def test_hits_carry_no_page_for_formats_without_pages(hashing_engine):
    hits = make_hits(hashing_engine.index, [0], [1.0], [1.0], [1.0])
    assert hits[0].page == 0 and "页" not in citation(hits[0])


SCAN_TEXT = """某市人民政府关于进一步做好居住证工作的通知
一、申领条件
(一)在本市居住满半年、有合法稳定就业的,可以申领居住证。
(二)申领居住证应当提交身份证和居住证明。
二、附则
本通知自2020年3月1日起施行。
"""


@pytest.mark.model
def test_a_scanned_pdf_and_an_image_are_read_by_ocr(tmp_path):
    from qa.bench.formats import render_scanned_pdf

    txt = _write(tmp_path, "notice.txt", SCAN_TEXT.encode())
    scan = _write(tmp_path, "notice.pdf", render_scanned_pdf(SCAN_TEXT))
    doc = load_document(scan)
    assert doc.encoding == "pdf" and len(doc.pages) == 1
    want, got = clauses(txt), clauses(scan)
    assert sum((want & got).values()) >= len(want) - 1  # OCR may miss a character in one clause
    assert {path for _t, path in want} == {path for _t, path in got}  # every section path recovered
    assert doc.effective == "2020-03-01"
    import pdfplumber

    with pdfplumber.open(scan) as pdf:  # the scan as a photo of the page
        pdf.pages[0].to_image(resolution=150).original.save(tmp_path / "notice.png")
    image_doc = load_document(tmp_path / "notice.png")
    assert image_doc.encoding == "ocr" and image_doc.title == "某市人民政府关于进一步做好居住证工作的通知"
