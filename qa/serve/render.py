"""HTML for the web page: conversation turns, clause cards, comparison and context views.

Pure functions from answers to strings. Every piece of text that comes from a
question or a document goes through ``html.escape`` (attributes with quote=True)
before it is placed in markup; the only markup is what these functions write.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from qa.search.judge import NOT_FOUND, PARTIAL
from qa.serve.answer import MAX_QUESTION_CHARS, Answer, Hit
from qa.text import SENTENCE


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def mark_spans(text: str, terms: Sequence[str]) -> list[tuple[int, int]]:
    """Non-overlapping spans of ``terms`` in ``text``, longer terms first; single
    characters are skipped (they would light up half a Chinese sentence)."""
    taken = [False] * len(text)
    spans: list[tuple[int, int]] = []
    for term in sorted({t for t in terms if len(t) > 1}, key=len, reverse=True):
        start = text.find(term)
        while start != -1:
            end = start + len(term)
            if not any(taken[start:end]):
                spans.append((start, end))
                for i in range(start, end):
                    taken[i] = True
            start = text.find(term, end)
    return sorted(spans)


def highlight(text: str, terms: Sequence[str]) -> str:
    """``text`` escaped, with the query's words wrapped in <mark>."""
    out, pos = [], 0
    for a, b in mark_spans(text, terms):
        out.append(esc(text[pos:a]))
        out.append(f"<mark>{esc(text[a:b])}</mark>")
        pos = b
    out.append(esc(text[pos:]))
    return "".join(out)


def best_sentence(text: str, terms: Sequence[str], weight: Callable[[str], float]) -> tuple[int, int] | None:
    """Span of the sentence that covers the most query weight (None if none matches)."""
    best, best_score = None, 0.0
    for m in SENTENCE.finditer(text):
        sentence = m.group(0)
        score = sum(weight(t) for t in set(terms) if len(t) > 1 and t in sentence)
        if score > best_score:
            best, best_score = (m.start(), m.end()), score
    return best


def clause_html(text: str, terms: Sequence[str], weight: Callable[[str], float]) -> str:
    """A clause with its best sentence emphasised and the query's words marked."""
    span = best_sentence(text, terms, weight)
    if span is None:
        return highlight(text, terms)
    a, b = span
    return (
        highlight(text[:a], terms)
        + f"<strong class='qa-best'>{highlight(text[a:b], terms)}</strong>"
        + highlight(text[b:], terms)
    )


def hit_html(hit: Hit, terms: Sequence[str], weight: Callable[[str], float], weak: bool = False) -> str:
    """One clause card: the clause, then its citation with a copy button."""
    weak = weak or not hit.mentions
    cls = "qa-hit qa-weak-hit" if weak else "qa-hit"
    label = "未提及" if not hit.mentions else "相关性弱" if weak else ""
    badge = f"<span class='qa-badge'>{label}</span>" if label else ""
    where = " · ".join(x for x in (hit.region, f"{hit.year}年" if hit.year else "") if x)
    return (
        f"<article class='{cls}' data-chunk='{esc(hit.chunk_id)}' data-doc='{esc(hit.doc)}'>"
        f"<div class='qa-head'><span class='qa-rank'>{hit.rank}</span>"
        f"<span class='qa-where'>{esc(where)}</span>{badge}</div>"
        f"<div class='qa-text'>{clause_html(hit.text, terms, weight)}</div>"
        f"<div class='qa-cite'><span class='qa-cite-label'>出处</span> "
        f"<span class='qa-cite-text'>{esc(hit.citation)}</span> "
        f"<button type='button' class='qa-copy' data-cite='{esc(hit.citation)}' title='复制出处'>复制出处</button>"
        "</div></article>"
    )


@dataclass(frozen=True)
class Turn:
    """One exchange of the conversation as the page shows it."""

    question: str
    answer: Answer | None
    message: str = ""  # a friendly word instead of an answer (bad input)
    followup_of: str = ""  # the earlier question this one was read together with
    compare: bool = False


def answer_html(turn: Turn, weight: Callable[[str], float]) -> str:
    """The assistant's side of one turn."""
    if turn.answer is None:
        return f"<div class='qa-msg'>{esc(turn.message)}</div>"
    ans = turn.answer
    parts = []
    if ans.truncated:
        parts.append(f"<div class='qa-note'>问题太长，只按前 {MAX_QUESTION_CHARS} 个字检索。</div>")
    if turn.followup_of:
        parts.append(f"<div class='qa-note'>已结合上一个问题“{esc(turn.followup_of)}”一起检索。</div>")
    if not ans.hits:
        parts.append("<div class='qa-msg'>没有找到条款。</div>")
        return "".join(parts)
    weak = ans.status == NOT_FOUND
    if weak:
        parts.append(f"<div class='qa-warn qa-status-not_found'>{esc(ans.note)}。下面是最接近的条款，仅供参考。</div>")
    elif ans.status == PARTIAL:
        tail = "" if "以下是" in ans.note else "以下是相关条款。"  # the place reason already says what follows
        parts.append(f"<div class='qa-warn qa-status-partial'>部分回答：{esc(ans.note)}。{tail}</div>")
    else:
        lead = "各文件中最相关的条款：" if turn.compare else "最相关的条款："
        parts.append(f"<div class='qa-lead qa-status-answered'>{lead}</div>")
    cards = "".join(hit_html(h, ans.terms, weight, weak) for h in ans.hits)
    parts.append(f"<div class='qa-compare'>{cards}</div>" if turn.compare else cards)
    return "".join(parts)


def conversation_html(turns: Sequence[Turn], weight: Callable[[str], float]) -> str:
    """The whole conversation, oldest first."""
    if not turns:
        return "<div class='qa-empty'>在下面输入问题，例如“外地人在太原落户需要什么条件?”，或点一个示例问题。</div>"
    rows = []
    for t in turns:
        rows.append(f"<div class='qa-user'><div class='qa-bubble'>{esc(t.question)}</div></div>")
        rows.append(f"<div class='qa-bot'>{answer_html(t, weight)}</div>")
    return "<div class='qa-conv'>" + "".join(rows) + "</div>"


def context_html(target: str, rows: Sequence[tuple[str, str, str, str]]) -> str:
    """A clause among its neighbours: (chunk id, section, simplified, original) per row,
    simplified and original side by side; the chosen clause is framed."""
    if not rows:
        return ""
    parts = ["<div class='qa-context'><div class='qa-ctx-head'><span>条款（简体）</span><span>原文（文件原样）</span></div>"]
    for cid, section, simplified, original in rows:
        cls = "qa-ctx-row qa-ctx-target" if cid == target else "qa-ctx-row"
        parts.append(
            f"<div class='{cls}'><div class='qa-ctx-section'>{esc(section or '正文之外')}</div>"
            f"<div class='qa-ctx-cols'><div class='qa-ctx-simp'>{esc(simplified)}</div>"
            f"<div class='qa-ctx-orig'>{esc(original)}</div></div></div>"
        )
    parts.append("</div>")
    return "".join(parts)


CSS = """
.qa-conv {display:flex; flex-direction:column; gap:10px;}
.qa-user {display:flex; justify-content:flex-end;}
.qa-bubble {background:#1d4ed8; color:#fff; padding:8px 12px; border-radius:14px 14px 2px 14px; max-width:85%;
  font-size:17px; white-space:pre-wrap; word-break:break-word;}
.qa-bot {background:#f8fafc; border:1px solid #e2e8f0; border-radius:12px; padding:10px; max-width:100%;}
.qa-lead {color:#334155; margin-bottom:6px; font-weight:600;}
.qa-warn {background:#fff7ed; border:1px solid #fdba74; color:#9a3412; padding:8px; border-radius:8px; margin-bottom:8px;
  font-weight:600;}
.qa-note {color:#475569; font-size:14px; margin-bottom:6px;}
.qa-msg {color:#9a3412; font-size:16px;}
.qa-empty {color:#475569; font-size:16px; padding:12px;}
.qa-hit {background:#fff; border:1px solid #cbd5e1; border-radius:10px; padding:10px 12px; margin:8px 0;}
.qa-weak-hit {border-style:dashed; opacity:0.9;}
.qa-head {display:flex; gap:8px; align-items:center; color:#475569; font-size:14px; margin-bottom:4px;}
.qa-rank {background:#1d4ed8; color:#fff; border-radius:999px; min-width:22px; text-align:center; font-weight:700;}
.qa-badge {background:#fed7aa; color:#9a3412; border-radius:6px; padding:0 6px;}
.qa-text {font-size:17px; line-height:1.75; color:#0f172a; white-space:pre-wrap; word-break:break-word;}
.qa-text mark {background:#fef08a; padding:0 1px;}
.qa-best {background:#e0f2fe; font-weight:600;}
.qa-cite {margin-top:8px; font-size:14px; color:#334155; border-top:1px dotted #cbd5e1; padding-top:6px;}
.qa-cite-label {font-weight:700; color:#1e3a8a;}
.qa-copy {margin-left:6px; border:1px solid #94a3b8; border-radius:6px; padding:1px 8px; background:#f1f5f9; cursor:pointer;}
.qa-compare {display:grid; grid-template-columns:repeat(auto-fit, minmax(260px, 1fr)); gap:10px;}
.qa-compare .qa-hit {margin:0;}
.qa-context {font-size:16px;}
.qa-ctx-head {display:grid; grid-template-columns:1fr 1fr; gap:10px; font-weight:700; color:#1e3a8a;}
.qa-ctx-row {border:1px solid #e2e8f0; border-radius:8px; padding:8px; margin:6px 0;}
.qa-ctx-target {border:2px solid #1d4ed8; background:#eff6ff;}
.qa-ctx-section {color:#475569; font-size:14px; margin-bottom:4px;}
.qa-ctx-cols {display:grid; grid-template-columns:1fr 1fr; gap:10px; white-space:pre-wrap; word-break:break-word;}
.qa-ctx-orig {color:#334155; border-left:3px solid #cbd5e1; padding-left:8px;}
@media (max-width: 640px) {
  .qa-ctx-head, .qa-ctx-cols {grid-template-columns:1fr;}
  .qa-ctx-head span:last-child {display:none;}
  .qa-text {font-size:16px;}
}
body, .gradio-container, .qa-conv, .qa-context {font-family: "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC",
  "PingFang SC", "Microsoft YaHei", "WenQuanYi Micro Hei", sans-serif;}
"""

# Copy buttons: one delegated listener; falls back to a hidden textarea where the
# Clipboard API is unavailable (plain http on an office network is not a secure context).
COPY_JS = """
element.addEventListener('click', (ev) => {
  const btn = ev.target.closest('.qa-copy');
  if (!btn) return;
  const text = btn.dataset.cite || '';
  const done = () => { btn.textContent = '已复制'; setTimeout(() => { btn.textContent = '复制出处'; }, 1500); };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).then(done, done);
  } else {
    const ta = document.createElement('textarea');
    ta.value = text; document.body.appendChild(ta); ta.select();
    try { document.execCommand('copy'); } finally { document.body.removeChild(ta); }
    done();
  }
});
"""
