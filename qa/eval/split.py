"""Earlier fresh splits into the two halves: ``python -m qa.eval.split DEV FRESH OUT``.

Each version's fresh split is measured once, as its fresh split; it then joins the
development set. The tuning half stayed small while the held-back half grew, so the weights
were chosen on a few hundred questions; this spreads the earlier fresh questions (``f…``–
``o…``) over both halves by a fixed seed, per style and kind, balanced by count. A copy
(same words, whatever the script or final punctuation) goes with its original: with a
tuning question to the tuning half, with a held or fresh one to the held-back half, so the
held-back half never measures a question the weights were chosen on.
"""

from __future__ import annotations

import json
import random
import sys
from collections import defaultdict
from pathlib import Path

from qa.ingest.normalize import normalize_query

EARLIER_FRESH = tuple("fghijklmno")
SEED = 14


def same_words(question: str) -> str:
    """A question's words, whatever the script, case and final punctuation: copies share them."""
    return normalize_query(question).strip(" ?？。.!").lower()


def split(rows: list[dict], fresh: list[dict]) -> None:
    """Set ``split`` of the earlier fresh questions in ``rows``, in place."""
    fixed = {same_words(r["question"]): "held" for r in fresh}
    groups: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        words = same_words(r["question"])
        if r["id"].startswith(EARLIER_FRESH):
            groups[words].append(r)
        elif fixed.get(words) != "tune":
            fixed[words] = r["split"]
    strata: dict[tuple[str, str], list[list[dict]]] = defaultdict(list)
    for words, group in sorted(groups.items()):
        if words in fixed:
            for r in group:
                r["split"] = fixed[words]
        else:
            strata[(group[0]["style"], group[0].get("kind", ""))].append(group)
    rng = random.Random(SEED)
    for key in sorted(strata):
        rng.shuffle(strata[key])
        count = {"tune": 0, "held": 0}
        for group in strata[key]:
            side = "tune" if count["tune"] <= count["held"] else "held"
            for r in group:
                r["split"] = side
            count[side] += len(group)


def _read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def main(argv: list[str]) -> None:
    dev, fresh, out = (Path(a) for a in argv)
    rows = _read(dev)
    split(rows, _read(fresh))
    out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
