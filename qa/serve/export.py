"""The conversation as a 依据单: each question, the answer's status, the cited clauses in
full with their citations, when it was asked and from which index — as Markdown, and
as a printable HTML page."""

from __future__ import annotations

import html
from collections.abc import Sequence

from qa.search.judge import NOT_FOUND, PARTIAL
from qa.serve.answer import staff_citation
from qa.serve.render import Turn

STATUS_WORDS = {NOT_FOUND: "文件中没有直接回答", PARTIAL: "部分回答"}


def _status(turn: Turn) -> str:
    ans = turn.answer
    assert ans is not None
    words = STATUS_WORDS.get(ans.status, "文件中有规定")
    return f"{words}：{ans.note}" if ans.note else words


def to_markdown(turns: Sequence[Turn], index_version: str, made_at: str) -> str:
    """The 依据单 in Markdown (quotes are the clauses' own text)."""
    lines = ["# 政策依据单", "", f"- 生成时间：{made_at}", f"- 索引版本：{index_version}", ""]
    for n, turn in enumerate((t for t in turns if t.answer is not None), 1):
        ans = turn.answer
        assert ans is not None
        lines += [f"## {n}. {turn.question}", "", f"- 提问时间：{turn.asked_at}", f"- 回答状态：{_status(turn)}"]
        if turn.as_of:
            lines.append(f"- 效力日期：按 {turn.as_of}")
        lines.append("")
        for hit in ans.hits:
            lines += [f"**[{hit.rank}] {staff_citation(hit)}**（{hit.status}）", ""]
            lines += [f"> {line}" if line.strip() else ">" for line in hit.text.splitlines()] + [""]
    return "\n".join(lines).rstrip() + "\n"


def to_html(turns: Sequence[Turn], index_version: str, made_at: str) -> str:
    """The 依据单 as a page that prints on A4; every text escaped."""
    e = html.escape
    parts = [
        "<!DOCTYPE html><html lang='zh-CN'><head><meta charset='utf-8'><title>政策依据单</title><style>"
        "body{font-family:'Noto Serif CJK SC','Noto Sans CJK SC','SimSun',serif;max-width:800px;margin:2em auto;"
        "line-height:1.7;color:#111}h1{font-size:22px}h2{font-size:18px;margin-top:1.6em}"
        "blockquote{border-left:3px solid #888;margin:0.4em 0 1em;padding-left:10px;white-space:pre-wrap}"
        ".meta{color:#333;font-size:14px}@media print{body{margin:0}}</style></head><body>",
        f"<h1>政策依据单</h1><p class='meta'>生成时间：{e(made_at)} · 索引版本：{e(index_version)}</p>",
    ]
    for n, turn in enumerate((t for t in turns if t.answer is not None), 1):
        ans = turn.answer
        assert ans is not None
        as_of = f" · 效力日期：按 {e(turn.as_of)}" if turn.as_of else ""
        parts.append(
            f"<h2>{n}. {e(turn.question)}</h2><p class='meta'>提问时间：{e(turn.asked_at)} · "
            f"回答状态：{e(_status(turn))}{as_of}</p>"
        )
        for hit in ans.hits:
            parts.append(
                f"<p><b>[{hit.rank}] {e(staff_citation(hit))}</b>（{e(hit.status)}）</p><blockquote>{e(hit.text)}</blockquote>"
            )
    parts.append("</body></html>")
    return "".join(parts)
