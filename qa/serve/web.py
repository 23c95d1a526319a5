"""The web page (Gradio): a conversation that answers first, then shows the cited clauses.

Layout, top to bottom: the conversation (before any question, the documents searched);
each answer opens with its status in plain words and a short extractive answer whose
[n] markers jump to the clause cards, then the cards, then 👍/👎 for that answer. A
document viewer opens from any card. The question box stays at the bottom of the view;
below it 新对话, the 依据单 downloads, example questions and the options (compare across
documents, filters by document / region / year, the date to answer as of). All text is
escaped in ``qa.serve.render`` and ``qa.serve.viewer``. The engine and model are loaded
once per process; requests go through Gradio's queue. The same answers are available to
scripts as the API endpoint ``/ask`` (see README), returning what ``qa ask --json`` prints.
"""

# no "from __future__ import annotations": Gradio injects gr.Request by the annotation's real type
import tempfile
import threading
import time
import uuid
from dataclasses import replace
from pathlib import Path

from qa.engine import Engine
from qa.errors import BadInput, BadQuestion, ManageError, QAError
from qa.ingest.manage import add_files
from qa.ingest.read import MB, SUFFIXES
from qa.search import MODES, Filters
from qa.search.gazetteer import NATIONAL
from qa.search.lock import build_lock
from qa.search.topics import TOPICS, clauses_on, topic
from qa.search.validity import parse_day, validity
from qa.serve.answer import ask, compare, make_hits, short_title, staff_citation
from qa.serve.dialog import followup_regions, retrieval_text
from qa.serve.export import to_html, to_markdown
from qa.serve.feedback import REASONS, record
from qa.serve.guard import LoginThrottle, SecurityHeaders, ThrottleLogins
from qa.serve.render import CSS, PAGE_JS, TOPICS_JS, DocRow, Turn, conversation_html, landing_html, topics_html
from qa.serve.viewer import VIEWER_CSS, VIEWER_JS, TopicDoc, ViewRow, topic_html, viewer_html
from qa.settings import Settings

TITLE = "政策条款问答"
# examples whose first clause answers them (checked with the default model); the last one
# is asked as a comparison across documents
EXAMPLES = [
    "外地人在太原落户需要什么条件?",
    "农民工的孩子能在城里上公办学校吗?",
    "长沙保障性租赁住房有多少套?",
    "看病能异地结算吗?",
    "老旧小区改造有什么政策?",
    "Can residence permit holders join basic medical insurance?",
    "山西、山东和湖南对居住证分别怎么规定?",
]
COMPARE_EXAMPLES = frozenset({"山西、山东和湖南对居住证分别怎么规定?"})
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

    def answer(self, question: str, turns: list[Turn], compare_mode: bool, filters: Filters, k: int, as_of: str = "") -> Turn:
        """One new turn for ``question``, read as a follow-up of the last turn where it is one."""
        previous = next((t.question for t in reversed(turns) if t.answer is not None), None)
        text, followup = retrieval_text(question or "", previous)
        regions = [r for r in followup_regions(question or "") if r in self.engine.retriever.covered]
        if followup and regions and filters.empty():  # "那湖南呢?": 湖南's documents first, and national ones
            filters = Filters(regions=(*regions, NATIONAL))
        stamp = dict(tid=uuid.uuid4().hex[:8], filters=filters, asked_at=time.strftime("%Y-%m-%d %H:%M"))
        try:
            day = parse_day(as_of) if as_of.strip() else None
        except ValueError:
            return Turn(question or "", None, "日期请写成 2024-07-31 这样的格式。", **stamp)
        try:
            if compare_mode:
                ans = compare(self.engine.retriever, text, filters, as_of=day)
            else:
                ans = ask(self.engine.retriever, text, k=k, filters=filters, as_of=day)
        except BadQuestion as exc:
            return Turn(question or "", None, FRIENDLY.get(exc.code, str(exc)), **stamp)
        return Turn(
            question,
            ans,
            followup_of=previous if followup else "",
            compare=compare_mode,
            as_of=day.isoformat() if day else "",
            **stamp,
        )

    def record(self, turns: list[Turn]) -> str:
        """The 依据单 of ``turns`` in Markdown ("" before any question)."""
        return to_markdown(turns, self.index_version(), time.strftime("%Y-%m-%d %H:%M")) if turns else ""

    def render(self, turns: list[Turn], record: str | None = None) -> str:
        """The conversation (the landing view when there is none); ``record`` if the caller has it."""
        if not turns:
            return conversation_html(turns, self.weight, self.landing())
        return conversation_html(turns, self.weight, "", self.doc_names(), self.record(turns) if record is None else record)

    def doc_names(self) -> dict[str, str]:
        return {d.doc_id: short_title(d.title or d.doc_id) for d in self.engine.index.manifest.documents}

    def landing(self) -> str:
        """The documents searched, with region, year and status today."""
        idx = self.engine.index
        status = validity(idx.docs)
        rows = [
            DocRow(short_title(d.title or d.doc_id), d.region, d.year, status[d.doc_id].status if d.doc_id in status else "")
            for d in idx.manifest.documents
        ]
        return landing_html(rows)

    # -- the document viewer, feedback, export, API ------------------------------------

    def document(self, chunk_id: str, terms: tuple[str, ...] = ()) -> str:
        """The whole document of clause ``chunk_id``, opened at it; "" for an unknown id."""
        idx = self.engine.index
        try:
            pos = idx.position(chunk_id)
        except KeyError:
            return ""
        doc_id = idx.chunks[pos].doc_id
        rows = [ViewRow(c.chunk_id, tuple(c.section), c.text, idx.original(c)) for c in idx.chunks if c.doc_id == doc_id]
        info = idx.docs[doc_id]
        status = validity(idx.docs, only=[doc_id]).get(doc_id)
        facts = [info.issuer, f"{info.year}年" if info.year else "", info.doc_number, info.region]
        title = info.title or doc_id
        return viewer_html(title, facts, status.status if status else "", rows, chunk_id, terms, self.weight)

    def topic_table(self, label: str) -> str:
        """What every document says on the topic ``label`` (one of ``TOPICS``); "" if unknown."""
        if label not in TOPICS:
            return ""
        retriever = self.engine.retriever
        idx = retriever.index
        chosen = topic(label, retriever.expander)
        on = clauses_on(chosen, idx.chunks)
        status = validity(idx.docs)
        rows = []
        for d in idx.manifest.documents:
            where = " · ".join(x for x in (d.region, f"{d.year}年" if d.year else "") if x)
            positions = [idx.position(c.chunk_id) for c in on.get(d.doc_id, [])]
            zeros = [0.0] * len(positions)  # no scores: the table is a listing, not a ranking
            hits = make_hits(idx, positions, zeros, zeros, zeros)
            clauses = tuple((h.chunk_id, staff_citation(h), h.text) for h in hits)
            rows.append(TopicDoc(short_title(d.title or d.doc_id), where, status[d.doc_id].status, clauses))
        rows.sort(key=lambda r: -len(r.clauses))  # documents that say most first, silent ones last
        return topic_html(label, rows, chosen.terms, lambda _t: 1.0, len(rows))

    def vote(self, tid: str, vote: str, turns: list[Turn], reason: str = "") -> list[Turn]:
        """Record 👍/👎 (or a 👎's reason) on the answer ``tid``; a change of mind is logged
        as a change, clicking the chosen vote again records nothing."""
        i = next((i for i, t in enumerate(turns) if t.tid == tid and t.answer is not None), None)
        if i is None or vote not in ("up", "down") or reason not in ("", *REASONS):
            return turns
        turn = turns[i]
        if turn.vote == vote and turn.reason == reason:
            return turns
        record(
            self.feedback_log,
            question=turn.question,
            vote=vote,
            clause_ids=[h.chunk_id for h in turn.answer.hits],
            mode="compare" if turn.compare else "ask",
            turn=tid,
            previous=turn.vote if turn.vote != vote else "",
            reason=reason,
        )
        return [*turns[:i], replace(turn, vote=vote, reason=reason), *turns[i + 1 :]]

    def index_version(self) -> str:
        m = self.engine.index.manifest
        return f"{m.build_time} · {m.corpus_hash[:12]}"

    def export(self, turns: list[Turn], folder: Path, record: str | None = None) -> tuple[Path, Path] | None:
        """Write the 依据单 of ``turns`` as Markdown (``record`` if the caller has it) and
        printable HTML into ``folder``."""
        if not any(t.answer is not None for t in turns):
            return None
        stem = "依据单-" + time.strftime("%Y%m%d-%H%M%S")
        md, page = folder / f"{stem}.md", folder / f"{stem}.html"
        md.write_text(self.record(turns) if record is None else record, encoding="utf-8")
        page.write_text(to_html(turns, self.index_version(), time.strftime("%Y-%m-%d %H:%M")), encoding="utf-8")
        return md, page

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


def build(engine: Engine, feedback_log: Path, admins: frozenset[str] = frozenset()):
    import gradio as gr

    page = Page(engine, feedback_log, admins)
    docs = engine.index.manifest.documents
    doc_choices = [(short_title(d.title or d.doc_id, 60), d.doc_id) for d in docs]
    regions = sorted({d.region for d in docs if d.region})
    years = sorted({d.year for d in docs if d.year}, reverse=True)
    exports = Path(tempfile.mkdtemp(prefix="qa-export-"))

    def after(turns):
        """The conversation and the 依据单 downloads (shown once there is an answer)."""
        record = page.record(turns)  # one Markdown for the download and the copy button
        files = page.export(turns, exports, record)
        md, printable = files if files else (None, None)
        return (
            page.render(turns, record),
            turns,
            gr.update(value=md, visible=md is not None),
            gr.update(value=printable, visible=printable is not None),
        )

    def on_ask(question, turns, compare_mode, doc_sel, region_sel, year_sel, as_of, k):
        if not (question or "").strip():  # nothing asked: no empty bubble
            return (gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip())
        filters = Filters(tuple(doc_sel or ()), tuple(region_sel or ()), tuple(int(y) for y in year_sel or ()))
        turn = page.answer(question, turns, bool(compare_mode), filters, int(k), as_of or "")
        return (*after([*turns, turn][-MAX_TURNS:]), "")

    def on_action(turns, evt: gr.EventData):
        data = getattr(evt, "_data", None) or {}
        action = data.get("action")
        if action == "open":
            chunk = str(data.get("chunk", ""))
            asked = (t.answer for t in turns if t.answer and any(h.chunk_id == chunk for h in t.answer.hits))
            terms = next((a.terms for a in asked), ())
            return gr.skip(), gr.skip(), gr.skip(), gr.skip(), page.document(chunk, terms)
        if action in ("vote", "reason"):
            tid = str(data.get("turn", ""))
            turn = next((t for t in turns if t.tid == tid), None)
            vote = "down" if action == "reason" else str(data.get("value", ""))
            reason = str(data.get("value", "")) if action == "reason" else ""
            if turn is not None and action == "reason" and turn.reason == reason:
                reason = ""  # a second click takes the reason back
            return (*after(page.vote(tid, vote, turns, reason)), gr.skip())
        return gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()

    def on_panel(evt: gr.EventData):
        """The panel over the page: a topic table, a document from it, or closed."""
        data = getattr(evt, "_data", None) or {}
        if data.get("action") == "topic":
            return page.topic_table(str(data.get("value", "")))
        if data.get("action") == "open":
            return page.document(str(data.get("chunk", "")))
        return ""

    def on_clear():
        """新对话: the conversation, its downloads, the viewer and every filter cleared."""
        hidden = gr.update(value=None, visible=False)
        return page.render([]), [], hidden, hidden, "", [], [], [], "", False

    with gr.Blocks(title=TITLE) as demo:
        turns = gr.State([])
        gr.Markdown(f"# {TITLE}\n用平常说话的方式提问，系统摘出政策文件中回答问题的原文，并注明出处（文件、文号、章节）。")
        topics = gr.HTML(topics_html(list(TOPICS)), elem_id="qa-topic-chips", js_on_load=TOPICS_JS)
        conv = gr.HTML(page.render([]), elem_id="qa-conversation", js_on_load=PAGE_JS)
        viewer = gr.HTML("", elem_id="qa-viewer", js_on_load=VIEWER_JS)
        with gr.Row(elem_id="qa-ask-row", equal_height=True):
            question = gr.Textbox(
                label="您的问题",
                placeholder="例如：外地人在太原落户需要什么条件?",
                lines=1,
                max_lines=4,
                scale=5,
                elem_id="qa-question",
            )
            send = gr.Button("提问", variant="primary", scale=1, min_width=90, elem_id="qa-send")
        with gr.Row():
            clear = gr.Button("新对话", size="sm", elem_id="qa-clear")
            export_md = gr.DownloadButton("下载依据单（Markdown）", visible=False, size="sm", elem_id="qa-export-md")
            export_html = gr.DownloadButton("下载依据单（可打印）", visible=False, size="sm", elem_id="qa-export-html")
        gr.Markdown("**示例问题**（点一下直接提问）：")
        with gr.Row():
            example_buttons = [gr.Button(q, size="sm", elem_classes=["qa-example"]) for q in EXAMPLES]
        with gr.Accordion("筛选、对比与日期", open=False, elem_id="qa-options"):
            compare_box = gr.Checkbox(
                label="跨文件对比：每个文件给出一条最相关的条款，并排显示", value=False, elem_id="qa-compare-toggle"
            )
            with gr.Row():
                doc_sel = gr.Dropdown(doc_choices, multiselect=True, label="只看这些文件", elem_id="qa-docs")
                region_sel = gr.Dropdown(regions, multiselect=True, label="地区（省份或全国）", elem_id="qa-regions")
                year_sel = gr.Dropdown(years, multiselect=True, label="年份", elem_id="qa-years")
            with gr.Row():
                as_of = gr.Textbox(label="按哪天的效力回答（如 2020-01-01，留空为今天）", elem_id="qa-as-of", max_lines=1)
                k = gr.Slider(1, 10, value=5, step=1, label="显示条数")

        inputs = [question, turns, compare_box, doc_sel, region_sel, year_sel, as_of, k]
        outputs = [conv, turns, export_md, export_html, question]
        send.click(on_ask, inputs, outputs, api_visibility="private")
        question.submit(on_ask, inputs, outputs, api_visibility="private")
        for b, q in zip(example_buttons, EXAMPLES, strict=True):
            b.click(
                lambda t, c, *a, q=q: on_ask(q, t, c or q in COMPARE_EXAMPLES, *a), inputs[1:], outputs, api_visibility="private"
            )
        conv.click(on_action, turns, [conv, turns, export_md, export_html, viewer], api_visibility="private")
        viewer.click(on_panel, None, viewer, api_visibility="private")
        topics.click(on_panel, None, viewer, api_visibility="private")
        clear.click(
            on_clear,
            None,
            [conv, turns, export_md, export_html, viewer, doc_sel, region_sel, year_sel, as_of, compare_box],
            api_visibility="private",
        )
        with gr.Accordion("管理员：上传文件", open=False, visible=bool(admins), elem_id="qa-admin"):
            files = gr.File(
                label="选择文件（.txt .md .pdf .docx .html，扫描件 .png .jpg）", file_count="multiple", file_types=list(SUFFIXES)
            )
            upload_btn = gr.Button("上传并更新索引", elem_id="qa-upload")
            upload_status = gr.Markdown(elem_id="qa-upload-status")

        def on_upload(paths, request: gr.Request, progress=gr.Progress()):  # noqa: B008 - how Gradio injects progress
            return page.upload(list(paths or []), getattr(request, "username", None), progress)

        upload_btn.click(on_upload, files, upload_status, api_visibility="private")

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
        css=CSS + VIEWER_CSS,
        footer_links=[],  # the API is documented in the README, not an English panel
        max_file_size=int(settings.max_document_mb * MB),  # the server refuses larger uploads
        app_kwargs={"middleware": [Middleware(SecurityHeaders), Middleware(ThrottleLogins, throttle=throttle)]},
    )
