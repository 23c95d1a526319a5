"""Choosing a model and naming its weights: the fingerprint follows their content."""

from __future__ import annotations

import json
import os

import pytest

from qa.errors import ModelLoadError
from qa.models import load_encoder
from qa.models.loader import weights_fingerprint


def _folder(tmp_path, weights: bytes):
    d = tmp_path / "model"
    d.mkdir(exist_ok=True)
    (d / "config.json").write_text('{"model_type": "bert"}', encoding="utf-8")
    (d / "model.safetensors").write_bytes(weights)
    return d


def test_fingerprint_changes_with_the_weights_content_not_only_their_size(tmp_path):
    cache = tmp_path / "fingerprints.json"
    d = _folder(tmp_path, b"A" * 1000)
    first = weights_fingerprint(d, cache)
    assert weights_fingerprint(d, cache) == first
    st = (d / "model.safetensors").stat()
    (d / "model.safetensors").write_bytes(b"B" * 1000)  # same size, other weights
    os.utime(d / "model.safetensors", ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    assert weights_fingerprint(d, cache) != first


def test_fingerprint_hashes_a_file_once_while_its_size_and_mtime_hold(tmp_path):
    cache = tmp_path / "fingerprints.json"
    d = _folder(tmp_path, b"A" * 1000)
    weights_fingerprint(d, cache)
    entries = json.loads(cache.read_text(encoding="utf-8"))
    (entry,) = entries.values()
    entry["sha256"] = "0" * 64  # a cached hash is believed while size and mtime match
    cache.write_text(json.dumps(entries), encoding="utf-8")
    assert weights_fingerprint(d, cache) != weights_fingerprint(d, None)
    assert weights_fingerprint(d, tmp_path / "no" / "such" / "cache.json")  # an unwritable cache costs nothing


def test_model_names_that_cannot_load_offline_fail_in_one_line(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    for name, words in ((str(empty), "not a model folder"), (str(tmp_path / "nope"), "not found")):
        with pytest.raises(ModelLoadError, match=words):
            load_encoder(name, tmp_path)
    assert load_encoder("hashing", tmp_path).dim == 1024
