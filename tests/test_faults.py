"""The fault suite: bad inputs, damaged indexes, racing builders, a full disk.

Every failure a user can cause must end in one line and the documented exit code, and
no fault may cost a document or stop answers that an intact index on disk can give.
Property-based inputs come from ``hypothesis``; processes race for real; the full disk
is a small tmpfs in a user namespace where the machine allows one.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qa.errors import BadInput, BadQuestion
from qa.ingest import load_corpus
from qa.ingest.metadata import META_FIELDS, SidecarError, read_sidecar
from qa.search import Filters
from qa.search.index import load_index
from qa.serve.answer import MAX_QUESTION_CHARS, ask, clean_question
from qa.serve.web import Page
from qa.settings import PROJECT_ROOT

DOC = "某市人民政府关于租房补贴的通知\n一、补贴对象\n(一)新市民租房每月补贴500元。\n某市人民政府\n2025年3月1日\n"
SEED_A, SEED_B = "002_c9fc10332399f20f.txt", "003_217c44fc42c73619.txt"
CLEAN_ENV = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture()
def corpus_env(tmp_path, qa):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in (SEED_A, SEED_B):
        shutil.copy(PROJECT_ROOT / "seeds" / name, corpus / name)
    emb = tmp_path / "emb"
    common = ["--corpus", str(corpus), "--model", "hashing", "--embeddings", str(emb)]
    assert qa("index", *common).returncode == 0
    return corpus, emb, common


def _root(emb: Path) -> Path:
    return next((emb / "indexes").iterdir())


def _one_line_error(r, code: int) -> None:
    assert r.returncode == code, (r.returncode, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert lines[-1].startswith("error: ") and "Traceback" not in r.stderr


# -- sidecars -------------------------------------------------------------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
SIDECAR_VALUES = st.dictionaries(st.sampled_from([*META_FIELDS, "author", ""]), JSON, max_size=4) | JSON


@FAST
@given(SIDECAR_VALUES)
def test_any_sidecar_is_read_or_refused_with_its_name(tmp_path_factory, value):
    folder = tmp_path_factory.mktemp("side")
    (folder / "a.txt").write_text(DOC, encoding="utf-8")
    (folder / "a.txt.meta.json").write_text(json.dumps(value), encoding="utf-8")
    try:
        overrides = read_sidecar(folder / "a.txt")
    except SidecarError as exc:
        assert str(exc).startswith("a.txt.meta.json: ") and "\n" not in str(exc)
        report = load_corpus(folder)
        assert not report.documents and report.skipped[0][1] == str(exc)
        return
    assert set(overrides) <= set(META_FIELDS)
    for name, v in overrides.items():
        if name == "year":
            assert v is None or isinstance(v, int)
        elif name == "replaces":
            assert isinstance(v, tuple) and all(isinstance(x, str) and x for x in v)
        elif name in ("stage", "issued", "effective", "expires"):
            assert isinstance(v, str)
        else:
            assert isinstance(v, str) and v
    assert load_corpus(folder).documents[0].doc_id == "a.txt"


@pytest.mark.parametrize("sidecar", ['{"year":[2016]}', '{"title":null}', '{"issuer":5}', '{"year":"abc"}', "[1]", "{bad"])
def test_bad_sidecars_are_refused_by_add_and_skipped_by_every_command(corpus_env, qa, tmp_path, sidecar):
    corpus, _emb, common = corpus_env
    src = tmp_path / "new.txt"
    src.write_text(DOC, encoding="utf-8")
    (tmp_path / "new.txt.meta.json").write_text(sidecar, encoding="utf-8")
    r = qa("add", src, *common)
    _one_line_error(r, 2)
    assert "new.txt.meta.json" in r.stderr and not (corpus / "new.txt").exists()
    (corpus / f"{SEED_A}.meta.json").write_text(sidecar, encoding="utf-8")  # written by hand into the corpus
    r = qa("ask", "济青双核", "--json", *common)
    assert r.returncode == 0 and f"skipped {corpus / SEED_A}: {SEED_A}.meta.json" in r.stderr
    assert {h["doc"] for h in json.loads(r.stdout)["results"]} == {SEED_B}


# -- documents and questions ----------------------------------------------------------


@FAST
@given(st.binary(max_size=400) | st.text(max_size=200).map(lambda t: t.encode("utf-8")))
def test_any_file_bytes_are_read_or_reported(tmp_path_factory, data):
    folder = tmp_path_factory.mktemp("bytes")
    (folder / "x.txt").write_bytes(data)
    report = load_corpus(folder)
    assert len(report.documents) + len(report.skipped) == 1


def test_oversized_and_hidden_documents_are_refused_with_a_reason(corpus_env, qa, tmp_path, monkeypatch):
    corpus, _emb, common = corpus_env
    big = tmp_path / "big.txt"
    big.write_text(DOC * 400, encoding="utf-8")  # 72 KB
    r = qa("add", big, *common)
    assert r.returncode == 0  # under the default limit
    monkeypatch.setenv("QA_MAX_DOC_MB", "0.05")
    big2 = tmp_path / "big2.txt"
    shutil.copy(big, big2)
    r = qa("add", big2, *common)
    _one_line_error(r, 2)
    assert "0.1 MB is over the 0.05 MB limit" in r.stderr and not (corpus / "big2.txt").exists()
    r = qa("ask", "租房补贴", *common)  # big.txt, already in the corpus, is now over the limit: skipped, said so
    assert r.returncode == 0 and "big.txt: 0.1 MB is over the 0.05 MB limit" in r.stderr
    hidden = tmp_path / ".hidden.txt"
    hidden.write_text(DOC, encoding="utf-8")
    r = qa("add", hidden, *common)
    _one_line_error(r, 2)
    assert "hidden" in r.stderr and not (corpus / ".hidden.txt").exists()


@FAST
@given(st.text(max_size=300), st.sampled_from(["hybrid", "dense", "bm25"]), st.integers(1, 12))
def test_any_question_is_answered_or_refused_as_bad_input(hashing_engine, question, mode, k):
    try:
        ans = ask(hashing_engine.retriever, question, k=k, mode=mode)
    except BadQuestion:
        return
    assert len(ans.hits) <= k and ans.status in ("answered", "partial", "not_found")


FILTER_VALUES = st.lists(st.sampled_from(["山西", "湖南", "全国", "火星", "", "000_7eb558928ca9a35a.txt"]), max_size=3)


@FAST
@given(FILTER_VALUES, FILTER_VALUES, st.lists(st.integers(1900, 2100), max_size=2))
def test_any_filters_give_an_answer_never_a_crash(hashing_engine, docs, regions, years):
    filters = Filters(tuple(docs), tuple(regions), tuple(years))
    for mode in ("hybrid", "dense", "bm25"):
        ans = ask(hashing_engine.retriever, "落户条件", k=5, mode=mode, filters=filters)
        assert all(not years or h.year in years for h in ans.hits)


def test_a_huge_question_is_cut_before_any_work():
    q, cut = clean_question("落户" * 10_000_000)
    assert cut and len(q) == MAX_QUESTION_CHARS


API_ARGS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=10), st.lists(st.integers(), max_size=2)
)


@FAST
@given(API_ARGS, API_ARGS, API_ARGS, API_ARGS, API_ARGS)
def test_the_api_answers_any_argument_types_with_a_result_or_an_error(
    hashing_engine, tmp_path_factory, q, k, docs, regions, years
):
    page = Page(hashing_engine, tmp_path_factory.getbasetemp() / "fb.jsonl")
    out = page.api_ask(q, k, "hybrid", docs, regions, years)
    assert "results" in out and ("error" in out or out["results"] is not None)
    if not isinstance(q, str):
        assert out["error"] == "question must be a string"


def test_queries_file_that_is_not_text_is_one_line(qa, tmp_path):
    bad = tmp_path / "q.bin"
    bad.write_bytes(b"\xff\xfe\x00\xd8garbage\x00")
    _one_line_error(qa("search", "--queries", bad, "--model", "hashing"), 2)


# -- damaged indexes ------------------------------------------------------------------


def _garbage_same_size(path: Path, offset: int = 0, length: int | None = None) -> None:
    size = path.stat().st_size
    with open(path, "r+b") as fh:
        fh.seek(offset)
        fh.write(os.urandom(length or size - offset))


CORRUPTIONS = {
    "zero-byte vectors": lambda d: (d / "vectors.npy").write_bytes(b""),
    "truncated clauses": lambda d: (d / "chunks.jsonl").write_bytes((d / "chunks.jsonl").read_bytes()[:500]),
    "same-size garbage": lambda d: _garbage_same_size(d / "vectors.npy", 128),
    "garbage sentences": lambda d: _garbage_same_size(d / "sentences.npy", 128),
    "bad manifest": lambda d: (d / "manifest.json").write_text("{", encoding="utf-8"),
    "missing lexical part": lambda d: next((d / "lexical").iterdir()).unlink(),
    "dangling symlink": lambda d: shutil.rmtree(d),
}


@pytest.mark.parametrize("damage", list(CORRUPTIONS))
def test_a_damaged_index_is_rebuilt_from_the_corpus_never_reused(corpus_env, qa, damage):
    _corpus, emb, common = corpus_env
    root = _root(emb)
    before = load_index(root)
    CORRUPTIONS[damage](before.path)
    r = qa("ask", "济青双核", "--json", *common)
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    assert json.loads(r.stdout)["results"]
    after = load_index(root)
    assert after.path != before.path and after.manifest.n_chunks == before.manifest.n_chunks
    assert after.manifest.embedded == after.manifest.n_chunks  # nothing taken from the damaged build
    assert len(after.chunks) == len(after.vectors) == after.lexical.n
    assert ({d.doc_id for d in after.manifest.documents}) == {SEED_A, SEED_B}


def test_verify_finds_damage_the_cheap_check_cannot(corpus_env, qa):
    _corpus, emb, common = corpus_env
    root = _root(emb)
    vectors = load_index(root).path / "sentences.npy"
    size = vectors.stat().st_size
    assert size > 3 * 65536  # the samples (start, middle, end) leave bytes in between unread
    _garbage_same_size(vectors, 70_000, 100)  # between the first and the middle sample
    assert load_index(root).manifest.n_chunks  # opening does not notice …
    r = qa("index", "--verify", *common)  # … a full check does, and rebuilds
    assert r.returncode == 0 and "damaged: sentences.npy has changed" in r.stdout
    assert load_index(root).manifest.embedded == load_index(root).manifest.n_chunks
    r = qa("index", "--verify", *common)
    assert r.returncode == 0 and "verified: all" in r.stdout


# -- removing, replacing --------------------------------------------------------------


def test_remove_accepts_only_names_of_corpus_documents(corpus_env, qa, tmp_path):
    corpus, emb, common = corpus_env
    outside = tmp_path / "outside.txt"
    outside.write_text(DOC, encoding="utf-8")
    for name in ("../outside.txt", str(outside), f"{corpus.name}/{SEED_A}", "..", ""):
        r = qa("remove", name, *common)
        _one_line_error(r, 2)
    assert outside.exists() and (corpus / SEED_A).exists()
    first = qa("remove", SEED_A, *common)
    shutil.copy(PROJECT_ROOT / "seeds" / SEED_A, corpus / SEED_A)
    (corpus / f"{SEED_A}.meta.json").write_text('{"year": 2023}', encoding="utf-8")
    second = qa("remove", SEED_A, *common)  # within the same second: both copies are kept
    assert first.returncode == second.returncode == 0
    kept = sorted((emb / "removed").rglob(SEED_A))
    assert len(kept) == 2 and (kept[0].parent != kept[1].parent)
    assert any((k.parent / f"{SEED_A}.meta.json").exists() for k in kept)


def test_replace_keeps_the_old_version_and_its_sidecar(corpus_env, qa, tmp_path):
    corpus, emb, common = corpus_env
    (corpus / f"{SEED_A}.meta.json").write_text('{"year": 2023}', encoding="utf-8")
    new = tmp_path / SEED_A
    new.write_text(DOC, encoding="utf-8")
    r = qa("add", new, "--replace", *common)
    assert r.returncode == 0 and "the old version is kept as" in r.stdout
    old = next((emb / "removed").rglob(SEED_A))
    assert "山东" in old.read_text(encoding="utf-8") and (old.parent / f"{SEED_A}.meta.json").exists()
    assert not (corpus / f"{SEED_A}.meta.json").exists()  # the old metadata does not describe the new text
    idx = load_index(_root(emb))
    assert idx.docs[SEED_A].year == 2025


# -- racing builders ------------------------------------------------------------------

PAUSE_BEFORE_SWITCH = """
import os, sys, time
import qa.search.build as build
original = build.switch
def paused(*args, **kwargs):
    print("paused", flush=True)
    deadline = time.time() + 300
    while not os.path.exists(sys.argv[1]) and time.time() < deadline:  # until the test says go
        time.sleep(0.05)
    original(*args, **kwargs)
build.switch = paused
from qa.cli import main
main(sys.argv[2:])
"""


def _popen(*args: str, script: str | None = None, env: dict | None = None) -> subprocess.Popen:
    cmd = [sys.executable, "-c", script, *args] if script else [sys.executable, "-m", "qa", *args]
    return subprocess.Popen(
        cmd, cwd=PROJECT_ROOT, env=(env or CLEAN_ENV), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def test_a_second_builder_waits_for_the_first_and_neither_loses_its_work(corpus_env, tmp_path):
    corpus, emb, common = corpus_env
    root = _root(emb)
    (corpus / "first.txt").write_text(DOC, encoding="utf-8")
    go = tmp_path / "go"
    first = _popen(str(go), "index", *common, script=PAUSE_BEFORE_SWITCH)
    assert first.stdout.readline().strip() == "paused"  # holding the lock, its build written, not switched
    (tmp_path / "second.txt").write_text(DOC.replace("租房", "购房"), encoding="utf-8")
    impatient = _popen("add", str(tmp_path / "second.txt"), *common, env=CLEAN_ENV | {"QA_BUILD_WAIT": "0.5"})
    _out, err = impatient.communicate(timeout=120)
    assert impatient.returncode == 3 and "another build is still running" in err.strip().splitlines()[-1]
    assert not (corpus / "second.txt").exists()  # refused before copying anything
    patient = _popen("add", str(tmp_path / "second.txt"), *common)  # waits, then adds
    go.touch()
    assert first.wait(timeout=120) == 0 and patient.wait(timeout=120) == 0, patient.stderr.read()
    idx = load_index(root)
    assert {d.doc_id for d in idx.manifest.documents} == {SEED_A, SEED_B, "first.txt", "second.txt"}
    assert (root / os.readlink(root / "index")).is_dir() and len(list(root.glob("index-*"))) == 1


def test_concurrent_adds_and_removes_end_with_the_index_matching_the_corpus(corpus_env, tmp_path):
    corpus, emb, common = corpus_env
    procs = []
    for i in range(4):
        src = tmp_path / f"doc{i}.txt"
        src.write_text(DOC.replace("500", str(600 + i)), encoding="utf-8")
        procs.append(_popen("add", str(src), *common))
    procs.append(_popen("remove", SEED_B, *common))
    procs.append(_popen("index", "--rebuild", *common))
    for p in procs:
        _out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    on_disk = {p.name for p in corpus.iterdir() if p.suffix == ".txt"}
    idx = load_index(_root(emb))
    assert on_disk == {SEED_A, "doc0.txt", "doc1.txt", "doc2.txt", "doc3.txt"}
    assert {d.doc_id for d in idx.manifest.documents} == on_disk == {c.doc_id for c in idx.chunks}


# -- the running page -----------------------------------------------------------------


def test_a_running_page_switches_to_an_index_built_by_another_process(corpus_env, qa, tmp_path):
    from qa.engine import Engine
    from qa.settings import Settings

    corpus, emb, _common = corpus_env
    engine = Engine.open(Settings(corpus=(corpus,), embeddings=emb, model="hashing"))
    page = Page(engine, tmp_path / "fb.jsonl")
    assert SEED_B in {h.doc for h in page.answer("济青双核", [], False, Filters(), 5).answer.hits}
    r = qa("remove", SEED_B, "--corpus", corpus, "--model", "hashing", "--embeddings", emb)  # "from the shell"
    assert r.returncode == 0
    hits = page.answer("济青双核", [], False, Filters(), 5).answer.hits
    assert hits and SEED_B not in {h.doc for h in hits}
    assert page.engine.index.path == load_index(_root(emb)).path


# -- a full disk ----------------------------------------------------------------------

FULL_DISK = """
set -e
mount -t tmpfs -o size=3m tmpfs "$EMB"
python -m qa index --corpus "$CORPUS" --model hashing --embeddings "$EMB" >/dev/null
head -c 100000000 /dev/zero > "$EMB/filler" 2>/dev/null || true
echo "新市民租房每月补贴500元。" > "$CORPUS/extra.txt"
set +e
python -m qa ask 济青双核 --json --corpus "$CORPUS" --model hashing --embeddings "$EMB" > "$OUT/ask.json" 2> "$OUT/ask.err"
echo $? > "$OUT/ask.rc"
python -m qa index --corpus "$CORPUS" --model hashing --embeddings "$EMB" > /dev/null 2> "$OUT/index.err"
echo $? > "$OUT/index.rc"
"""


def test_a_rebuild_on_a_full_disk_leaves_the_previous_index_answering(tmp_path):
    probe = subprocess.run(["unshare", "-rm", "true"], capture_output=True) if shutil.which("unshare") else None
    if probe is None or probe.returncode != 0:
        pytest.skip("this machine allows no user namespace for a small tmpfs")
    corpus, emb, out = tmp_path / "corpus", tmp_path / "emb", tmp_path / "out"
    for d in (corpus, emb, out):
        d.mkdir()
    shutil.copy(PROJECT_ROOT / "seeds" / SEED_A, corpus)
    env = CLEAN_ENV | {
        "EMB": str(emb),
        "CORPUS": str(corpus),
        "OUT": str(out),
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
    }
    subprocess.run(["unshare", "-rm", "bash", "-c", FULL_DISK], cwd=PROJECT_ROOT, env=env, check=True, timeout=300)
    assert (out / "ask.rc").read_text().strip() == "0"
    assert "index is stale, answering from the previous build: rebuilding failed (disk full" in (out / "ask.err").read_text()
    assert json.loads((out / "ask.json").read_text())["results"]
    assert (out / "index.rc").read_text().strip() == "3"
    assert (out / "index.err").read_text().strip().splitlines()[-1].startswith("error: building the index failed: disk full")


def test_bad_environment_values_are_one_line(qa, monkeypatch):
    monkeypatch.setenv("QA_MAX_DOC_MB", "lots")
    _one_line_error(qa("ask", "落户", "--model", "hashing"), 2)
    with pytest.raises(BadInput):
        from qa.settings import Settings

        Settings.from_args(None, {"QA_BUILD_WAIT": "-1"})
