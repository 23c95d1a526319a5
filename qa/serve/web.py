"""The web page (Gradio): a conversation that answers with cited clauses.

Layout: the conversation, a question box with example questions, options
(compare across documents, filters by document / region / year), 👍/👎 on the
latest answer, and a panel that opens a clause in context (its neighbours, and
the original text beside the simplified one). All text is escaped in
``qa.serve.render``. The engine and model are loaded once per process; requests go
through Gradio's queue. The same answers are available to scripts as the API
endpoint ``/ask`` (see README), returning what ``qa ask --json`` prints.
"""

# no "from __future__ import annotations": Gradio injects gr.Request by the annotation's real type
import threading
from pathlib import Path

from qa.engine import Engine
from qa.errors import BadInput, BadQuestion, ManageError, QAError
from qa.ingest.manage import add_files
from qa.ingest.read import MB, SUFFIXES
from qa.search import MODES, Filters
from qa.search.gazetteer import NATIONAL
from qa.search.lock import build_lock
from qa.search.validity import parse_day
from qa.serve.answer import Answer, ask, compare, neighbour_positions
from qa.serve.dialog import followup_regions, retrieval_text
from qa.serve.feedback import record
from qa.serve.guard import LoginThrottle, SecurityHeaders, ThrottleLogins
from qa.serve.render import COPY_JS, CSS, Turn, context_html, conversation_html
from qa.settings import Settings

TITLE = "政策条款问答"
EXAMPLES = [
    "外地人在太原落户需要什么条件?",
    "农民工的孩子能在城里上公办学校吗?",
    "租房有补贴吗?",
    "看病能异地结算吗?",
    "老旧小区改造有什么政策?",
    "山西、山东和湖南对居住证分别怎么规定?",
]
FRIENDLY = {
    "empty": "请先输入一个问题，例如“外地人在太原落户需要什么条件?”",
    "no_words": "没有看懂这个问题，请用文字描述想查的政策内容。",
    "bad_k": "条数至少为 1。",
}
MAX_TURNS = 30


class Page:
    """Callbacks of the page, over one engine; no Gradio types in here, so they test plainly."""

    def __init__(self, engine: Engine, feedback_log: Path, admins: frozenset[str] = frozenset()) -> None:
        self._engine = engine
        self.feedback_log = feedback_log
        self.admins = admins
        self._swap_lock = threading.Lock()

    @property
    def engine(self) -> Engine:
        """The engine on the current index: when another process (``qa add`` from a shell,
        say) has switched the index, the next request loads it; questions asked meanwhile
        are answered from the old one."""
        with self._swap_lock:
            self._engine = self._engine.refreshed()
            return self._engine

    # -- asking -------------------------------------------------------------------------

    def weight(self, term: str) -> float:
        return self.engine.retriever.idf(term)

    def answer(self, question: str, turns: list[Turn], compare_mode: bool, filters: Filters, k: int) -> Turn:
        """One new turn for ``question``, read as a follow-up of the last turn where it is one."""
        previous = next((t.question for t in reversed(turns) if t.answer is not None), None)
        text, followup = retrieval_text(question or "", previous)
        regions = [r for r in followup_regions(question or "") if r in self.engine.retriever.covered]
        if followup and regions and filters.empty():  # "那湖南呢?": 湖南's documents first, and national ones
            filters = Filters(regions=(*regions, NATIONAL))
        try:
            if compare_mode:
                ans = compare(self.engine.retriever, text, filters)
            else:
                ans = ask(self.engine.retriever, text, k=k, filters=filters)
        except BadQuestion as exc:
            return Turn(question or "", None, FRIENDLY.get(exc.code, str(exc)))
        return Turn(question, ans, followup_of=previous if followup else "", compare=compare_mode)

    def render(self, turns: list[Turn]) -> str:
        return conversation_html(turns, self.weight)

    # -- context, feedback, API -------------------------------------------------------

    def context(self, chunk_id: str | None) -> str:
        """The clause ``chunk_id`` among its neighbours (two either side) of the same section."""
        idx = self.engine.index
        try:
            around = [idx.chunks[i] for i in neighbour_positions(idx, chunk_id or "", 2, 2)]
        except KeyError:
            return ""
        parent = next(c for c in around if c.chunk_id == chunk_id).section[:-1]
        rows = [
            (c.chunk_id, c.section_path, c.text, idx.original(c))
            for c in around
            if c.chunk_id == chunk_id or c.section[: len(parent)] == parent
        ]
        return context_html(chunk_id or "", rows)

    def vote(self, vote: str, turns: list[Turn]) -> str:
        last = next((t for t in reversed(turns) if t.answer is not None), None)
        if last is None:
            return "请先提问，再评价回答。"
        record(
            self.feedback_log,
            question=last.question,
            vote=vote,
            clause_ids=[h.chunk_id for h in last.answer.hits],
            mode="compare" if last.compare else "ask",
        )
        return "已记录，谢谢您的反馈！"

    def upload(self, paths: list[str], username: str | None, progress=lambda *_a, **_k: None) -> str:
        """Add documents as an administrator; the page switches to the new index when it is ready.

        Questions asked meanwhile are answered from the old index: the engine is replaced in
        one assignment once the new one is loaded."""
        if not self.admins:
            return "上传未开启：启动时需设置登录和管理员（--auth-file 与 --admin）。"
        if not username or username not in self.admins:
            return "只有管理员登录后才能上传文件。"
        if not paths:
            return "请先选择要上传的文件（.txt .md .pdf .docx .html）。"
        settings = self.engine.settings
        progress(0.1, desc="检查文件")
        try:
            # the build lock, as for qa add: one update at a time, across processes too
            with build_lock(settings.embeddings, settings.build_wait):
                changes = add_files(
                    [Path(p) for p in paths], settings.corpus[0], settings.removed_dir, max_mb=settings.max_document_mb
                )
                progress(0.4, desc="更新索引（只嵌入新的条款）")
                engine = Engine.open(settings, encoder=self.engine.encoder, strict=True)
        except ManageError as exc:
            return f"未上传：{exc}"
        except QAError as exc:
            return f"文件已加入，但索引未能更新（{exc}）；现有回答仍来自上一版索引。"
        progress(0.9, desc="切换到新索引")
        with self._swap_lock:
            self._engine = engine
        m = engine.index.manifest
        done = "；".join(
            f"{c.doc_id}（{'新增' if c.action == 'added' else '未变' if c.action == 'unchanged' else '替换'}）" for c in changes
        )
        return f"已完成：{done}。现有 {len(m.documents)} 个文件、{m.n_chunks} 条条款，本次嵌入 {m.embedded} 条。"

    def api_ask(
        self, question: object, k: object = 5, mode: object = "hybrid", docs=None, regions=None, years=None, as_of=None
    ) -> dict:
        """The structured answer, exactly as ``qa ask --json`` prints it, or ``{"error": …}``
        naming the argument that cannot be used — whatever types a script sends."""
        try:
            q, n, filters = _api_arguments(question, k, mode, docs, regions, years)
            day = None
            if as_of not in (None, ""):
                if not isinstance(as_of, str):
                    raise BadInput("as_of must be a date written YYYY-MM-DD")
                try:
                    day = parse_day(as_of)
                except ValueError as exc:
                    raise BadInput(str(exc).replace("--as-of", "as_of")) from None
            ans = ask(self.engine.retriever, q, k=n, mode=mode, filters=filters, as_of=day)  # type: ignore[arg-type]
        except BadInput as exc:
            return {"question": question if isinstance(question, str) else None, "error": str(exc), "results": []}
        return ans.to_json()


MAX_K = 50


def _texts(name: str, value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise BadInput(f"{name} must be a list of strings")
    return tuple(value)


def _api_arguments(question, k, mode, docs, regions, years) -> tuple[str, int, Filters]:
    """Check the API's arguments; a wrong type is a ``BadInput`` naming the argument."""
    if not isinstance(question, str):
        raise BadInput("question must be a string")
    if isinstance(k, bool) or not isinstance(k, (int, float, str)):
        raise BadInput(f"k must be a whole number from 1 to {MAX_K}")
    try:
        n = int(k)
    except (ValueError, OverflowError):
        raise BadInput(f"k must be a whole number from 1 to {MAX_K}") from None
    if not 1 <= n <= MAX_K:
        raise BadInput(f"k must be a whole number from 1 to {MAX_K}")
    if mode not in MODES:
        raise BadInput(f"mode must be one of {list(MODES)}")
    year_list = [years] if isinstance(years, (int, str)) else years or []
    if not isinstance(year_list, (list, tuple)):
        raise BadInput("years must be a list of years")
    try:
        year_values = tuple(int(y) for y in year_list if not isinstance(y, bool))
    except (TypeError, ValueError, OverflowError):
        raise BadInput("years must be a list of years, such as [2024]") from None
    return question, n, Filters(_texts("docs", docs), _texts("regions", regions), year_values)


def _choices(ans: Answer | None) -> list[tuple[str, str]]:
    if ans is None:
        return []
    out = []
    for h in ans.hits:
        short = h.title if len(h.title) <= 24 else h.title[:24] + "…"
        section = h.section.split(" › ")[-1] if h.section else "文首/文尾"
        out.append((f"[{h.rank}] {short} › {section}", h.chunk_id))
    return out


def build(engine: Engine, feedback_log: Path, admins: frozenset[str] = frozenset()):
    import gradio as gr

    page = Page(engine, feedback_log, admins)
    docs = engine.index.manifest.documents
    doc_choices = [(f"{d.title[:30]}（{d.doc_id}）", d.doc_id) for d in docs]
    regions = sorted({d.region for d in docs if d.region})
    years = sorted({d.year for d in docs if d.year}, reverse=True)

    def on_ask(question, turns, compare_mode, doc_sel, region_sel, year_sel, k):
        filters = Filters(tuple(doc_sel or ()), tuple(region_sel or ()), tuple(int(y) for y in year_sel or ()))
        turn = page.answer(question, turns, bool(compare_mode), filters, int(k))
        turns = [*turns, turn][-MAX_TURNS:]
        choices = _choices(turn.answer)
        return (
            page.render(turns),
            turns,
            "",
            gr.update(choices=choices, value=None, visible=bool(choices)),
            "",
            "",
        )

    def on_clear():
        return page.render([]), [], gr.update(choices=[], value=None, visible=False), "", ""

    with gr.Blocks(title=TITLE) as demo:
        turns = gr.State([])
        gr.Markdown(f"# {TITLE}\n用平常说话的方式提问，系统找出政策文件中最相关的条款，并注明出处（文件、机关、年份、章节）。")
        conv = gr.HTML(page.render([]), elem_id="qa-conversation", js_on_load=COPY_JS, autoscroll=True)
        with gr.Row():
            gr.Markdown("对最新的回答：这个回答有帮助吗？")
            up = gr.Button("👍 有帮助", size="sm", elem_id="qa-up")
            down = gr.Button("👎 没帮助", size="sm", elem_id="qa-down")
            clear = gr.Button("新对话", size="sm", elem_id="qa-clear")
        vote_status = gr.Markdown(elem_id="qa-vote-status")
        opener = gr.Radio([], label="在原文中查看：点选一条，显示它前后的条款和文件原样", visible=False, elem_id="qa-open")
        context = gr.HTML(elem_id="qa-context")
        with gr.Row(equal_height=True):
            question = gr.Textbox(
                label="您的问题",
                placeholder="例如：外地人在太原落户需要什么条件?",
                lines=1,
                max_lines=4,
                scale=5,
                elem_id="qa-question",
            )
            send = gr.Button("提问", variant="primary", scale=1, min_width=90, elem_id="qa-send")
        gr.Markdown("**示例问题**（点一下直接提问）：")
        with gr.Row():
            example_buttons = [gr.Button(q, size="sm", elem_classes=["qa-example"]) for q in EXAMPLES]
        with gr.Accordion("筛选与对比", open=False, elem_id="qa-options"):
            compare_box = gr.Checkbox(
                label="跨文件对比：每个文件给出一条最相关的条款，并排显示", value=False, elem_id="qa-compare-toggle"
            )
            with gr.Row():
                doc_sel = gr.Dropdown(doc_choices, multiselect=True, label="只看这些文件", elem_id="qa-docs")
                region_sel = gr.Dropdown(regions, multiselect=True, label="地区（省份或全国）", elem_id="qa-regions")
                year_sel = gr.Dropdown(years, multiselect=True, label="年份", elem_id="qa-years")
            k = gr.Slider(1, 10, value=5, step=1, label="显示条数")

        inputs = [question, turns, compare_box, doc_sel, region_sel, year_sel, k]
        outputs = [conv, turns, question, opener, context, vote_status]
        send.click(on_ask, inputs, outputs, api_visibility="private")
        question.submit(on_ask, inputs, outputs, api_visibility="private")
        for b, q in zip(example_buttons, EXAMPLES, strict=True):
            b.click(lambda *a, q=q: on_ask(q, *a), inputs[1:], outputs, api_visibility="private")
        with gr.Accordion("管理员：上传文件", open=False, visible=bool(admins), elem_id="qa-admin"):
            files = gr.File(
                label="选择文件（.txt .md .pdf .docx .html，扫描件 .png .jpg）", file_count="multiple", file_types=list(SUFFIXES)
            )
            upload_btn = gr.Button("上传并更新索引", elem_id="qa-upload")
            upload_status = gr.Markdown(elem_id="qa-upload-status")

        def on_upload(paths, request: gr.Request, progress=gr.Progress()):  # noqa: B008 - how Gradio injects progress
            return page.upload(list(paths or []), getattr(request, "username", None), progress)

        upload_btn.click(on_upload, files, upload_status, api_visibility="private")
        opener.change(page.context, opener, context, api_visibility="private")
        up.click(lambda t: page.vote("up", t), turns, vote_status, api_visibility="private")
        down.click(lambda t: page.vote("down", t), turns, vote_status, api_visibility="private")
        clear.click(on_clear, None, [conv, turns, opener, context, vote_status], api_visibility="private")

        def api_ask(  # annotations document the API; Page.api_ask checks what really arrives
            question: str,
            k: int = 5,
            mode: str = "hybrid",
            docs: list[str] | None = None,
            regions: list[str] | None = None,
            years: list[int] | None = None,
            as_of: str | None = None,
        ) -> dict:
            """Best-matching clauses with citations, as `qa ask --json` returns them; `as_of`
            (YYYY-MM-DD) labels each document's status as on that day."""
            return page.api_ask(question, k, mode, docs, regions, years, as_of)

        gr.api(api_ask, api_name="ask")
    return demo


def serve(settings: Settings) -> None:
    """Open the engine (building the index if needed) and serve the page until stopped."""
    if settings.admins and not settings.auth:
        raise BadInput("--admin needs logins (--auth-file or QA_AUTH): uploads are for logged-in administrators")
    unknown = settings.admins - {u for u, _ in settings.auth}
    if unknown:
        raise BadInput(f"administrators without a login: {', '.join(sorted(unknown))}")
    engine = Engine.open(settings, show_progress=True)
    print(f"index: {engine.index.manifest.n_chunks} clauses from {len(engine.catalog.entries)} documents", flush=True)
    if engine.stale:
        print(f"warning: answering from the previous index: {engine.stale}", flush=True)
    demo = build(engine, settings.feedback_log, settings.admins)
    throttle = LoginThrottle()
    from starlette.middleware import Middleware

    demo.queue(default_concurrency_limit=2, max_size=256).launch(
        server_name=settings.host,
        server_port=settings.port,
        share=settings.share,
        auth=throttle.checker(settings.auth) if settings.auth else None,
        css=CSS,
        footer_links=["api"],
        max_file_size=int(settings.max_document_mb * MB),  # the server refuses larger uploads
        app_kwargs={"middleware": [Middleware(SecurityHeaders), Middleware(ThrottleLogins, throttle=throttle)]},
    )
