"""Fault figures: bad inputs tried and tracebacks seen; faults done and documents lost.

``python -m qa.bench.faults [--random 200] [--out reports/faults.json]``

Works in a temporary copy of the seeds with the fast hashing encoder. Bad inputs go
through the real command line, each in a process of its own (``python -m qa``), and
random questions and API arguments through the answer function and the page's API
callback in this process; an exception escaping, a traceback on stderr or an exit code
other than 0, 2 or 3 counts as a failure.
Faults are done to a real index and corpus — corruptions of every kind, racing
builders in processes of their own, a full disk where a user namespace allows a small
tmpfs — and after each the index must list exactly the corpus's documents and answer.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from qa.errors import BadQuestion
from qa.settings import PROJECT_ROOT

QUESTIONS = [
    "", "   ", "？？？", "\x00\x01\x02", "落户" * 5000, "a\u2028b\u2029c\u0085", "😀🏠", "\u202eRTL", "'; DROP TABLE x;--",
    "<script>alert(1)</script>", "户口\t\n\r落户", "\ufeff居住证", "%s%n%x", "null", "0", "國(guó)家", "\ud800".encode(
        "utf-8", "surrogatepass"
    ).decode("utf-8", "replace"),
]  # fmt: skip
BAD_SIDECARS = [
    '{"year":[2016]}',
    '{"title":null}',
    '{"issuer":5}',
    '{"year":"abc"}',
    "[1]",
    "{bad",
    '{"author":"x"}',
    '{"year":99999}',
]
BAD_FILES: dict[str, bytes] = {
    "binary.txt": bytes(range(256)) * 4,
    "empty.txt": b"",
    "nul.txt": b"abc\x00def",
    "spaces.txt": b"   \n\n  ",
    "big5.txt": "臺北市政府關於居住證的通知".encode("big5"),
    "latin1.txt": "caf\xe9 na\xefve".encode("latin-1") * 10,
    "utf16.txt": "居住证办理".encode("utf-16"),
    ".hidden.txt": "居住证".encode(),
    "wrong.pdf": b"%PDF-1.4 fake",
}


def _call(args: list[str], env: dict[str, str] | None = None) -> tuple[int, str]:
    """Run ``python -m qa args`` with ``env`` added; (exit code, stderr)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("QA_")} | (env or {})
    p = subprocess.run([sys.executable, "-m", "qa", *args], env=clean, capture_output=True, text=True, timeout=600)
    return p.returncode, p.stderr


def bad_inputs(work: Path, common: list[str], n_random: int) -> dict:
    """Every bad input we know of, plus ``n_random`` random questions and API calls."""
    cases: list[tuple[str, list[str], dict[str, str]]] = []
    rng = random.Random(12)
    for q in QUESTIONS:
        cases.append(("question", ["ask", q.replace("\x00", ""), *common], {}))  # a NUL cannot be an argv
    flag_sets = (["--k", "0"], ["--k", "-3"], ["--k", "x"], ["--mode", "nope"], ["--year", "abc"], ["--region", "火星"],
                 ["--region", "湖南", "--year", "2016"], ["--doc", "nope.txt"], ["--year", "1900"], ["--k", "99999"])  # fmt: skip
    for flags in flag_sets:
        cases.append(("flag", ["ask", "落户条件", *flags, *common], {}))
    src = work / "incoming"
    src.mkdir()
    for name, data in BAD_FILES.items():
        (src / name).write_bytes(data)
        cases.append(("document", ["add", str(src / name), *common], {}))
    cases.append(("document", ["add", str(src / "missing.txt"), *common], {}))
    cases.append(("document", ["add", str(src), *common], {}))
    cases.append(("document", ["add", str(src / "binary.txt"), *common], {"QA_MAX_DOC_MB": "0.0001"}))
    for i, side in enumerate(BAD_SIDECARS):
        (src / f"s{i}.txt").write_text("某市关于居住证的通知\n一、办理条件\n", encoding="utf-8")
        (src / f"s{i}.txt.meta.json").write_text(side, encoding="utf-8")
        cases.append(("sidecar", ["add", str(src / f"s{i}.txt"), *common], {}))
    for name in ("../x.txt", "/etc/passwd", "", "..", ".", "nope.txt", "seeds/000_7eb558928ca9a35a.txt"):
        cases.append(("remove", ["remove", name, *common], {}))
    for name, data in {"q.bin": b"\xff\xfe\x00\xd8\x00", "q.gbk": "问题".encode("gbk"), "q.jsonl": b'{"id": 1}\n{bad\n'}.items():
        (src / name).write_bytes(data)
        cases.append(("queries", ["search", "--queries", str(src / name), *common], {}))
    cases.append(("queries", ["search", "--queries", str(src / "missing.jsonl"), *common], {}))
    for var, value in {"QA_PORT": "abc", "QA_MAX_DOC_MB": "-1", "QA_BUILD_WAIT": "x", "QA_STORE": "bad://x",
                       "QA_RETRIEVAL_CONFIG": "/nonexistent.json", "QA_MODEL": "/nonexistent-model"}.items():  # fmt: skip
        flags = [c for c in common if c not in ("--model", "hashing")] if var == "QA_MODEL" else common  # a flag wins
        cases.append(("environment", ["ask", "落户", *flags], {var: value}))
    exits: Counter[str] = Counter()
    tracebacks = []
    for kind, args, env in cases:
        code, err = _call(args, env)
        exits[str(code)] += 1
        if "Traceback" in err or code not in (0, 2, 3):
            tracebacks.append(f"{kind}: {args[:2]} {env} → {err.strip()[-200:]}")
    api_tried, api_failed = _api_calls(work, common, rng, n_random)
    return {
        "tried": len(cases) + api_tried,
        "tracebacks": len(tracebacks) + len(api_failed),
        "exit_codes": dict(exits),
        "failures": tracebacks + api_failed,
    }


def _api_calls(work: Path, common: list[str], rng: random.Random, n: int) -> tuple[int, list[str]]:
    from qa.engine import Engine
    from qa.serve.answer import ask
    from qa.serve.web import Page
    from qa.settings import Settings

    engine = Engine.open(Settings(corpus=(work / "seeds",), embeddings=work / "emb", model="hashing"))
    page = Page(engine, work / "fb.jsonl")
    values = [None, True, 0, -1, 10**40, 1.5, float("nan"), "", "5", "x" * 1000, [], [1, "a"], {"a": 1}, ["山西"], [2024]]
    failed = []
    for _ in range(n):  # random text as a question, in every mode
        q = "".join(chr(rng.randrange(1, 0x30000)) for _ in range(rng.randrange(1, 40)))
        try:
            ask(engine.retriever, q, k=rng.randrange(1, 11), mode=rng.choice(["hybrid", "dense", "bm25", "rrf"]))
        except BadQuestion:
            pass
        except Exception as exc:  # counting what escapes is the point
            failed.append(f"question {q!r}: {type(exc).__name__}: {exc}")
    for _ in range(n):
        args = [rng.choice(values) for _ in range(6)]
        try:
            out = page.api_ask(*args)
            if "results" not in out:
                failed.append(f"api {args!r}: no results field")
        except Exception as exc:  # counting what escapes is the point
            failed.append(f"api {args!r}: {type(exc).__name__}: {exc}")
    return 2 * n, failed


def _documents_match(work: Path, common: list[str]) -> bool:
    from qa.engine import Engine
    from qa.settings import Settings

    engine = Engine.open(Settings(corpus=(work / "seeds",), embeddings=work / "emb", model="hashing"))
    on_disk = {p.name for p in (work / "seeds").iterdir() if p.suffix == ".txt"}
    indexed = {d.doc_id for d in engine.index.manifest.documents}
    return on_disk == indexed == {c.doc_id for c in engine.index.chunks} and len(engine.retriever.search("落户条件", 3).ids) > 0


def _corrupt(name: str) -> Callable[[Path], None]:
    def garbage(p: Path) -> None:
        p.write_bytes(os.urandom(p.stat().st_size))

    return {
        "zero-byte vectors.npy": lambda d: (d / "vectors.npy").write_bytes(b""),
        "same-size garbage vectors.npy": lambda d: garbage(d / "vectors.npy"),
        "same-size garbage sentences.npy": lambda d: garbage(d / "sentences.npy"),
        "truncated chunks.jsonl": lambda d: (d / "chunks.jsonl").write_bytes((d / "chunks.jsonl").read_bytes()[:300]),
        "bad manifest": lambda d: (d / "manifest.json").write_text("{", encoding="utf-8"),
        "manifest of another schema": lambda d: (d / "manifest.json").write_text('{"schema_version": 1}', encoding="utf-8"),
        "lexical part deleted": lambda d: next((d / "lexical").iterdir()).unlink(),
        "english.tsv garbage": lambda d: garbage(d / "english.tsv"),
        "dangling index symlink": lambda d: shutil.rmtree(d),
    }[name]


CORRUPTIONS = (
    "zero-byte vectors.npy", "same-size garbage vectors.npy", "same-size garbage sentences.npy", "truncated chunks.jsonl",
    "bad manifest", "manifest of another schema", "lexical part deleted", "english.tsv garbage", "dangling index symlink",
)  # fmt: skip


def faults(work: Path, common: list[str]) -> dict:
    from qa.search.index import current_path

    root = next((work / "emb" / "indexes").iterdir())
    results = {}
    for name in CORRUPTIONS:
        _corrupt(name)(current_path(root).resolve())
        code, err = _call(["ask", "落户条件", *common], {})
        results[name] = code == 0 and "Traceback" not in err and _documents_match(work, common)
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
    extra = work / "extra"
    extra.mkdir()
    procs = []
    for i in range(4):
        (extra / f"new{i}.txt").write_text(f"某市关于居住证的通知\n一、办理条件\n(一)居住满{i + 1}年可申领。\n", encoding="utf-8")
        procs.append(subprocess.Popen([sys.executable, "-m", "qa", "add", str(extra / f"new{i}.txt"), *common], env=env,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))  # fmt: skip
    procs.append(subprocess.Popen([sys.executable, "-m", "qa", "remove", "001_5761e3c3252a412b.txt", *common], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))  # fmt: skip
    procs.append(subprocess.Popen([sys.executable, "-m", "qa", "index", "--rebuild", *common], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))  # fmt: skip
    codes = [p.wait(timeout=600) for p in procs]
    results["6 racing builders (4 adds, a remove, a rebuild)"] = codes == [0] * 6 and _documents_match(work, common)
    return results


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--random", type=int, default=200, help="random questions and random API calls, each")
    p.add_argument("--out", type=Path, help="also write the figures as JSON")
    args = p.parse_args(argv)
    import logging

    logging.getLogger("qa").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        shutil.copytree(PROJECT_ROOT / "seeds", work / "seeds")
        common = ["--corpus", str(work / "seeds"), "--model", "hashing", "--embeddings", str(work / "emb")]
        assert _call(["index", *common])[0] == 0
        inputs = bad_inputs(work, common, args.random)
        done = faults(work, common)
    print(f"bad inputs: {inputs['tried']} tried, {inputs['tracebacks']} tracebacks; exit codes {inputs['exit_codes']}")
    for f in inputs["failures"][:10]:
        print("  " + f)
    survived = sum(done.values())
    print(f"faults: {survived} of {len(done)} survived with every document indexed and answers given")
    for name, ok in done.items():
        print(f"  {'ok  ' if ok else 'FAIL'} {name}")
    if args.out:
        args.out.write_text(json.dumps({"inputs": inputs, "faults": done}, ensure_ascii=False, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
