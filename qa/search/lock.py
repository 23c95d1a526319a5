"""The build lock: one builder at a time per embeddings folder, across processes.

Everything that changes the corpus or writes an index — ``qa index``, ``qa add``,
``qa remove``, the page's upload, and any command that finds the index out of date —
holds this lock (``filelock``, an OS file lock released when its process dies). A
second builder waits, saying so once, for at most ``wait`` seconds, then gives up with
:class:`~qa.errors.BuildBusy`. Within one process the lock is re-entrant, so ``qa add``
can hold it across copying the files and rebuilding.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from qa.errors import BuildBusy

log = logging.getLogger(__name__)
LOCK_NAME = ".build.lock"
DEFAULT_WAIT = 600.0


@contextmanager
def build_lock(folder: Path, wait: float = DEFAULT_WAIT) -> Iterator[None]:
    """Hold the build lock of ``folder`` (created if missing) for the ``with`` block."""
    folder.mkdir(parents=True, exist_ok=True)
    lock = FileLock(folder / LOCK_NAME, is_singleton=True)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        log.warning("another build is running in %s; waiting for it (up to %g s)", folder, wait)
        try:
            lock.acquire(timeout=wait)
        except Timeout:
            raise BuildBusy(f"another build is still running in {folder} after {wait:g} s; try again later") from None
    try:
        yield
    finally:
        lock.release()
