"""Keep the corpus current: add documents to it, remove documents from it.

Adding copies files into the corpus folder after checking that each one reads as a
document, sidecar included (so a bad file is refused with its reason, and nothing
half-added is left). Removing, and replacing, move the old file and its sidecar out of
the corpus into a folder of their own under ``embeddings/removed/`` — recoverable,
never deleted or overwritten. Only documents of the corpus can be removed, named as
citations name them (the file name): a path is refused. The index then catches up on
its own: only clauses it has not seen are embedded, and clauses of removed documents
disappear from both the dense and the lexical side.
"""

from __future__ import annotations

import shutil
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from qa.errors import ManageError
from qa.ingest.metadata import sidecar_path
from qa.ingest.read import MAX_DOCUMENT_MB, list_files, load_document


@dataclass(frozen=True)
class Change:
    doc_id: str
    action: str  # "added", "replaced", "unchanged", "removed"
    where: str  # where the document is now (added) or was kept (removed; replaced: the old version)


def _keep_folder(trash: Path) -> Path:
    """A new folder for removed versions: dated, and unique even within one second."""
    folder = trash / f"{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"
    folder.mkdir(parents=True)
    return folder


def _move_out(doc: Path, keep: Path) -> Path:
    """Move ``doc`` and its sidecar, if any, into ``keep``."""
    dest = keep / doc.name
    shutil.move(str(doc), str(dest))
    side = sidecar_path(doc)
    if side.exists():
        shutil.move(str(side), str(keep / side.name))
    return dest


def add_files(
    paths: list[Path], corpus: Path, trash: Path, *, replace: bool = False, max_mb: float = MAX_DOCUMENT_MB
) -> list[Change]:
    """Copy ``paths`` into ``corpus``; every file is checked before any is copied.

    A replaced document's old version (and old sidecar) is kept under ``trash``."""
    if not corpus.is_dir():
        raise ManageError(f"corpus folder not found: {corpus}")
    present = {p.name: p for p in list_files(corpus)}
    plan: list[tuple[Path, Path, str]] = []
    for src in paths:
        if not src.is_file():
            raise ManageError(f"not a file: {src}")
        try:
            load_document(src, max_mb)
        except (OSError, ValueError) as exc:
            raise ManageError(f"{src.name}: {exc}") from exc
        dest = present.get(src.name, corpus / src.name)
        if not dest.exists():
            plan.append((src, dest, "added"))
        elif dest.read_bytes() == src.read_bytes() and _same_sidecar(src, dest):
            plan.append((src, dest, "unchanged"))
        elif replace:
            plan.append((src, dest, "replaced"))
        else:
            raise ManageError(f"{src.name} is already in the corpus with other content; use --replace")
    changes = []
    keep: Path | None = None
    for src, dest, action in plan:
        where = str(dest)
        if action == "replaced":
            keep = keep or _keep_folder(trash)
            where = str(_move_out(dest, keep))
        if action != "unchanged":
            _copy(src, dest)
        changes.append(Change(dest.name, action, where))
    return changes


def _same_sidecar(src: Path, dest: Path) -> bool:
    a, b = sidecar_path(src), sidecar_path(dest)
    return a.exists() == b.exists() and (not a.exists() or a.read_bytes() == b.read_bytes())


def _copy(src: Path, dest: Path) -> None:
    """Sidecar first, then the document, each through a hidden temporary name: a scan
    never sees a half-copied file, nor a new document with its old metadata."""
    side = sidecar_path(src)
    if side.exists():
        tmp = dest.with_name(f".{sidecar_path(dest).name}.adding")
        shutil.copyfile(side, tmp)
        tmp.replace(sidecar_path(dest))
    tmp = dest.with_name(f".{dest.name}.adding")
    shutil.copyfile(src, tmp)
    tmp.replace(dest)


def remove_docs(names: list[str], corpus: Path, trash: Path) -> list[Change]:
    """Move documents, named by file name, out of ``corpus`` into a new folder in ``trash``."""
    present = {p.name: p for p in list_files(corpus)} if corpus.is_dir() else {}
    for name in names:
        if Path(name).name != name or name in ("", ".", ".."):
            raise ManageError(f"{name!r}: give a document's file name as citations show it, not a path")
    missing = [n for n in names if n not in present]
    if missing:
        raise ManageError(f"not in the corpus {corpus}: {', '.join(missing)}")
    keep = _keep_folder(trash)
    return [Change(n, "removed", str(_move_out(present[n], keep))) for n in dict.fromkeys(names)]
