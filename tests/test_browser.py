"""The page in a real browser: Debian's Chromium driven by Playwright, the real model.

Starts ``app.py`` on a free loopback port, asks a question as a person would, opens a
clause in context, compares across documents, sends an XSS string, votes, and saves
screenshots (desktop and phone width) under test-artifacts/.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from qa.settings import PROJECT_ROOT

pytestmark = [pytest.mark.browser, pytest.mark.model]
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

CLEAN_ENV = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}  # no developer's QA_STORE

if not Path(CHROMIUM).exists():
    if os.environ.get("CI"):
        raise RuntimeError("CI needs Debian's chromium at /usr/bin/chromium (make test installs it)")
    pytest.skip("Debian chromium not installed (apt-get install chromium)", allow_module_level=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def app(tmp_path_factory, real_engine):
    work = tmp_path_factory.mktemp("app")
    emb = real_engine.settings.embeddings  # the index the real engine built: the app only loads it
    port = _free_port()
    log = work / "feedback.jsonl"
    out = open(work / "app.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "app.py", "--port", str(port), "--embeddings", str(emb), "--feedback-log", str(log)],
        cwd=PROJECT_ROOT,
        env=CLEAN_ENV,
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.time() + 300
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("app exited: " + (work / "app.log").read_text())
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            time.sleep(1)
    else:
        proc.kill()
        raise RuntimeError("app did not start: " + (work / "app.log").read_text())
    yield url, log
    proc.terminate()
    proc.wait(timeout=30)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield b
        b.close()


@pytest.fixture()
def page(app, browser):
    url, _ = app
    ctx = browser.new_context(viewport={"width": 1280, "height": 1000}, locale="zh-CN")
    pg = ctx.new_page()
    pg.outside = []  # requests that leave this machine's page server
    pg.dialogs = []
    pg.on("request", lambda r: None if r.url.startswith((url, "data:", "blob:")) else pg.outside.append(r.url))
    pg.on("dialog", lambda d: (pg.dialogs.append(d.message), d.dismiss()))
    pg.goto(url)
    pg.wait_for_selector("#qa-question textarea", timeout=60_000)
    yield pg
    ctx.close()


def _ask(pg, question: str, answers_before: int) -> None:
    box = pg.locator("#qa-question textarea")
    box.fill(question)
    box.press("Enter")
    pg.wait_for_function(f"document.querySelectorAll('.qa-bot').length > {answers_before}", timeout=60_000)


def test_ask_cite_open_in_context_and_vote(page, app):
    ARTIFACTS.mkdir(exist_ok=True)
    _ask(page, "农民工的孩子能在城里上公办学校吗?", 0)
    first = page.locator(".qa-hit").first
    text = first.locator(".qa-text").inner_text()
    assert "随迁子女" in text and "公办" in text
    cite = first.locator(".qa-cite-text").inner_text()
    assert "›" in cite and "年" in cite and ("国务院" in cite or "省" in cite)
    assert first.locator("mark").count() > 0 and first.locator(".qa-best").count() == 1

    page.locator("#qa-open label").first.click()
    page.wait_for_selector(".qa-context .qa-ctx-target", timeout=30_000)
    target = page.locator(".qa-ctx-target")
    assert target.locator(".qa-ctx-orig").inner_text().strip()
    page.screenshot(path=str(ARTIFACTS / "ask-desktop.png"), full_page=True)

    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    copy = first.locator(".qa-copy")
    copy.click()
    page.wait_for_function("document.querySelector('.qa-copy').textContent === '已复制'", timeout=10_000)
    assert page.evaluate("navigator.clipboard.readText()") == cite.strip()

    page.locator("#qa-up").click()
    page.wait_for_function("document.querySelector('#qa-vote-status').innerText.includes('已记录')", timeout=30_000)
    _, log = app
    entry = json.loads(log.read_text(encoding="utf-8").splitlines()[-1])
    assert entry["vote"] == "up" and entry["question"] == "农民工的孩子能在城里上公办学校吗?" and entry["clause_ids"]
    assert page.outside == [], page.outside


def test_compare_mode_shows_one_clause_per_document(page):
    page.locator("#qa-options").click()
    page.locator("#qa-compare-toggle input").check()
    _ask(page, "各地对居住证怎么规定?", 0)
    cards = page.locator(".qa-compare .qa-hit")
    docs = [cards.nth(i).get_attribute("data-doc") for i in range(cards.count())]
    assert len(docs) >= 3 and len(set(docs)) == len(docs)
    page.screenshot(path=str(ARTIFACTS / "compare-desktop.png"), full_page=True)


def test_xss_is_shown_as_text_and_runs_nothing(page):
    evil = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    _ask(page, evil, 0)
    page.wait_for_timeout(1000)
    assert page.dialogs == []
    assert evil in page.locator(".qa-user .qa-bubble").last.inner_text()
    assert page.locator(".qa-conv img").count() == 0 and page.locator(".qa-conv script").count() == 0


def test_phone_width_and_weak_answer(app, browser):
    url, _ = app
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True)
    pg = ctx.new_page()
    pg.goto(url)
    pg.wait_for_selector("#qa-question textarea", timeout=60_000)
    _ask(pg, "宠物狗办证需要什么手续?", 0)
    assert "文件中没有找到直接相关的条款" in pg.locator(".qa-warn").inner_text()
    _ask(pg, "上海落户需要什么条件?", 1)  # a place no document covers: said, then what national rules say
    assert "所收录文件中没有上海的文件" in pg.locator(".qa-warn").last.inner_text()
    width = pg.evaluate("document.documentElement.scrollWidth")
    assert width <= 390 + 2, width  # no sideways scrolling on a phone
    pg.screenshot(path=str(ARTIFACTS / "weak-phone.png"), full_page=True)
    ctx.close()


def test_api_returns_structured_hits(app):
    from gradio_client import Client

    url, _ = app
    client = Client(url, verbose=False)
    res = client.predict("長沙保障性租賃住房有多少套?", 3, api_name="/ask")
    assert res["results"][0]["doc"] == "003_217c44fc42c73619.txt" and "4.35万套" in res["results"][0]["text"]
    assert set(res["results"][0]) >= {"rank", "doc", "title", "section", "text", "score", "citation"}


def test_admin_upload_needs_login_and_updates_answers(browser, tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text(
        (PROJECT_ROOT / "seeds" / "002_c9fc10332399f20f.txt").read_text(encoding="utf-8"), encoding="utf-8"
    )
    users = tmp_path / "users"
    users.write_text("boss:s3cret\nclerk:pw\n", encoding="utf-8")
    port = _free_port()
    cmd = [sys.executable, "app.py", "--port", str(port), "--model", "hashing", "--corpus", str(corpus),
           "--embeddings", str(tmp_path / "emb"), "--auth-file", str(users), "--admin", "boss",
           "--feedback-log", str(tmp_path / "fb.jsonl")]  # fmt: skip
    app_log = tmp_path / "app.log"
    proc = subprocess.Popen(cmd, cwd=PROJECT_ROOT, env=CLEAN_ENV, stdout=app_log.open("w"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(url, timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        ctx = browser.new_context(viewport={"width": 1280, "height": 1000})
        pg = ctx.new_page()
        pg.goto(url)
        pg.locator("input[type=text]").first.fill("boss")
        pg.locator("input[type=password]").first.fill("s3cret")
        pg.locator("input[type=password]").first.press("Enter")
        pg.wait_for_selector("#qa-question textarea", timeout=60_000)
        new = tmp_path / "租房新规.txt"
        new.write_text("某市关于租赁住房的通知\n一、租房补贴\n(一)新市民租房每月补贴500元。\n", encoding="utf-8")
        pg.locator("#qa-admin").click()
        pg.locator("#qa-admin input[type=file]").set_input_files(str(new))
        pg.wait_for_timeout(1000)
        pg.locator("#qa-upload").click()
        try:
            pg.wait_for_function("document.querySelector('#qa-upload-status').innerText.includes('已完成')", timeout=60_000)
        except Exception as exc:
            status = pg.locator("#qa-upload-status").inner_text()
            raise AssertionError(f"upload status: {status!r}; app log: {app_log.read_text()[-3000:]}") from exc
        assert (corpus / "租房新规.txt").exists()
        _ask(pg, "新市民租房补贴", 0)
        assert "新市民租房每月补贴500元" in pg.locator(".qa-hit").first.inner_text()
        pg.screenshot(path=str(ARTIFACTS / "admin-upload.png"), full_page=True)
        ctx.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
