"""File formats: each turns a file's bytes into text laid out in lines, through a library.

=============  ==================================================================
suffix         read by
=============  ==================================================================
.txt .md       UTF-8/UTF-16 by their BOM, else UTF-8, else the Chinese encoding
               ``charset-normalizer`` finds (GB18030/GBK, Big5 …)
.pdf           ``pdfplumber``: the text layer page by page; lines a page wraps are
               joined again (a line reaching the right margin goes on, unless the
               next one is indented or opens a numbered clause); page starts are
               kept for citations
.docx          ``python-docx``: paragraphs and table rows in document order
.html .htm     ``trafilatura``: the article only (no breadcrumbs, navigation or
               footer); its date and source are kept as hints for the metadata
=============  ==================================================================

Every format then goes through the same normalizer and clause chunker. A reader
raises ``ValueError`` with a one-line reason when a file cannot be read; a scanned
PDF (no text layer) is refused as such.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field

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
            for page in pdf.pages:
                page_first_line.append(len(out) - (1 if carry else 0))
                for text, full, indented in _page_lines(page.extract_text_lines(return_chars=True)):
                    if carry and out and not indented and not _OPENS_CLAUSE.match(text):
                        out[-1] += text
                    else:
                        out.append(text)
                    carry = full
    except (PdfminerException, PDFSyntaxError, PSException, ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"not a readable PDF ({type(exc).__name__})") from exc
    if not any(line.strip() for line in out):
        raise ValueError("scanned PDF: no page has a text layer (OCR is not available yet)")
    starts = [0]
    for line in out:
        starts.append(starts[-1] + len(line) + 1)
    pages = tuple(starts[max(0, i)] for i in page_first_line)
    return Extracted("\n".join(out), "pdf", pages)


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
    meta = trafilatura.extract_metadata(html)
    hints = {}
    if meta is not None:
        hints = {k: v for k, v in (("date", meta.date), ("source", meta.sitename), ("title", meta.title)) if v}
    return Extracted(text, "html", hints=hints)


READERS: dict[str, Callable[[bytes], Extracted]] = {
    ".txt": read_text,
    ".md": read_text,
    ".pdf": read_pdf,
    ".docx": read_docx,
    ".html": read_html,
    ".htm": read_html,
}
SUFFIXES = tuple(READERS)


def extract(suffix: str, data: bytes) -> Extracted:
    """The text of a file with this suffix; ``ValueError`` with a reason if it cannot be read."""
    reader = READERS.get(suffix.lower())
    if reader is None:
        raise ValueError(f"only {', '.join(SUFFIXES)} documents can be read")
    return reader(data)
