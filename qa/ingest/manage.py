"""Keep the corpus current: add documents to it, remove documents from it.

Adding copies files into the corpus folder after checking that each one reads as a
document (so a bad file is refused with its reason, and nothing half-added is left).
Removing moves the file, and its sidecar, out of the corpus into a dated folder
under ``embeddings/removed/`` — recoverable, never deleted. The index then catches
up on its own: only clauses it has not seen are embedded, and clauses of removed
documents disappear from both the dense and the lexical side.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from qa.errors import ManageError
from qa.ingest.metadata import SIDECAR
from qa.ingest.read import SUFFIXES, load_document


@dataclass(frozen=True)
class Change:
    doc_id: str
    action: str  # "added", "replaced", "unchanged", "removed"
    where: str


def add_files(paths: list[Path], corpus: Path, replace: bool = False) -> list[Change]:
    """Copy ``paths`` into ``corpus``; every file is checked before any is copied."""
    if not corpus.is_dir():
        raise ManageError(f"corpus folder not found: {corpus}")
    plan: list[tuple[Path, Path, str]] = []
    for src in paths:
        if not src.is_file():
            raise ManageError(f"not a file: {src}")
        if src.suffix.lower() not in SUFFIXES:
            raise ManageError(f"{src.name}: only {', '.join(SUFFIXES)} documents can be added")
        try:
            load_document(src)
        except (OSError, ValueError) as exc:
            raise ManageError(f"{src.name}: {exc}") from exc
        dest = corpus / src.name
        if dest.exists():
            if dest.read_bytes() == src.read_bytes():
                plan.append((src, dest, "unchanged"))
                continue
            if not replace:
                raise ManageError(f"{src.name} is already in the corpus with other content; use --replace")
            plan.append((src, dest, "replaced"))
        else:
            plan.append((src, dest, "added"))
    changes = []
    for src, dest, action in plan:
        if action != "unchanged":
            tmp = dest.with_name(f".{dest.name}.adding")
            shutil.copyfile(src, tmp)
            tmp.replace(dest)  # a reader never sees a half-copied document
            side = src.with_name(src.name + SIDECAR)
            if side.exists():
                shutil.copyfile(side, dest.with_name(dest.name + SIDECAR))
        changes.append(Change(dest.name, action, str(dest)))
    return changes


def remove_docs(doc_ids: list[str], corpus: Path, trash: Path) -> list[Change]:
    """Move documents (by file name) out of ``corpus`` into a dated folder in ``trash``."""
    missing = [d for d in doc_ids if not (corpus / d).is_file()]
    if missing:
        raise ManageError(f"not in the corpus {corpus}: {', '.join(missing)}")
    dest_dir = trash / time.strftime("%Y%m%d-%H%M%S")
    dest_dir.mkdir(parents=True, exist_ok=True)
    changes = []
    for d in doc_ids:
        src = corpus / d
        shutil.move(str(src), str(dest_dir / d))
        side = src.with_name(src.name + SIDECAR)
        if side.exists():
            shutil.move(str(side), str(dest_dir / side.name))
        changes.append(Change(d, "removed", str(dest_dir / d)))
    return changes
