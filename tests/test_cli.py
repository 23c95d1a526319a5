"""The command line, run in-process as ``qa ARGS…`` (``qa.cli.run``), with the hashing encoder."""

import json

import pytest


@pytest.fixture()
def emb(tmp_path_factory, qa):
    d = tmp_path_factory.getbasetemp() / "cli-emb"
    if not d.exists():
        r = qa("index", "--model", "hashing", "--embeddings", str(d))
        assert r.returncode == 0, r.stderr
        assert "index built: 5 documents" in r.stdout
    return d


def test_index_is_reused_when_nothing_changed(emb, qa):
    r = qa("index", "--model", "hashing", "--embeddings", str(emb))
    assert r.returncode == 0 and "up to date" in r.stdout


def test_python_dash_m_qa_runs_as_a_process(emb, qa_process):
    r = qa_process("ask", "济青双核", "--k", "1", "--json", "--model", "hashing", "--embeddings", str(emb))
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["results"][0]["doc"] == "002_c9fc10332399f20f.txt"


def test_ask_readable_and_json(emb, qa):
    r = qa("ask", "济青双核", "--k", "2", "--model", "hashing", "--embeddings", str(emb))
    assert r.returncode == 0, r.stderr
    assert "[1]" in r.stdout and "济青双核" in r.stdout and "山东省城镇化工作领导小组办公室" in r.stdout
    r = qa("ask", "济青双核", "--k", "2", "--json", "--model", "hashing", "--embeddings", str(emb))
    data = json.loads(r.stdout)
    assert len(data["results"]) == 2
    top = data["results"][0]
    for key in (
        "rank",
        "chunk_id",
        "doc",
        "title",
        "issuer",
        "year",
        "section",
        "text",
        "original",
        "score",
        "dense_score",
        "lexical_score",
    ):
        assert key in top
    assert top["doc"] == "002_c9fc10332399f20f.txt"


@pytest.mark.parametrize("question", ["", "   ", "??!!。。", "\x01\x02"])
def test_bad_question_exit_2_one_line(emb, question, qa):
    r = qa("ask", question, "--model", "hashing", "--embeddings", str(emb))
    assert r.returncode == 2
    assert r.stderr.startswith("error:") and r.stderr.count("\n") == 1 and "Traceback" not in r.stderr


def test_search_batch_keeps_input_order(emb, tmp_path, qa):
    qf = tmp_path / "q.jsonl"
    qf.write_text(
        '{"id": "a", "question": "长沙落户门槛"}\n{"id": "b", "question": "   "}\n{"id": "c", "question": "济青双核"}\n',
        encoding="utf-8",
    )
    r = qa("search", "--queries", str(qf), "--k", "3", "--json", "--model", "hashing", "--embeddings", str(emb))
    assert r.returncode == 0, r.stderr
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    assert [row["id"] for row in rows] == ["a", "b", "c"]
    assert rows[0]["results"][0]["doc"] == "003_217c44fc42c73619.txt"
    assert rows[1]["results"] == [] and "empty" in rows[1]["error"]
    assert set(rows[2]["results"][0]) >= {"rank", "doc", "title", "section", "text", "score"}


def test_search_plain_lines(emb, tmp_path, qa):
    qf = tmp_path / "q.txt"
    qf.write_text("长沙落户门槛\n\n济青双核\n", encoding="utf-8")
    r = qa("search", "--queries", str(qf), "--k", "1", "--model", "hashing", "--embeddings", str(emb))
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    assert [row["question"] for row in rows] == ["长沙落户门槛", "济青双核"]


def test_missing_corpus_and_model_exit_3(emb, tmp_path, qa):
    r = qa("ask", "落户", "--corpus", str(tmp_path / "nope"), "--model", "hashing", "--embeddings", str(emb))
    assert r.returncode == 3 and "corpus folder not found" in r.stderr
    r = qa("ask", "落户", "--model", str(tmp_path / "no-such-model"), "--embeddings", str(emb))
    assert r.returncode == 3 and "not found" in r.stderr


def test_hub_name_without_network_fails_fast_with_advice(emb, qa):
    r = qa("ask", "落户", "--model", "intfloat/multilingual-e5-base", "--embeddings", str(emb))
    assert r.returncode == 3
    assert "--model /path/to/model-folder" in r.stderr and r.stderr.count("\n") == 1


def test_unreadable_file_warned_and_rest_indexed(tmp_path, qa):
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "ok.txt").write_text("某市关于落户的通知\n一、放开落户限制。全面放开城区落户。\n", encoding="utf-8")
    (corpus / "bad.txt").write_bytes(b"\x00\x01binary\x00")
    r = qa("ask", "落户", "--corpus", str(corpus), "--model", "hashing", "--embeddings", str(tmp_path / "e"))
    assert r.returncode == 0
    assert "skipped" in r.stderr and "bad.txt" in r.stderr
    assert "放开落户限制" in r.stdout


def test_store_option_milvus_lite_and_bad_store(emb, tmp_path, qa):
    r = qa("ask", "济青双核", "--model", "hashing", "--embeddings", str(emb), "--store", "redis://x", "--json")
    assert r.returncode == 3 and "unknown store" in r.stderr and r.stderr.count("\n") == 1
    db = tmp_path / "milvus.db"
    r = qa("ask", "济青双核", "--model", "hashing", "--embeddings", str(emb), "--store", str(db), "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["results"][0]["doc"].startswith("002") and db.exists()


def test_bad_retrieval_config_is_bad_input_in_one_line(emb, tmp_path, qa):
    cfg = tmp_path / "weights.json"
    cfg.write_text('{"rerank_weights": {"colour": 2}}', encoding="utf-8")
    r = qa("ask", "落户", "--model", "hashing", "--embeddings", str(emb), "--retrieval-config", str(cfg))
    assert r.returncode == 2 and "colour" in r.stderr and r.stderr.count("\n") == 1


def test_a_retrieval_config_file_changes_the_ranking(emb, tmp_path, qa):
    base = json.loads(qa("ask", "落户", "--json", "--k", "5", "--model", "hashing", "--embeddings", str(emb)).stdout)
    cfg = tmp_path / "dense-only.json"
    cfg.write_text('{"dense_weight": 1.0, "expand": false, "rerank": false}', encoding="utf-8")
    common = ["--json", "--k", "5", "--model", "hashing", "--embeddings", str(emb), "--retrieval-config", str(cfg)]
    dense = json.loads(qa("ask", "落户", *common).stdout)
    assert [h["chunk_id"] for h in dense["results"]] != [h["chunk_id"] for h in base["results"]]
    ds = [h["dense_score"] for h in dense["results"]]
    assert ds == sorted(ds, reverse=True)  # ranked by the dense side alone


def test_environment_sets_what_a_flag_does_and_a_flag_wins(emb, monkeypatch, qa, tmp_path):
    monkeypatch.setenv("QA_MODEL", "hashing")
    r = qa("ask", "济青双核", "--k", "1", "--json", "--embeddings", str(emb))
    assert r.returncode == 0 and json.loads(r.stdout)["results"][0]["doc"].startswith("002")
    monkeypatch.setenv("QA_STORE", "redis://nowhere")
    r = qa("ask", "济青双核", "--model", "hashing", "--embeddings", str(emb))
    assert r.returncode == 3 and "unknown store" in r.stderr
    r = qa("ask", "济青双核", "--model", "hashing", "--embeddings", str(emb), "--store", "faiss")
    assert r.returncode == 0


def test_interrupt_and_disk_errors_are_one_line(emb, monkeypatch, qa):
    import qa.serve.commands as commands

    def interrupted(*_a, **_k):
        raise KeyboardInterrupt

    monkeypatch.setattr(commands.Engine, "open", interrupted)
    r = qa("ask", "落户", "--model", "hashing", "--embeddings", str(emb))
    assert r.returncode == 130 and r.stderr == "interrupted\n"

    def disk_full(*_a, **_k):
        raise OSError(28, "No space left on device", "vectors.npy")

    monkeypatch.setattr(commands.Engine, "open", disk_full)
    r = qa("index", "--model", "hashing", "--embeddings", str(emb))
    assert r.returncode == 3 and r.stderr == "error: No space left on device: vectors.npy\n"


def test_usage_errors_exit_2(qa):
    r = qa("ask")
    assert r.returncode == 2 and "usage:" in r.stderr
    r = qa("ask", "落户", "--k", "0", "--model", "hashing")
    assert r.returncode == 2 and r.stderr == "error: --k must be at least 1\n"
