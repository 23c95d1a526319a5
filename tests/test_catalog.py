"""The corpus catalog: an unchanged corpus is opened without reading a document."""

from __future__ import annotations

import os
import shutil

from qa.engine import Engine
from qa.ingest.catalog import scan
from qa.settings import PROJECT_ROOT, Settings

SEEDS = sorted((PROJECT_ROOT / "seeds").glob("*.txt"))


def _corpus(tmp_path, n=3):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for s in SEEDS[:n]:
        shutil.copy(s, corpus / s.name)
    return corpus


def _touch_later(path):
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))


def test_an_unchanged_corpus_is_not_read_again(tmp_path):
    corpus, cache = _corpus(tmp_path), tmp_path / "catalog.json"
    first = scan([corpus], cache)
    assert len(first.read) == len(first.entries) == 3
    again = scan([corpus], cache)
    assert again.read == {} and again.entries == first.entries
    assert [d.text for d in again.report().documents] == [d.text for d in first.report().documents]


def test_only_changed_files_and_sidecars_are_read(tmp_path):
    corpus, cache = _corpus(tmp_path), tmp_path / "catalog.json"
    scan([corpus], cache)
    changed = corpus / SEEDS[0].name
    changed.write_text(changed.read_text(encoding="utf-8") + "\n附件:无\n", encoding="utf-8")
    (corpus / f"{SEEDS[1].name}.meta.json").write_text('{"year": 2001}', encoding="utf-8")
    (corpus / SEEDS[2].name).unlink()
    c = scan([corpus], cache)
    assert set(c.read) == {SEEDS[0].name, SEEDS[1].name}
    assert {e.doc_id: e.year for e in c.entries}[SEEDS[1].name] == 2001 and len(c.entries) == 2
    _touch_later(corpus / f"{SEEDS[1].name}.meta.json")  # same bytes, newer: read again, same identity
    c2 = scan([corpus], cache)
    assert set(c2.read) == {SEEDS[1].name} and c2.entries == c.entries


def test_a_damaged_catalog_costs_a_full_read_not_an_error(tmp_path):
    corpus, cache = _corpus(tmp_path), tmp_path / "catalog.json"
    scan([corpus], cache)
    for garbage in ("{", '{"version": 1, "files": []}', '{"version": 1, "files": {"x": {}}}', "[]"):
        cache.write_text(garbage, encoding="utf-8")
        c = scan([corpus], cache)
        assert len(c.read) == 3 and len(c.entries) == 3


def test_a_skipped_file_stays_skipped_with_its_reason_until_it_changes(tmp_path):
    corpus, cache = _corpus(tmp_path), tmp_path / "catalog.json"
    bad = corpus / "bad.txt"
    bad.write_bytes(b"\x00\x01binary")
    assert dict(scan([corpus], cache).skipped)[str(bad)].startswith("binary")
    assert dict(scan([corpus], cache).skipped)[str(bad)].startswith("binary")
    bad.write_text(SEEDS[3].read_text(encoding="utf-8"), encoding="utf-8")
    c = scan([corpus], cache)
    assert "bad.txt" in c.read and not c.skipped


def test_a_duplicate_name_keeps_the_first_document(tmp_path):
    corpus = _corpus(tmp_path, 1)
    other = tmp_path / "other"
    other.mkdir()
    (other / SEEDS[0].name).write_text("另一个文件\n一、内容\n", encoding="utf-8")
    c = scan([corpus, other], tmp_path / "catalog.json")
    assert len(c.entries) == 1 and "山西" in c.read[SEEDS[0].name].text
    assert c.skipped[0][1] == f"duplicate file name {SEEDS[0].name}"


def test_opening_an_unchanged_corpus_reads_no_document_and_answers(tmp_path):
    corpus = _corpus(tmp_path)
    settings = Settings(corpus=(corpus,), embeddings=tmp_path / "emb", model="hashing")
    built = Engine.open(settings)
    assert built.rebuilt
    engine = Engine.open(settings, encoder=built.encoder)
    assert not engine.rebuilt and engine.catalog.read == {}
    assert engine.retriever.search("落户", 3).ids.size == 3
    assert len(engine.report.documents) == 3  # read on demand
    (corpus / f"{SEEDS[0].name}.meta.json").write_text('{"issuer": "某某厅"}', encoding="utf-8")
    changed = Engine.open(settings, encoder=built.encoder)
    assert changed.rebuilt and changed.index.docs[SEEDS[0].name].issuer == "某某厅"
