"""HTML for the panel over the page: a whole document opened at one clause, or a topic table.

The clause asked about is framed and its key sentence emphasised; an outline jumps to
the document's parts; a toggle shows the text exactly as the file has it (pinyin,
Traditional characters and all); a close button and Escape close it. Everything
from the document is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from qa.serve.render import Weight, clause_html, esc, status_badge


@dataclass(frozen=True)
class ViewRow:
    """One clause of the document, in document order."""

    chunk_id: str
    section: tuple[str, ...]
    text: str  # cleaned: Simplified, pinyin and mojibake removed
    original: str  # exactly as written in the file


def viewer_html(
    title: str, facts: Sequence[str], status: str, rows: Sequence[ViewRow], target: str, terms: Sequence[str], weight: Weight
) -> str:
    """The document ``rows`` with ``target`` framed; empty when there is nothing to show."""
    if not rows:
        return ""
    outline, body, last_top = [], [], None
    last_section: tuple[str, ...] = ()
    for i, row in enumerate(rows):
        top = row.section[0] if row.section else None
        anchor = f"qa-v-{i}"
        if top and top != last_top:
            outline.append(f"<li><button type='button' data-jump='{anchor}'>{esc(top)}</button></li>")
        last_top = top or last_top
        is_target = row.chunk_id == target
        heading = ""
        if row.section and row.section != last_section:
            heading = f"<div class='qa-v-section'>{esc(' › '.join(row.section))}</div>"
        last_section = row.section or last_section
        text = clause_html(row.text, terms, weight) if is_target else esc(row.text)
        cls = "qa-v-row qa-v-target" if is_target else "qa-v-row"
        body.append(
            f"<div class='{cls}' id='{anchor}'>{heading}<div class='qa-v-clean'>{text}</div>"
            f"<div class='qa-v-raw'>{esc(row.original)}</div></div>"
        )
    nav = f"<nav class='qa-v-outline' aria-label='目录'><ul>{''.join(outline)}</ul></nav>" if outline else ""
    meta = " · ".join(esc(f) for f in facts if f)
    return (
        f"<div class='qa-viewer' role='dialog' aria-modal='true' aria-label='{esc(title)}'>"
        "<div class='qa-v-head'>"
        f"<div class='qa-v-title'>{esc(title)}</div><div class='qa-v-meta'>{meta} {status_badge(status)}</div>"
        "<div class='qa-v-buttons'><button type='button' class='qa-v-toggle' aria-pressed='false'>显示文件原样</button>"
        "<button type='button' class='qa-v-close' aria-label='关闭原文'>关闭 ✕</button></div></div>"
        f"<div class='qa-v-main'>{nav}<div class='qa-v-body' tabindex='0'>{''.join(body)}</div></div></div>"
    )


@dataclass(frozen=True)
class TopicDoc:
    """One document's clauses on a topic, as the topic table shows them."""

    name: str
    where: str  # region · year
    status: str
    clauses: tuple[tuple[str, str, str], ...]  # (chunk id, citation, clause text)


def topic_html(label: str, docs: Sequence[TopicDoc], terms: Sequence[str], weight: Weight, total: int) -> str:
    """A table, one row per document of the ``total`` searched: its clauses on the topic with
    their citations, or 未涉及."""
    rows = []
    for d in docs:
        if d.clauses:
            cells = "".join(
                f"<li><div class='qa-t-cite'>{esc(cite)}</div><div class='qa-t-text'>{clause_html(text, terms, weight)}</div>"
                f"<button type='button' class='qa-open' data-action='open' data-chunk='{esc(cid)}'>查看原文</button></li>"
                for cid, cite, text in d.clauses
            )
            body = f"<ol class='qa-t-clauses'>{cells}</ol>"
        else:
            body = "<span class='qa-t-none'>未涉及</span>"
        rows.append(
            f"<tr><th scope='row'><div class='qa-docname'>{esc(d.name)}</div><div class='qa-where'>{esc(d.where)}</div>"
            f"{status_badge(d.status)}<div class='qa-t-count'>{len(d.clauses)} 条</div></th><td>{body}</td></tr>"
        )
    found = sum(1 for d in docs if d.clauses)
    return (
        f"<div class='qa-viewer qa-topic' role='dialog' aria-modal='true' aria-label='{esc(label)}'>"
        f"<div class='qa-v-head'><div class='qa-v-title'>主题：{esc(label)}</div>"
        f"<div class='qa-v-meta'>{total} 个文件中有 {found} 个涉及这一主题；下面是各文件中这一主题的条款。</div>"
        "<div class='qa-v-buttons'><button type='button' class='qa-v-close' aria-label='关闭主题表'>关闭 ✕</button></div></div>"
        "<div class='qa-v-body' tabindex='0'><table class='qa-t-table'><thead><tr><th scope='col'>文件</th>"
        f"<th scope='col'>条款</th></tr></thead><tbody>{''.join(rows)}</tbody></table></div></div>"
    )


VIEWER_CSS = """
.qa-viewer {position:fixed; inset:4vh 4vw; z-index:1000; background:#fff; border:1px solid #94a3b8; border-radius:12px;
  box-shadow:0 20px 50px rgba(15,23,42,0.35); display:flex; flex-direction:column; overflow:hidden;}
.qa-v-head {padding:10px 14px; border-bottom:1px solid #e2e8f0; background:#f8fafc;}
.qa-v-title {font-size:18px; font-weight:700; color:#0f172a;}
.qa-v-meta {font-size:14px; color:#334155; margin-top:2px;}
.qa-v-buttons {display:flex; gap:8px; margin-top:6px;}
.qa-v-buttons button {border:1px solid #64748b; border-radius:6px; padding:2px 10px; background:#fff; color:#0f172a;
  cursor:pointer; min-height:32px; font-size:14px;}
.qa-v-main {display:flex; flex:1; min-height:0;}
.qa-v-outline {width:220px; overflow:auto; border-right:1px solid #e2e8f0; padding:8px; font-size:14px;}
.qa-v-outline ul {list-style:none; margin:0; padding:0;}
.qa-v-outline button {border:none; background:none; text-align:left; color:#1d4ed8; cursor:pointer; padding:3px 0;
  font-size:14px;}
.qa-v-body {flex:1; overflow:auto; padding:10px 16px; font-size:17px; line-height:1.8; color:#0f172a;}
.qa-v-row {margin:6px 0; padding:4px 6px; white-space:pre-wrap; word-break:break-word; scroll-margin-top:40px;}
.qa-v-section {font-size:14px; color:#475569; margin-top:10px;}
.qa-v-target {border:2px solid #1d4ed8; background:#eff6ff; border-radius:8px;}
.qa-v-raw {display:none; color:#334155;}
.qa-viewer.qa-raw .qa-v-clean {display:none;}
.qa-viewer.qa-raw .qa-v-raw {display:block;}
.qa-t-table {border-collapse:collapse; width:100%;}
.qa-t-table th, .qa-t-table td {border-bottom:1px solid #e2e8f0; padding:8px; vertical-align:top; text-align:left;}
.qa-t-table tbody th {width:220px; font-weight:400; font-size:14px;}
.qa-t-clauses {margin:0; padding-left:20px;}
.qa-t-clauses li {margin-bottom:10px;}
.qa-t-cite {font-size:14px; color:#1e3a8a; font-weight:600;}
.qa-t-text {white-space:pre-wrap; word-break:break-word; font-size:16px;}
.qa-t-none {color:#64748b;}
.qa-t-count {font-size:13px; color:#475569;}
.qa-topic .qa-open {border:1px solid #64748b; border-radius:6px; padding:2px 10px; background:#f1f5f9; color:#0f172a;
  cursor:pointer; font-size:14px; min-height:32px;}
.qa-topics {display:flex; flex-wrap:wrap; gap:6px; align-items:center;}
.qa-topics button {border:1px solid #1d4ed8; color:#1e3a8a; background:#eff6ff; border-radius:999px; padding:2px 12px;
  cursor:pointer; font-size:15px; min-height:32px;}
@media (max-width: 640px) {
  .qa-viewer {inset:0; border-radius:0;}
  .qa-t-table tbody th {width:110px;}
  .qa-v-outline {display:none;}
  .qa-v-body {font-size:16px;}
}
"""

VIEWER_JS = """
element.addEventListener('click', (ev) => {
  const jump = ev.target.closest('[data-jump]');
  if (jump) { const row = element.querySelector('#' + jump.dataset.jump); if (row) row.scrollIntoView({block: 'start'}); return; }
  const toggle = ev.target.closest('.qa-v-toggle');
  if (toggle) {
    const raw = element.querySelector('.qa-viewer').classList.toggle('qa-raw');
    toggle.textContent = raw ? '显示整理后的文字' : '显示文件原样';
    toggle.setAttribute('aria-pressed', raw ? 'true' : 'false');
    return;
  }
  if (ev.target.closest('.qa-v-close')) { trigger('click', {action: 'close'}); return; }
  const open = ev.target.closest('[data-action=open]');
  if (open) trigger('click', {action: 'open', chunk: open.dataset.chunk});
});
document.addEventListener('keydown', (ev) => {
  if (ev.key === 'Escape' && element.querySelector('.qa-viewer')) trigger('click', {action: 'close'});
});
new MutationObserver(() => {
  const target = element.querySelector('.qa-v-target');
  if (target && !target.dataset.shown) { target.dataset.shown = '1'; target.scrollIntoView({block: 'center'}); }
}).observe(element, {childList: true, subtree: true});
"""
