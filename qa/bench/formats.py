"""Format figures: does a seed read the same from PDF, Word and a web page as from its .txt?

``python -m qa.bench.formats [--out reports/formats.json]``

Each seed's text is rendered, here and now, by real libraries: a PDF with a text layer
(reportlab, the Adobe CJK font STSong-Light, each line a wrapped paragraph whose
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


def render_pdf(text: str) -> bytes:
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))
    # 公文 layout: each paragraph's first line two characters in
    style = ParagraphStyle("zh", fontName=CJK_FONT, fontSize=12, leading=18, wordWrap="CJK", firstLineIndent=24)
    out = io.BytesIO()
    story = [Paragraph(html.escape(line), style) for line in text.splitlines() if line.strip()]
    SimpleDocTemplate(out).build(story)
    return out.getvalue()


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
    args = p.parse_args(argv)
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        for seed in sorted((PROJECT_ROOT / "seeds").glob("*.txt")):
            rows[seed.name] = compare(seed, Path(tmp))
    print(f"{'seed':28} " + " ".join(f"{s:>7}" for s in RENDERERS))
    for name, row in rows.items():
        print(f"{name:28} " + " ".join(f"{row[s]:7.1%}" for s in RENDERERS))
    if args.out:
        args.out.write_text(json.dumps(rows, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
