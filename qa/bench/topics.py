"""Precision of the topic labels (``qa.search.topics``), checked by hand.

``python -m qa.bench.topics --sample 60 --out sample.tsv`` draws labelled (topic, clause)
pairs from the seeds at random and writes them with an empty ``on_topic`` column for a
person to fill with y or n: does the clause say something of substance on the topic?
``python -m qa.bench.topics --checked qa/eval/data/topics_checked.tsv`` prints the share
of y, per topic and overall, and how many clauses each topic labels.
"""

from __future__ import annotations

import argparse
import csv
import random
from collections import Counter
from pathlib import Path

from qa.ingest import chunk_document, load_corpus
from qa.search.expand import Expander
from qa.search.topics import TOPICS, clauses_on, topic
from qa.settings import PROJECT_ROOT

FIELDS = ["topic", "doc", "section", "text", "on_topic"]


def labelled_pairs(corpus: Path) -> list[dict[str, str]]:
    """Every (topic, clause) label over the documents of ``corpus``."""
    chunks = [c for d in load_corpus([corpus]).documents for c in chunk_document(d)]
    expander = Expander.default()
    out = []
    for label in TOPICS:
        for doc_chunks in clauses_on(topic(label, expander), chunks).values():
            out += [
                {"topic": label, "doc": c.doc_id, "section": c.section_path, "text": c.text, "on_topic": ""} for c in doc_chunks
            ]
    return out


def precision(rows: list[dict[str, str]]) -> dict[str, tuple[int, int]]:
    """(judged y, judged) per topic, and under "all"."""
    judged = [r for r in rows if r["on_topic"].strip().lower() in ("y", "n")]
    yes = Counter(r["topic"] for r in judged if r["on_topic"].strip().lower() == "y")
    total = Counter(r["topic"] for r in judged)
    out = {t: (yes[t], total[t]) for t in TOPICS if total[t]}
    out["all"] = (sum(yes.values()), sum(total.values()))
    return out


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--corpus", type=Path, default=PROJECT_ROOT / "seeds")
    p.add_argument("--sample", type=int, help="draw this many labelled pairs for checking")
    p.add_argument("--out", type=Path, help="where --sample writes its TSV")
    p.add_argument("--checked", type=Path, help="a sample with on_topic filled in: print the precision")
    args = p.parse_args(argv)
    pairs = labelled_pairs(args.corpus)
    print("clauses labelled per topic: " + ", ".join(f"{t} {n}" for t, n in Counter(r["topic"] for r in pairs).items()))
    if args.sample:
        sample = random.Random(0).sample(pairs, min(args.sample, len(pairs)))
        out = args.out or Path("topics-sample.tsv")
        with out.open("w", encoding="utf-8", newline="") as f:
            writer = csv.DictWriter(f, FIELDS, delimiter="\t")
            writer.writeheader()
            writer.writerows(sample)
        print(f"{len(sample)} pairs written to {out}; fill on_topic with y or n")
    if args.checked:
        with args.checked.open(encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f, delimiter="\t"))
        for name, (yes, total) in precision(rows).items():
            print(f"{name:12} precision {yes / total:.0%} ({yes} of {total})")


if __name__ == "__main__":
    main()
