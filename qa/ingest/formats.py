"""File formats: each turns a file's bytes into text laid out in lines, through a library.

=============  ==================================================================
suffix         read by
=============  ==================================================================
.txt .md       UTF-8/UTF-16 by their BOM, else UTF-8, else the Chinese encoding
               ``charset-normalizer`` finds (GB18030/GBK, Big5 …)
.pdf           ``pdfplumber``: the text layer page by page; lines a page wraps are
               joined again (a line reaching the right margin goes on, unless the
               next one is indented or opens a numbered clause); page starts are
               kept for citations. A page without a text layer (a scan) is rendered
               (pdfplumber's pypdfium2) and read by OCR
.png .jpg      ``rapidocr-onnxruntime``: OCR with the PP-OCR models inside its wheel
               (nothing downloaded), lines laid out as on a PDF page
.docx          ``python-docx``: paragraphs and table rows in document order
.html .htm     ``trafilatura``: the article only (no breadcrumbs, navigation or
               footer); its date and source are kept as hints for the metadata
=============  ==================================================================

Every format then goes through the same normalizer and clause chunker. A reader
raises ``ValueError`` with a one-line reason when a file cannot be read.
"""

from __future__ import annotations

import functools
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field

OCR_DPI = 200  # scans are rendered at this resolution for OCR

# a numbered clause opening a line: 第X条, 一、, (一), 1. / 1、, (1)
_CN = "一二三四五六七八九十百零〇"
_OPENS_CLAUSE = re.compile(rf"^\s*(?:第[{_CN}\d]+[编章节条]|[{_CN}]+、|[(（][{_CN}\d]+[)）]|\d{{1,2}}[.、](?!\d))")


@dataclass(frozen=True)
class Extracted:
    """A file's text, lines as its source lays them out, and what else the format tells."""

    text: str
    encoding: str  # the text encoding, or the format ("pdf", "docx", "html")
    pages: tuple[int, ...] = ()  # PDF: offset in ``text`` where each page starts
    hints: dict[str, str] = field(default_factory=dict)  # e.g. {"date": "2024-07-31", "source": "…"}


# -- text -------------------------------------------------------------------------------

_CHINESE_ENCODINGS = ["gb18030", "big5", "big5hkscs", "utf_16", "utf_32"]


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode ``data`` as text; return (text, encoding). Raises ``ValueError`` if binary."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    if b"\x00" in data:
        raise ValueError("binary file (contains NUL bytes)")
    try:
        text, encoding = data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        text, encoding = _detect(data)
    controls = sum(1 for c in text if ord(c) < 32 and c not in "\r\n\t\f")
    if controls > max(2, len(text) // 100):
        raise ValueError("binary file (control characters)")
    return text, encoding


def _detect(data: bytes) -> tuple[str, str]:
    """The Chinese encoding ``charset-normalizer`` finds most plausible (Big5 text decodes
    as GB18030 too, into garbage: the byte values alone cannot tell them apart)."""
    from charset_normalizer import from_bytes

    best = from_bytes(data, cp_isolation=_CHINESE_ENCODINGS).best()
    if best is None:
        raise ValueError("not text in UTF-8 or a Chinese encoding (GB18030/GBK, Big5)")
    return str(best), best.encoding


def read_text(data: bytes) -> Extracted:
    text, encoding = decode_bytes(data)
    return Extracted(text, encoding)


# -- PDF --------------------------------------------------------------------------------


def _page_lines(lines: list[dict]) -> list[tuple[str, bool, bool]]:
    """Each line of one page: its text, whether it reaches the right margin (within four
    characters: a Latin word or a pinyin group is never broken, so a wrapped line may stop
    short), and whether it is indented (公文 paragraphs begin two characters in)."""
    if not lines:
        return []
    right = max(line["x1"] for line in lines)
    left = min(line["x0"] for line in lines)
    sizes = [line["chars"][0]["size"] for line in lines if line.get("chars")] or [10.0]
    size = sum(sizes) / len(sizes)
    return [(line["text"].strip(), line["x1"] >= right - 4 * size, line["x0"] > left + size / 2) for line in lines]


def _unwrap(lines: list[dict], out: list[str], carry: bool) -> bool:
    """Append a page's lines to ``out``, joining those the page wrapped; returns whether
    the page's last line goes on to the next page."""
    for text, full, indented in _page_lines(lines):
        if carry and out and not indented and not _OPENS_CLAUSE.match(text):
            out[-1] += text
        else:
            out.append(text)
        carry = full
    return carry


def read_pdf(data: bytes) -> Extracted:
    import pdfplumber
    from pdfminer.pdfparser import PDFSyntaxError
    from pdfminer.psparser import PSException
    from pdfplumber.utils.exceptions import PdfminerException

    out: list[str] = []  # lines of the document, wrapped lines joined again, across pages too
    page_first_line: list[int] = []
    carry = False
    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            scanned = [i for i, page in enumerate(pdf.pages) if not page.chars]
            bar = _progress(len(scanned))
            for i, page in enumerate(pdf.pages):
                page_first_line.append(len(out) - (1 if carry else 0))
                if i in scanned:
                    lines = ocr_lines(page.to_image(resolution=OCR_DPI).original)
                    bar.update(1)
                else:
                    lines = page.extract_text_lines(return_chars=True)
                carry = _unwrap(lines, out, carry)
            bar.close()
    except (PdfminerException, PDFSyntaxError, PSException, ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"not a readable PDF ({type(exc).__name__}: {exc})") from exc
    if not any(line.strip() for line in out):
        raise ValueError("no text in the PDF, not even by OCR")
    starts = [0]
    for line in out:
        starts.append(starts[-1] + len(line) + 1)
    pages = tuple(starts[max(0, i)] for i in page_first_line)
    return Extracted("\n".join(out), "pdf", pages)


# -- scans -------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _ocr_engine():
    try:
        from rapidocr_onnxruntime import RapidOCR
    except ImportError as exc:  # opencv needs libGL: apt-get install libgl1 libglib2.0-0
        raise ValueError(f"OCR is not available on this machine ({exc})") from exc
    return RapidOCR()


def _progress(total: int):
    from tqdm import tqdm

    return tqdm(total=total, desc="OCR", unit="page", disable=total == 0 or None)


def ocr_lines(image) -> list[dict]:
    """Text lines of a page image, top to bottom, shaped like pdfplumber's text lines
    (text, x0, x1 and a character size: the box height) so one unwrapping serves both."""
    import numpy as np

    result, _elapsed = _ocr_engine()(np.asarray(image.convert("RGB")))
    lines = []
    for box, text, _confidence in result or []:
        xs, ys = [p[0] for p in box], [p[1] for p in box]
        lines.append({"text": text, "x0": min(xs), "x1": max(xs), "top": min(ys), "chars": [{"size": max(ys) - min(ys)}]})
    return sorted(lines, key=lambda line: (round(line["top"] / 8), line["x0"]))


def read_image(data: bytes) -> Extracted:
    from PIL import Image, UnidentifiedImageError

    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError) as exc:
        raise ValueError(f"not a readable image ({exc})") from exc
    lines: list[str] = []
    _unwrap(ocr_lines(image), lines, False)
    if not lines:
        raise ValueError("no text found in the image by OCR")
    return Extracted("\n".join(lines), "ocr")


# -- Word ---------------------------------------------------------------------------------


def read_docx(data: bytes) -> Extracted:
    import docx
    from docx.oxml.ns import qn

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises zipfile, KeyError or its own errors
        raise ValueError(f"not a readable .docx ({type(exc).__name__})") from exc
    lines: list[str] = []
    body = document.element.body
    for block in body.iterchildren():
        if block.tag == qn("w:p"):
            lines.append("".join(t.text or "" for t in block.iter(qn("w:t"))))
        elif block.tag == qn("w:tbl"):
            for row in block.iter(qn("w:tr")):
                cells = ["".join(t.text or "" for t in cell.iter(qn("w:t"))) for cell in row.iter(qn("w:tc"))]
                lines.append(" | ".join(cells))
    return Extracted("\n".join(lines), "docx")


# -- web pages ----------------------------------------------------------------------------


def read_html(data: bytes) -> Extracted:
    import trafilatura

    html, _encoding = decode_bytes(data)
    text = trafilatura.extract(html, include_comments=False, include_tables=True, favor_recall=True)
    if not text or not text.strip():
        raise ValueError("no article text found in the web page")
    text = _heading_once(text)
    meta = trafilatura.extract_metadata(html)
    hints = {}
    if meta is not None:
        hints = {k: v for k, v in (("date", meta.date), ("source", meta.sitename), ("title", meta.title)) if v}
    return Extracted(text, "html", hints=hints)


def _heading_once(text: str) -> str:
    """The page's heading and the article's own first line are often the same title
    (the heading cleaned up, the article as written): keep the article's."""
    from qa.ingest.normalize import normalize_query

    lines = text.split("\n", 2)
    if len(lines) > 1 and "".join(normalize_query(lines[0]).split()) == "".join(normalize_query(lines[1]).split()):
        return "\n".join(lines[1:])
    return text


READERS: dict[str, Callable[[bytes], Extracted]] = {
    ".txt": read_text,
    ".md": read_text,
    ".pdf": read_pdf,
    ".docx": read_docx,
    ".html": read_html,
    ".htm": read_html,
    ".png": read_image,
    ".jpg": read_image,
    ".jpeg": read_image,
}
SUFFIXES = tuple(READERS)


def extract(suffix: str, data: bytes) -> Extracted:
    """The text of a file with this suffix; ``ValueError`` with a reason if it cannot be read."""
    reader = READERS.get(suffix.lower())
    if reader is None:
        raise ValueError(f"only {', '.join(SUFFIXES)} documents can be read")
    return reader(data)
