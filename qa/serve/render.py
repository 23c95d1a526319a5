"""HTML for the web page: the landing view, conversation turns, answers and clause cards.

Pure functions from answers to strings. Every piece of text that comes from a
question or a document goes through ``html.escape`` (attributes with quote=True)
before it is placed in markup; the only markup is what these functions write.
Buttons inside the conversation carry ``data-action`` and are sent to the server by
``PAGE_JS`` (votes, opening a document); the rest (copying, jumping to a card,
unfolding a clause) happens in the browser.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from qa.search import Filters
from qa.search.judge import NOT_FOUND, PARTIAL
from qa.search.validity import CURRENT
from qa.serve.answer import MAX_QUESTION_CHARS, Answer, Hit, short_title, staff_citation
from qa.serve.extract import key_span, short_answer
from qa.serve.feedback import REASONS
from qa.text import term_spans

Weight = Callable[[str], float]
SHORT_CLAUSE = 120  # a clause up to this long is shown whole; longer ones fold behind 展开全文


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def highlight(text: str, terms: Sequence[str]) -> str:
    """``text`` escaped, with the query's words wrapped in <mark>."""
    out, pos = [], 0
    for a, b in term_spans(text, terms):
        out.append(esc(text[pos:a]))
        out.append(f"<mark>{esc(text[a:b])}</mark>")
        pos = b
    out.append(esc(text[pos:]))
    return "".join(out)


def clause_html(text: str, terms: Sequence[str], weight: Weight) -> str:
    """A clause with its key sentence emphasised and the query's words marked."""
    span = key_span(text, terms, weight)
    if span is None:
        return highlight(text, terms)
    a, b = span
    return (
        highlight(text[:a], terms)
        + f"<strong class='qa-best'>{highlight(text[a:b], terms)}</strong>"
        + highlight(text[b:], terms)
    )


def card_id(turn_id: str, rank: int) -> str:
    return f"qa-card-{turn_id}-{rank}"


def doc_label(hit: Hit) -> str:
    where = " · ".join(x for x in (hit.region, f"{hit.year}年" if hit.year else "") if x)
    return f"{short_title(hit.title or hit.doc)}" + (f"（{where}）" if where else "")


def status_badge(status: str) -> str:
    cls = "qa-ok" if status == CURRENT else "qa-alert"
    return f"<span class='qa-status {cls}'>{esc(status)}</span>"


def hit_html(hit: Hit, terms: Sequence[str], weight: Weight, weak: bool = False, turn_id: str = "") -> str:
    """One clause card: document header, key sentence (the rest folded), citation line."""
    weak = weak or not hit.mentions
    cls = "qa-hit qa-weak-hit" if weak else "qa-hit"
    label = "未提及" if not hit.mentions else "相关性弱" if weak else ""
    badge = f"<span class='qa-badge'>{label}</span>" if label else ""
    where = " · ".join(x for x in (hit.region, f"{hit.year}年" if hit.year else "") if x)
    successor = f"<span class='qa-successor'>已由 {esc(hit.successor)} 替代</span>" if hit.successor else ""
    span = key_span(hit.text, terms, weight)
    if span is None or len(hit.text) <= SHORT_CLAUSE:
        body = f"<div class='qa-text'>{clause_html(hit.text, terms, weight)}</div>"
    else:
        a, b = span
        body = (
            f"<div class='qa-text qa-key'>{highlight(hit.text[a:b].strip(), terms)}</div>"
            f"<details class='qa-more'><summary>展开全文</summary>"
            f"<div class='qa-text'>{clause_html(hit.text, terms, weight)}</div></details>"
        )
    cite = staff_citation(hit)
    return (
        f"<article class='{cls}' id='{esc(card_id(turn_id, hit.rank))}' data-chunk='{esc(hit.chunk_id)}'"
        f" data-doc='{esc(hit.doc)}'>"
        f"<div class='qa-head'><span class='qa-rank'>{hit.rank}</span>"
        f"<span class='qa-docname'>{esc(short_title(hit.title or hit.doc))}</span>"
        f"<span class='qa-where'>{esc(where)}</span>{status_badge(hit.status)}{badge}{successor}</div>"
        f"{body}"
        f"<div class='qa-cite'><span class='qa-cite-label'>出处</span> "
        f"<span class='qa-cite-text'>{esc(cite)}</span></div>"
        f"<div class='qa-tools'><button type='button' class='qa-copy' data-cite='{esc(cite)}'>复制出处</button>"
        f"<button type='button' class='qa-open' data-action='open' data-chunk='{esc(hit.chunk_id)}'>查看原文</button>"
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
    tid: str = ""  # stable id of this turn on the page (votes, card anchors)
    filters: Filters = field(default_factory=Filters)
    as_of: str = ""  # the date the answer was given as of ("" = today)
    asked_at: str = ""  # when it was asked, for the exported record
    vote: str = ""  # "up", "down" or ""
    reason: str = ""  # why 👎, one of feedback.REASONS


def status_html(turn: Turn) -> str:
    """The answer's status in plain words."""
    ans = turn.answer
    assert ans is not None
    if ans.status == NOT_FOUND:
        return f"<div class='qa-warn qa-status-not_found'>{esc(ans.note)}。下面是最接近的条款，仅供参考。</div>"
    if ans.status == PARTIAL:
        tail = "" if "以下是" in ans.note else "以下是相关条款。"  # the place reason already says what follows
        return f"<div class='qa-warn qa-status-partial'>部分回答：{esc(ans.note)}。{tail}</div>"
    lead = "各文件中最相关的条款：" if turn.compare else "文件中的规定："
    return f"<div class='qa-lead qa-status-answered'>{lead}</div>"


def summary_html(turn: Turn, weight: Weight) -> str:
    """The short extractive answer: the key sentence of the best clauses, each with a
    marker [n] that jumps to its card. Every word comes from a document."""
    ans = turn.answer
    if ans is None or ans.status == NOT_FOUND or turn.compare:
        return ""
    rows = short_answer(ans, weight)
    if not rows:
        return ""
    parts = [
        f"<p class='qa-sum-line'>{highlight(sentence, ans.terms)}"
        f"<button type='button' class='qa-ref' data-target='{esc(card_id(turn.tid, rank))}'"
        f" aria-label='跳到第{rank}条'>[{rank}]</button></p>"
        for sentence, rank in rows
    ]
    return "<div class='qa-summary'>" + "".join(parts) + "</div>"


def scope_html(turn: Turn, doc_names: dict[str, str]) -> str:
    """The filters and date an answer was given under, as chips."""
    f = turn.filters
    chips = [f"文件：{doc_names.get(d, d)}" for d in f.docs]
    chips += [f"地区：{r}" for r in f.regions] + [f"年份：{y}" for y in f.years]
    if turn.as_of:
        chips.append(f"按 {turn.as_of} 时的效力")
    if turn.compare:
        chips.append("跨文件对比")
    if not chips:
        return ""
    return "<div class='qa-chips'>" + "".join(f"<span class='qa-chip'>{esc(c)}</span>" for c in chips) + "</div>"


def feedback_html(turn: Turn) -> str:
    """👍/👎 for this answer, the selected one pressed; after 👎 the reasons to pick from."""

    def button(vote: str, text: str) -> str:
        pressed = "true" if turn.vote == vote else "false"
        return (
            f"<button type='button' class='qa-vote' data-action='vote' data-turn='{esc(turn.tid)}'"
            f" data-value='{vote}' aria-pressed='{pressed}'>{text}</button>"
        )

    parts = ["<div class='qa-feedback'><span>这个回答有帮助吗？</span>", button("up", "👍 有帮助"), button("down", "👎 没帮助")]
    if turn.vote == "down":
        for reason in REASONS:
            pressed = "true" if turn.reason == reason else "false"
            parts.append(
                f"<button type='button' class='qa-reason' data-action='reason' data-turn='{esc(turn.tid)}'"
                f" data-value='{esc(reason)}' aria-pressed='{pressed}'>{esc(reason)}</button>"
            )
    if turn.vote:
        parts.append("<span class='qa-voted'>已记录</span>")
    return "".join(parts) + "</div>"


def answer_html(turn: Turn, weight: Weight, doc_names: dict[str, str] | None = None) -> str:
    """The assistant's side of one turn."""
    if turn.answer is None:
        return f"<div class='qa-msg'>{esc(turn.message)}</div>"
    ans = turn.answer
    parts = [scope_html(turn, doc_names or {})]
    if ans.truncated:
        parts.append(f"<div class='qa-note'>问题太长，只按前 {MAX_QUESTION_CHARS} 个字检索。</div>")
    if turn.followup_of:
        parts.append(f"<div class='qa-note'>已结合上一个问题“{esc(turn.followup_of)}”一起检索。</div>")
    if not ans.hits:
        parts.append("<div class='qa-msg'>没有找到条款。</div>")
        return "".join(parts)
    weak = ans.status == NOT_FOUND
    parts.append(status_html(turn))
    parts.append(summary_html(turn, weight))
    cards = "".join(hit_html(h, ans.terms, weight, weak, turn.tid) for h in ans.hits)
    parts.append(f"<div class='qa-compare'>{cards}</div>" if turn.compare else f"<div class='qa-cards'>{cards}</div>")
    parts.append(feedback_html(turn))
    return "".join(parts)


@dataclass(frozen=True)
class DocRow:
    """One searched document as the landing view lists it."""

    name: str
    region: str
    year: int | None
    status: str


def landing_html(docs: Sequence[DocRow]) -> str:
    """What the page searches, before any question."""
    rows = "".join(
        f"<li><span class='qa-docname'>{esc(d.name)}</span> <span class='qa-where'>"
        f"{esc(' · '.join(x for x in (d.region, f'{d.year}年' if d.year else '') if x))}</span> {status_badge(d.status)}</li>"
        for d in docs
    )
    return (
        "<div class='qa-empty'><p>在下面输入问题，例如“外地人在太原落户需要什么条件?”，或点一个示例问题。"
        "回答只摘自下列文件的原文，并注明出处。</p>"
        f"<p class='qa-landing-head'>检索的文件（{len(docs)} 个）：</p><ul class='qa-doclist'>{rows}</ul></div>"
    )


def conversation_html(
    turns: Sequence[Turn], weight: Weight, landing: str = "", doc_names: dict[str, str] | None = None, record: str = ""
) -> str:
    """The whole conversation, oldest first; ``landing`` when there is none yet. ``record``
    (the 依据单 as Markdown) is what 复制依据单 copies."""
    if not turns:
        return landing or "<div class='qa-empty'>在下面输入问题，例如“外地人在太原落户需要什么条件?”，或点一个示例问题。</div>"
    rows = []
    for t in turns:
        rows.append(f"<section class='qa-turn' data-turn='{esc(t.tid)}'>")
        rows.append(f"<div class='qa-user'><div class='qa-bubble'>{esc(t.question)}</div></div>")
        rows.append(f"<div class='qa-bot'>{answer_html(t, weight, doc_names)}</div></section>")
    if record:
        rows.append(
            f"<div class='qa-record'><button type='button' class='qa-copy qa-copy-all' data-cite='{esc(record)}'"
            " data-label='复制依据单'>复制依据单</button><span>（全部问题、回答状态和所引条款全文，可直接粘贴）</span></div>"
        )
    return "<div class='qa-conv'>" + "".join(rows) + "</div>"


def topics_html(labels: Sequence[str]) -> str:
    """The topic chips: one click opens what every document says on the topic."""
    chips = "".join(
        f"<button type='button' data-action='topic' data-value='{esc(label)}'>{esc(label)}</button>" for label in labels
    )
    return f"<div class='qa-topics' role='group' aria-label='按主题查看'><span>按主题查看：</span>{chips}</div>"


TOPICS_JS = """
element.addEventListener('click', (ev) => {
  const chip = ev.target.closest('[data-action=topic]');
  if (chip) trigger('click', {action: 'topic', value: chip.dataset.value});
});
"""

CSS = """
.qa-conv {display:flex; flex-direction:column; gap:10px;}
.qa-turn {display:flex; flex-direction:column; gap:8px; scroll-margin-top:8px;}
.qa-user {display:flex; justify-content:flex-end;}
.qa-bubble {background:#1d4ed8; color:#fff; padding:8px 12px; border-radius:14px 14px 2px 14px; max-width:85%;
  font-size:17px; white-space:pre-wrap; word-break:break-word;}
.qa-bot {background:#f8fafc; border:1px solid #e2e8f0; border-radius:12px; padding:10px; max-width:100%;}
.qa-lead {color:#1e293b; margin-bottom:6px; font-weight:600;}
.qa-warn {background:#fff7ed; border:1px solid #fdba74; color:#9a3412; padding:8px; border-radius:8px; margin-bottom:8px;
  font-weight:600;}
.qa-summary {background:#eff6ff; border-left:4px solid #1d4ed8; padding:8px 10px; border-radius:6px; margin-bottom:8px;
  font-size:17px; line-height:1.7; color:#0f172a;}
.qa-sum-line {margin:0 0 4px 0;}
.qa-ref {border:none; background:none; color:#1d4ed8; font-weight:700; cursor:pointer; padding:0 2px; font-size:15px;}
.qa-chips {display:flex; flex-wrap:wrap; gap:6px; margin-bottom:6px;}
.qa-chip {background:#e0e7ff; color:#1e3a8a; border-radius:999px; padding:1px 10px; font-size:14px;}
.qa-note {color:#475569; font-size:14px; margin-bottom:6px;}
.qa-msg {color:#9a3412; font-size:16px;}
.qa-empty {color:#334155; font-size:16px; padding:12px;}
.qa-landing-head {font-weight:600; margin-top:8px;}
.qa-doclist {margin:4px 0 0 18px; padding:0;}
.qa-doclist li {margin:3px 0;}
.qa-hit {background:#fff; border:1px solid #cbd5e1; border-radius:10px; padding:10px 12px; margin:8px 0;}
.qa-hit.qa-flash {outline:3px solid #f59e0b;}
.qa-weak-hit {border-style:dashed;}
.qa-head {display:flex; flex-wrap:wrap; gap:6px 8px; align-items:center; color:#334155; font-size:15px; margin-bottom:6px;}
.qa-docname {font-weight:700; color:#0f172a;}
.qa-rank {background:#1d4ed8; color:#fff; border-radius:999px; min-width:22px; text-align:center; font-weight:700;}
.qa-badge {background:#fed7aa; color:#7c2d12; border-radius:6px; padding:0 6px;}
.qa-status {border-radius:6px; padding:0 6px; font-size:14px;}
.qa-ok {background:#dcfce7; color:#14532d;}
.qa-alert {background:#fee2e2; color:#7f1d1d;}
.qa-successor {color:#7f1d1d; font-size:14px;}
.qa-text {font-size:17px; line-height:1.75; color:#0f172a; white-space:pre-wrap; word-break:break-word;}
.qa-text mark, .qa-summary mark {background:#fef08a; color:#0f172a; padding:0 1px;}
.qa-best {background:#e0f2fe; font-weight:600;}
.qa-more summary {cursor:pointer; color:#1d4ed8; font-size:15px; margin:4px 0;}
.qa-cite {margin-top:8px; font-size:15px; color:#1e293b; border-top:1px dotted #cbd5e1; padding-top:6px;}
.qa-cite-label {font-weight:700; color:#1e3a8a; margin-right:4px;}
.qa-tools {display:flex; gap:8px; margin-top:6px;}
.qa-tools button, .qa-feedback button {border:1px solid #64748b; border-radius:6px; padding:2px 10px; background:#f1f5f9;
  color:#0f172a; cursor:pointer; font-size:14px; min-height:32px;}
.qa-feedback {display:flex; flex-wrap:wrap; gap:6px; align-items:center; margin-top:8px; font-size:14px; color:#334155;}
.qa-feedback button[aria-pressed='true'] {background:#1d4ed8; color:#fff; border-color:#1d4ed8;}
.qa-voted {color:#14532d;}
.qa-record {display:flex; flex-wrap:wrap; gap:8px; align-items:center; font-size:14px; color:#334155;}
.qa-record button {border:1px solid #64748b; border-radius:6px; padding:2px 10px; background:#f1f5f9; color:#0f172a;
  cursor:pointer; font-size:14px; min-height:32px;}
.qa-compare {display:grid; grid-template-columns:repeat(auto-fit, minmax(260px, 1fr)); gap:10px;}
.qa-compare .qa-hit {margin:0;}
#qa-send {background:#1d4ed8 !important; border-color:#1d4ed8 !important; color:#fff !important;}  /* contrast ≥ 4.5 */
/* Gradio's container hides overflow, which makes it the sticky row's scroll box; clip does not */
.gradio-container {overflow:visible !important; overflow-x:clip !important;}
#qa-ask-row {position:sticky; bottom:0; z-index:20; background:var(--background-fill-primary, #fff);
  padding:6px 0; box-shadow:0 -6px 10px -8px rgba(15,23,42,0.35);}
@media (max-width: 640px) {
  .qa-text, .qa-summary {font-size:16px;}
}
body, .gradio-container, .qa-conv, .qa-viewer {font-family: "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC",
  "PingFang SC", "Microsoft YaHei", "WenQuanYi Micro Hei", sans-serif;}
"""

# One delegated listener for the conversation. Copy buttons fall back to a hidden textarea
# where the Clipboard API is unavailable (plain http on an office network is not a secure
# context). [n] jumps to its card. Buttons with data-action go to the server. A new
# question scrolls to the top of the view.
PAGE_JS = """
const copyText = (text, btn, label) => {
  const done = () => { btn.textContent = '已复制'; setTimeout(() => { btn.textContent = label; }, 1500); };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).then(done, done);
  } else {
    const ta = document.createElement('textarea');
    ta.value = text; document.body.appendChild(ta); ta.select();
    try { document.execCommand('copy'); } finally { document.body.removeChild(ta); }
    done();
  }
};
element.addEventListener('click', (ev) => {
  const copy = ev.target.closest('.qa-copy');
  if (copy) { copyText(copy.dataset.cite || '', copy, copy.dataset.label || '复制出处'); return; }
  const ref = ev.target.closest('.qa-ref');
  if (ref) {
    const card = document.getElementById(ref.dataset.target);
    if (card) {
      card.scrollIntoView({block: 'center'});
      card.classList.add('qa-flash'); setTimeout(() => card.classList.remove('qa-flash'), 1500);
    }
    return;
  }
  const act = ev.target.closest('[data-action]');
  if (act) trigger('click', {action: act.dataset.action, turn: act.dataset.turn || '', value: act.dataset.value || '',
                             chunk: act.dataset.chunk || ''});
});
const lastTurn = () => { const t = element.querySelectorAll('.qa-turn'); return t.length ? t[t.length - 1] : null; };
let seen = lastTurn() ? lastTurn().dataset.turn : '';
new MutationObserver(() => {
  const last = lastTurn();
  const id = last ? last.dataset.turn : '';
  if (last && id !== seen) last.scrollIntoView({block: 'start'});
  seen = id;
}).observe(element, {childList: true, subtree: true});
"""
