"""One error hierarchy for everything a user can cause.

Every failure that reaches a user is a :class:`QAError`: its message is one line, and
its ``exit_code`` says what kind it is — 2 for bad input (a question, a flag, a file
given on the command line), 3 for a corpus, model, index or store that cannot be
used. The command line catches ``QAError`` in one place and prints ``error: …``; the
web page and its API turn it into a friendly sentence or ``{"error": …}``.
"""

from __future__ import annotations

import errno

EXIT_OK, EXIT_INPUT, EXIT_ENV = 0, 2, 3


class QAError(Exception):
    """Base of every error shown to a user; the message is one line."""

    exit_code = 1


class BadInput(QAError):
    """The user's input cannot be used (exit 2). ``code`` names why, for a page to word it."""

    exit_code = EXIT_INPUT

    def __init__(self, message: str, code: str = "invalid") -> None:
        super().__init__(message)
        self.code = code


class Unusable(QAError):
    """The corpus, model, index or store cannot be used (exit 3)."""

    exit_code = EXIT_ENV


class BadQuestion(BadInput):
    """The question cannot be searched (empty, no words, bad k)."""


class ManageError(BadInput):
    """A document cannot be added or removed."""


class CorpusError(Unusable):
    """The corpus folder is missing or holds no readable document."""


class ModelLoadError(Unusable):
    """A model could not be loaded."""


class IndexNotReady(Unusable):
    """The index folder is missing, unreadable or inconsistent."""


class IndexDamaged(IndexNotReady):
    """The index's files do not match the checksums its manifest recorded."""


class BuildBusy(Unusable):
    """Another process kept the build lock longer than the configured wait."""


class StoreError(Unusable):
    """The store named by --store cannot be used."""


def os_error_text(exc: OSError) -> str:
    """One line for a failing disk or folder, said plainly: "disk full", "read-only", …"""
    where = f": {exc.filename}" if exc.filename else ""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT) or "requested and" in str(exc):
        # numpy's short write ("824832 requested and 445408 written") carries no errno
        return f"disk full{where}"
    if exc.errno == errno.EROFS:
        return f"read-only file system{where}"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return f"permission denied{where}"
    return f"{exc.strerror or exc}{where}"
