"""Format figures: does a seed read the same from PDF, Word and a web page as from its .txt?

``python -m qa.bench.formats [--out reports/formats.json]``

Each seed's text is rendered, here and now, by real libraries: a PDF with a text layer
(reportlab, the Adobe CJK font STSong-Light with an embedded Latin font for the
few characters it lacks, each line a wrapped paragraph whose
first line is indented two characters, as official documents are), a .docx
(python-docx, one paragraph a line) and a saved web page (breadcrumbs, navigation, a
来源/日期 line and a footer around the article). Each is then read back by
``qa.ingest`` like any user's file, chunked, and its clauses compared with the .txt
version's: the share that come out identical, same text (whitespace aside) and same
section path.
"""

from __future__ import annotations

import argparse
import html
import io
import json
import tempfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from qa.ingest import chunk_document
from qa.ingest.read import load_document
from qa.settings import PROJECT_ROOT

CJK_FONT = "STSong-Light"  # one of reportlab's Adobe CJK fonts: the reader's font, not embedded
FALLBACK_FONT = "Vera"  # embedded, for the few characters STSong-Light's mapping lacks


def render_pdf(text: str) -> bytes:
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))
    pdfmetrics.registerFont(TTFont(FALLBACK_FONT, "Vera.ttf"))  # shipped inside reportlab
    # 公文 layout: each paragraph's first line two characters in
    style = ParagraphStyle("zh", fontName=CJK_FONT, fontSize=12, leading=18, wordWrap="CJK", firstLineIndent=24)
    out = io.BytesIO()
    story = [Paragraph(_with_fallback(line), style) for line in text.splitlines() if line.strip()]
    SimpleDocTemplate(out).build(story)
    return out.getvalue()


def _with_fallback(line: str) -> str:
    """Paragraph markup for a line, characters the CJK font cannot map (the bullet "•")
    drawn in an embedded Latin font, as a word processor falls back to another font for them."""
    from pdfminer.cmapdb import CMapDB

    cmap = CMapDB.get_cmap("UniGB-UCS2-H")  # STSong-Light's Unicode mapping
    out = []
    for ch in line:
        drawn = not ch.strip() or ord(ch) > 0xFFFF or list(cmap.decode(ch.encode("utf-16-be")))
        out.append(html.escape(ch) if drawn else f'<font name="{FALLBACK_FONT}">{html.escape(ch)}</font>')
    return "".join(out)


def render_docx(text: str) -> bytes:
    import docx

    document = docx.Document()
    for line in text.splitlines():
        if line.strip():
            document.add_paragraph(line)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def render_html(text: str, title: str) -> bytes:
    """A government site's page: breadcrumbs, navigation, the title as its heading, a
    来源/日期 line, the article's paragraphs, a footer."""
    text = text.strip()
    text = text[len(title) :] if title and text.startswith(title) else text  # the heading says it
    body = "\n".join(f"<p>{html.escape(line)}</p>" for line in text.splitlines() if line.strip())
    page = f"""<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">
<title>{html.escape(title)}_政府信息公开</title><meta name="date" content="2024-07-31"></head><body>
<div class="nav"><a href="/">首页</a> <a href="/zwgk">政务公开</a> <a href="/zcwj">政策文件</a> <a href="/hd">互动交流</a></div>
<div class="crumbs">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk">政务公开</a> &gt; 政策文件</div>
<article><h1>{html.escape(title)}</h1>
<div class="info">来源：省人民政府办公厅　日期：2024-07-31　字号：【大 中 小】</div>
{body}
</article>
<div class="footer">主办单位：省人民政府办公厅　网站标识码：1400000001　备案号：晋ICP备00000000号<br>
<a href="/about">关于我们</a> <a href="/map">网站地图</a> <a href="/contact">联系我们</a></div>
</body></html>"""
    return page.encode("utf-8")


NOTO = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"  # Debian's fonts-noto-cjk
SCAN_WIDTH, SCAN_HEIGHT, SCAN_FONT = 1240, 1754, 30  # A4 at 150 dpi


def render_scanned_pdf(text: str, font_path: str = NOTO) -> bytes:
    """An image-only PDF, as a scanner makes it: each line a paragraph, wrapped at the
    margin with its first line two characters in, drawn with Pillow in Noto Sans CJK SC."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(font_path, SCAN_FONT, index=2)  # index 2: the SC face of the collection
    margin, step = 100, int(SCAN_FONT * 1.9)  # 公文 line spacing: about 1.8 times the character size
    width = SCAN_WIDTH - 2 * margin
    rows: list[tuple[int, str]] = []  # (x offset, text)
    for line in (ln.strip() for ln in text.splitlines()):
        if not line:
            continue
        indent, rest = 2 * SCAN_FONT, line
        while rest:
            n = 1
            while n < len(rest) and font.getlength(rest[: n + 1]) <= width - indent:
                n += 1
            rows.append((indent, rest[:n]))
            rest, indent = rest[n:], 0
    per_page = (SCAN_HEIGHT - 2 * margin) // step
    pages = []
    for start in range(0, len(rows), per_page):
        page = Image.new("L", (SCAN_WIDTH, SCAN_HEIGHT), 255)
        draw = ImageDraw.Draw(page)
        for i, (x, row) in enumerate(rows[start : start + per_page]):
            draw.text((margin + x, margin + i * step), row, font=font, fill=0)
        pages.append(page)
    out = io.BytesIO()
    pages[0].save(out, format="PDF", save_all=True, append_images=pages[1:], resolution=150)
    return out.getvalue()


def ocr_figures(seed: Path, folder: Path) -> dict[str, float]:
    """Character accuracy of the OCR'd clauses against the .txt, the share of section paths
    recovered, and pages per second."""
    import difflib
    import time

    doc = load_document(seed)
    path = folder / (seed.stem + ".scan.pdf")
    path.write_bytes(render_scanned_pdf(doc.raw))
    t0 = time.perf_counter()
    scanned = load_document(path)
    seconds = time.perf_counter() - t0
    want = "".join(c.text for c in chunk_document(doc))
    got = "".join(c.text for c in chunk_document(scanned))
    want, got = "".join(want.split()), "".join(got.split())
    sm = difflib.SequenceMatcher(None, want, got, autojunk=False)
    errors = sum(max(i2 - i1, j2 - j1) for op, i1, i2, j1, j2 in sm.get_opcodes() if op != "equal")
    paths_want = {c.section_path for c in chunk_document(doc)}
    paths_got = {c.section_path for c in chunk_document(scanned)}
    return {
        "char_accuracy": 1 - errors / max(1, len(want)),
        "sections_recovered": len(paths_want & paths_got) / max(1, len(paths_want)),
        "pages": len(scanned.pages),
        "pages_per_second": len(scanned.pages) / seconds,
    }


RENDERERS: dict[str, Callable[[str, str], bytes]] = {
    ".pdf": lambda text, _title: render_pdf(text),
    ".docx": lambda text, _title: render_docx(text),
    ".html": render_html,
}


def clauses(path: Path) -> Counter[tuple[str, str]]:
    """(text, section path) of every clause, whitespace aside: line breaks and blank lines
    are layout, which a PDF, a Word file or a web page draws in its own way."""
    doc = load_document(path)
    return Counter(("".join(c.text.split()), c.section_path) for c in chunk_document(doc))


def compare(seed: Path, folder: Path) -> dict[str, float]:
    """Share of the .txt version's clauses that each format reproduces exactly."""
    want = clauses(seed)
    doc = load_document(seed)
    out = {}
    for suffix, render in RENDERERS.items():
        path = folder / (seed.stem + suffix)
        path.write_bytes(render(doc.raw, doc.title))
        got = clauses(path)
        same = sum((want & got).values())
        out[suffix] = same / sum(want.values())
    return out


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, help="also write the figures as JSON")
    p.add_argument("--ocr", action="append", default=[], help="also scan this seed (file name) and OCR it")
    args = p.parse_args(argv)
    rows: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for seed in sorted((PROJECT_ROOT / "seeds").glob("*.txt")):
            rows[seed.name] = compare(seed, Path(tmp))
        scans = {name: ocr_figures(PROJECT_ROOT / "seeds" / name, Path(tmp)) for name in args.ocr}
    print(f"{'seed':28} " + " ".join(f"{s:>7}" for s in RENDERERS))
    for name, row in rows.items():
        print(f"{name:28} " + " ".join(f"{row[s]:7.1%}" for s in RENDERERS))
    for name, f in scans.items():
        print(
            f"scanned {name}: character accuracy {f['char_accuracy']:.1%}, section paths recovered "
            f"{f['sections_recovered']:.0%}, {f['pages']} pages at {f['pages_per_second']:.2f} pages/s"
        )
    if args.out:
        args.out.write_text(json.dumps({"formats": rows, "scanned": scans}, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
