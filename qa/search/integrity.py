"""Checksums of an index folder's files, recorded in its manifest and checked on use.

At build time every file the build wrote is summarized: its size, a hash of three
64 KiB samples (start, middle, end) and the SHA-256 of the whole. Opening an index
checks sizes and samples — a few reads, whatever the size — so a truncated file or
one overwritten with garbage is caught before it is used; ``qa index --verify`` and
the reuse of vectors by a new build check the full hashes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

SAMPLE = 1 << 16
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class FileSum:
    size: int
    sample: str
    sha256: str


def _sample(path: Path, size: int) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for offset in sorted({0, max(0, size // 2 - SAMPLE // 2), max(0, size - SAMPLE)}):
            fh.seek(offset)
            h.update(fh.read(SAMPLE))
    return h.hexdigest()[:32]


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 22), b""):
            h.update(block)
    return h.hexdigest()


def summarize(folder: Path) -> dict[str, FileSum]:
    """Every file under ``folder`` but the manifest, by path relative to it."""
    out = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.name != MANIFEST):
        size = path.stat().st_size
        out[path.relative_to(folder).as_posix()] = FileSum(size, _sample(path, size), _sha256(path))
    return out


def problems(folder: Path, sums: dict[str, FileSum], *, full: bool = False, only: Iterable[str] | None = None) -> list[str]:
    """What does not match ``sums`` (sizes and samples; with ``full``, whole hashes too).
    ``only``: check just these files. An empty list means the folder is as built."""
    found = []
    for name in only if only is not None else sums:
        want = sums.get(name)
        path = folder / name
        if want is None:
            found.append(f"{name} has no recorded checksum")
            continue
        try:
            size = path.stat().st_size
            if size != want.size:
                found.append(f"{name} is {size} bytes, built as {want.size}")
            elif _sample(path, size) != want.sample or (full and _sha256(path) != want.sha256):
                found.append(f"{name} has changed since it was built")
        except OSError as exc:
            found.append(f"{name} cannot be read ({exc.strerror or exc})")
    return found
