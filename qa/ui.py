"""A minimal web page over the engine (Gradio): ask, read cited clauses.

Everything from questions and documents is HTML-escaped before it is shown.
The full chat page is a separate piece of work; this one calls the same
``ask`` as the CLI and exposes it as the Gradio API endpoint ``/ask``.
"""

from __future__ import annotations

import argparse
import html
import os

from qa.answer import Answer, BadQuestion, ask
from qa.engine import Engine, Settings

TITLE = "政策条款检索"
EXAMPLES = ["外地人在太原落户需要什么条件?", "农民工孩子能上公办学校吗?", "長沙保障性租賃住房有多少套?", "租房有补贴吗?"]


def render(ans: Answer) -> str:
    """Answer → HTML; every piece of text is escaped."""
    e = html.escape
    parts = []
    if ans.truncated:
        parts.append("<p class='qa-note'>问题过长，只检索了前 500 个字。</p>")
    if not ans.confident:
        parts.append(f"<p class='qa-weak'>{e(ans.note)}；以下是最接近的条款，仅供参考。</p>")
    for h in ans.hits:
        parts.append(
            "<div class='qa-hit'>"
            f"<div class='qa-cite'>[{h.rank}] {e(h.citation)}</div>"
            f"<div class='qa-text'>{e(h.text)}</div>"
            "</div>"
        )
    return "\n".join(parts) or "<p>没有找到条款。</p>"


def build(engine: Engine):
    import gradio as gr

    def on_ask(question: str, k: float) -> str:
        try:
            return render(ask(engine.retriever, question, k=int(k)))
        except BadQuestion as exc:
            return f"<p class='qa-weak'>{html.escape(str(exc))}</p>"

    with gr.Blocks(title=TITLE) as demo:
        gr.Markdown(f"## {TITLE}\n用平常的话提问，得到政策原文条款和出处。")
        with gr.Row():
            q = gr.Textbox(label="问题", placeholder=EXAMPLES[0], scale=4)
            k = gr.Slider(1, 10, value=5, step=1, label="条数", scale=1)
        btn = gr.Button("检索", variant="primary")
        out = gr.HTML()
        gr.Examples(EXAMPLES, inputs=q)
        btn.click(on_ask, [q, k], out, api_name="ask")
        q.submit(on_ask, [q, k], out)
    return demo


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description="Policy clause search web page")
    p.add_argument("--host", default=os.environ.get("QA_HOST", "127.0.0.1"))
    p.add_argument("--port", type=int, default=int(os.environ.get("QA_PORT", "7860")))
    p.add_argument("--model", default=None)
    args = p.parse_args(argv)
    settings = Settings() if not args.model else Settings(model=args.model)
    engine = Engine.open(settings, show_progress=True)
    print(f"index: {engine.index.manifest.n_chunks} clauses from {len(engine.report.documents)} documents")
    build(engine).queue().launch(server_name=args.host, server_port=args.port, share=False)
