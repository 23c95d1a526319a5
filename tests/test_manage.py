"""Keeping the corpus current: add, remove, and a build killed midway."""

import json
import os
import shutil
import signal
import subprocess
import sys

import pytest

from qa.search.index import load_index
from qa.settings import PROJECT_ROOT

NEW_DOC = (
    "某市人民政府关于进一步放宽落户条件的通知\n一、放宽落户条件\n"
    "(一)取消社保缴纳年限要求。在本市稳定就业的人员可凭劳动合同直接落户。\n"
    "(二)实行租房落户。租赁住房满一年的可在租住地落户。\n某市人民政府\n2025年3月1日\n"
)


@pytest.fixture()
def setup(tmp_path, qa):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in ("002_c9fc10332399f20f.txt", "003_217c44fc42c73619.txt"):
        shutil.copy(PROJECT_ROOT / "seeds" / name, corpus / name)
    emb = tmp_path / "emb"
    common = ["--corpus", str(corpus), "--model", "hashing", "--embeddings", str(emb)]
    assert qa("index", *common).returncode == 0
    return corpus, emb, common, tmp_path


def _index_root(emb):
    return next((emb / "indexes").iterdir())


def test_add_embeds_only_the_new_document(setup, qa):
    _corpus, emb, common, tmp = setup
    before = load_index(_index_root(emb)).manifest
    src = tmp / "new_policy.txt"
    src.write_text(NEW_DOC, encoding="utf-8")
    r = qa("add", str(src), *common)
    assert r.returncode == 0, r.stderr
    assert "added: new_policy.txt" in r.stdout
    after = load_index(_index_root(emb)).manifest
    new_chunks = after.n_chunks - before.n_chunks
    assert new_chunks > 0 and after.embedded == new_chunks  # nothing else was embedded again
    r = qa("ask", "租房落户", "--k", "1", "--json", *common)
    assert json.loads(r.stdout)["results"][0]["doc"] == "new_policy.txt"


def test_add_refuses_bad_files_and_silent_overwrites(setup, qa):
    corpus, _emb, common, tmp = setup
    bad = tmp / "scan.txt"
    bad.write_bytes(b"\x00\x01\x02binary")
    r = qa("add", str(bad), *common)
    assert r.returncode == 2 and "scan.txt" in r.stderr and not (corpus / "scan.txt").exists()
    clash = tmp / "002_c9fc10332399f20f.txt"
    clash.write_text(NEW_DOC, encoding="utf-8")
    r = qa("add", str(clash), *common)
    assert r.returncode == 2 and "--replace" in r.stderr
    assert "山东" in (corpus / "002_c9fc10332399f20f.txt").read_text(encoding="utf-8")
    r = qa("add", str(clash), "--replace", *common)
    assert r.returncode == 0 and "replaced" in r.stdout


def test_remove_takes_the_document_out_of_both_indexes_and_keeps_the_file(setup, qa):
    corpus, emb, common, _tmp = setup
    r = qa("remove", "002_c9fc10332399f20f.txt", *common)
    assert r.returncode == 0, r.stderr
    assert not (corpus / "002_c9fc10332399f20f.txt").exists()
    assert list((emb / "removed").rglob("002_c9fc10332399f20f.txt"))
    idx = load_index(_index_root(emb))
    assert {c.doc_id for c in idx.chunks} == {"003_217c44fc42c73619.txt"}
    for mode in ("bm25", "dense", "hybrid"):
        out = json.loads(qa("ask", "济青双核", "--mode", mode, "--json", *common).stdout)
        assert all(h["doc"] != "002_c9fc10332399f20f.txt" for h in out["results"])
    r = qa("remove", "nope.txt", *common)
    assert r.returncode == 2 and "nope.txt" in r.stderr


# A build paused at one of its steps in a process of its own, then killed: before the
# embedding, after writing its folder, and between renaming it and switching to it.
PAUSED_BUILD = """
import sys, time
import qa.search.build as build
step = sys.argv[1]
original = getattr(build, step)
def paused(*args, **kwargs):
    if step == "write":
        original(*args, **kwargs)
    print("paused", flush=True)
    time.sleep(600)
setattr(build, step, paused)
from qa.cli import main
main(sys.argv[2:])
"""


@pytest.mark.parametrize("step", ["embed_plan", "write", "switch"])
def test_a_build_killed_at_any_step_leaves_the_previous_index_serving(setup, qa, step):
    corpus, emb, common, _tmp = setup
    root = _index_root(emb)
    before = load_index(root)
    (corpus / "extra.txt").write_text(NEW_DOC, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
    proc = subprocess.Popen(
        [sys.executable, "-c", PAUSED_BUILD, step, "index", *common], cwd=PROJECT_ROOT, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    try:
        assert proc.stdout.readline().strip() == "paused"  # the build stands exactly at ``step``
        if step != "embed_plan":
            assert list(root.glob(".building-*")) or len(list(root.glob("index-*"))) == 2  # its files are on disk
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    idx = load_index(root)  # the previous index, whole
    assert idx.path == before.path and idx.manifest.corpus_hash == before.manifest.corpus_hash
    assert len(idx.chunks) == len(idx.vectors) == idx.lexical.n == before.manifest.n_chunks
    r = qa("index", *common)  # the next build completes and cleans up after the killed one
    assert r.returncode == 0, r.stderr
    assert not list(root.glob(".building-*")) and len(list(root.glob("index-*"))) == 1
    assert len(load_index(root).manifest.documents) == 3
