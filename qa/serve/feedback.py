"""👍/👎 feedback: one JSON line per vote, appended, never rewritten.

A changed vote is one more line that says what it replaces (``previous``), so 👍 👎 👍
reads as a vote and two changes of mind, never three opinions. A 👎 may carry a reason
(答非所问 / 条款过时 / 缺少文件).

Line and paragraph separators a question may hold (U+2028, U+2029, U+0085) are written
as JSON escapes: a reader splitting the log on any line break still sees one vote a line."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

_LOCK = threading.Lock()
_SEPARATORS = str.maketrans({"\u2028": "\\u2028", "\u2029": "\\u2029", "\u0085": "\\u0085"})


REASONS = ("答非所问", "条款过时", "缺少文件")


def record(
    path: Path,
    *,
    question: str,
    vote: str,
    clause_ids: list[str],
    mode: str = "ask",
    turn: str = "",
    previous: str = "",
    reason: str = "",
) -> dict:
    """Append one vote to the log at ``path`` and return the line written."""
    if vote not in ("up", "down"):
        raise ValueError(f"vote must be 'up' or 'down', not {vote!r}")
    if reason and reason not in REASONS:
        raise ValueError(f"reason must be one of {REASONS}, not {reason!r}")
    entry = {
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "question": question,
        "vote": vote,
        "clause_ids": clause_ids,
        "mode": mode,
    }
    if turn:
        entry["turn"] = turn  # which answer: votes on earlier answers are told apart
    if previous:
        entry["previous"] = previous  # a change of mind: this line replaces that vote
    if reason:
        entry["reason"] = reason
    line = (json.dumps(entry, ensure_ascii=False).translate(_SEPARATORS) + "\n").encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    with _LOCK:
        # O_APPEND: each write lands at the end, even with several processes logging
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line)
        finally:
            os.close(fd)
    return entry
