"""The served page as a hostile client meets it: headers, login throttling, upload size.

Starts the real ``qa serve`` (the fast hashing model) with logins in a process of its own,
and talks HTTP to it.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from qa.serve.guard import LoginThrottle
from qa.settings import PROJECT_ROOT


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    work = tmp_path_factory.mktemp("served")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_")} | {"QA_AUTH": "boss:s3cret-pw", "QA_ADMINS": "boss"}
    cmd = [sys.executable, "-m", "qa", "serve", "--model", "hashing", "--embeddings", str(work / "emb"), "--port", str(port)]
    log = open(work / "serve.log", "w")
    proc = subprocess.Popen(cmd, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 180
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError((work / "serve.log").read_text())
        try:
            urllib.request.urlopen(url + "/", timeout=2)
            break
        except urllib.error.HTTPError:
            break  # answering (the login page)
        except OSError:
            time.sleep(0.5)
    yield url
    proc.terminate()
    proc.wait(timeout=30)


def _get(url: str) -> tuple[int, dict[str, str]]:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers)


def _login(url: str, user: str, password: str) -> int:
    data = urllib.parse.urlencode({"username": user, "password": password}).encode()
    try:
        with urllib.request.urlopen(urllib.request.Request(url + "/login", data=data), timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def test_every_response_carries_the_security_headers(server):
    for path in ("/", "/config", "/gradio_api/info", "/no-such-page"):
        _status, headers = _get(server + path)
        h = {k.lower(): v for k, v in headers.items()}
        assert "frame-ancestors 'none'" in h["content-security-policy"] and "default-src 'self'" in h["content-security-policy"]
        assert h["x-content-type-options"] == "nosniff" and h["x-frame-options"] == "DENY"


def test_wrong_passwords_are_throttled_but_the_right_one_works_first(server):
    assert _login(server, "boss", "s3cret-pw") == 200
    codes = [_login(server, "boss", f"guess{i}") for i in range(8)]
    assert codes[:5] == [400] * 5 and set(codes[5:]) == {429}  # this address, after five failures
    assert _login(server, "boss", "s3cret-pw") == 429  # even the right password waits out the window


def test_throttle_counts_per_key_within_its_window():
    now = [0.0]
    t = LoginThrottle(limit=3, window=60, clock=lambda: now[0])
    check = t.checker((("ann", "pw"),))
    assert [check("ann", "x") for _ in range(3)] == [False] * 3
    assert check("ann", "pw") is False  # blocked, right password or not
    assert check("bob", "x") is False and not t.blocked("user:bob")  # another user is not blocked
    now[0] = 61.0
    assert check("ann", "pw") is True  # the window has passed


def test_feedback_log_keeps_one_vote_per_line(tmp_path):
    from qa.serve.feedback import record

    log = tmp_path / "fb.jsonl"
    record(log, question="第一行\u2028第二行\u0085第三\u2029", vote="up", clause_ids=[])
    record(log, question="x", vote="down", clause_ids=[])
    raw = log.read_text(encoding="utf-8")
    assert len(raw.splitlines()) == 2  # str.splitlines breaks on U+2028/2029/0085 too
    assert json.loads(raw.splitlines()[0])["question"] == "第一行\u2028第二行\u0085第三\u2029"
