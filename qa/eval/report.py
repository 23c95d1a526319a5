"""What an evaluation prints and writes: text tables, the Markdown report, and its plot."""

from __future__ import annotations

import json
from pathlib import Path

from qa.eval.runs import LABELS, METRICS, RunResult


def _multi(r: RunResult) -> str:
    """Multi-document coverage, or a dash where the half has no multi-document question."""
    return f"{r.multi_doc_coverage:.3f}" if "multi_doc" in r.by_style else "–"


def text_table(results: dict[str, list[RunResult]]) -> str:
    head = f"{'retriever':10s} {'half':5s} " + " ".join(f"{LABELS[m]:>7s}" for m in METRICS) + "  multi@5  noans R/wrong"
    lines = [head, "-" * len(head)]
    names = [r.name for r in next(iter(results.values()))]
    for i, name in enumerate(names):
        for split, rs in results.items():
            r = rs[i]
            vals = " ".join(f"{r.metrics.get(m, 0):7.3f}" for m in METRICS)
            na = r.no_answer
            lines.append(f"{name:10s} {split:5s} {vals}  {_multi(r):>7s}  {na['recall']:.2f}/{na['answerable_flagged']:.2f}")
    return "\n".join(lines)


def kind_table(results: dict[str, list[RunResult]], name: str) -> str:
    """Share of questions not answered outright (partial or not_found), per kind, every half:
    for unanswerable kinds the higher the better, for answerable ones the lower."""
    lines = [f"{name}: flagged partial/not_found, per kind (" + " | ".join(results) + ")"]
    kinds = sorted({k for rs in results.values() for r in rs if r.name == name for k in r.no_answer_by_kind})
    for kind in kinds:
        cells = []
        for rs in results.values():
            m = next(r for r in rs if r.name == name).no_answer_by_kind.get(kind)
            cells.append(f"n={int(m['n']):3d} {m['flagged']:.2f}" if m else "  –      ")
        lines.append(f"  {kind:22s} " + "  |  ".join(cells))
    furniture = " | ".join(str(next(r for r in rs if r.name == name).furniture_top5) for rs in results.values())
    unasked = " | ".join(str(next(r for r in rs if r.name == name).part_first_unasked) for rs in results.values())
    lines.append(f"  page furniture in a top 5: {furniture};  sign-off/contact first unasked: {unasked}")
    return "\n".join(lines)


def style_table(results: dict[str, list[RunResult]], name: str) -> str:
    lines = [f"{name}: per style, H@1 / H@5 / MRR@10 (" + " | ".join(results) + ")"]
    styles = sorted({s for rs in results.values() for r in rs for s in r.by_style})
    for s in styles:
        cells = []
        for rs in results.values():
            r = next(r for r in rs if r.name == name)
            m = r.by_style.get(s, {})
            h1, h5, mrr = (m.get(x, 0) for x in ("hit_rate@1", "hit_rate@5", "mrr@10"))
            cells.append(f"n={int(m.get('n', 0)):3d} {h1:.2f} / {h5:.2f} / {mrr:.2f}")
        lines.append(f"  {s:12s} " + "  |  ".join(cells))
    return "\n".join(lines)


def write_report(path: Path, payload: dict, results: dict[str, list[RunResult]]) -> None:
    """``eval.md`` with its plots ``eval.png`` and (with a judgement curve) ``risk-coverage.png``."""
    path.mkdir(parents=True, exist_ok=True)
    write_plot(path / "eval.png", results)
    if payload.get("risk_coverage"):
        write_risk_coverage(path / "risk-coverage.png", payload["risk_coverage"])
    (path / "eval.md").write_text(markdown(payload, results), encoding="utf-8")


def write_risk_coverage(out: Path, curves: dict[str, dict]) -> None:
    """Risk (share of answered questions whose first clause is wrong or that no document
    answers) against coverage (share answered outright), one line per half, as the
    judgement's threshold moves; the shipped threshold is marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 5))
    for split, c in curves.items():
        xs = [p[0] for p in c["curve"]]
        ys = [p[1] for p in c["curve"]]
        line = ax.plot(xs, ys, label=split)[0]
        chosen = min(c["curve"], key=lambda p: abs(p[2] - c["threshold"]))
        ax.plot([chosen[0]], [chosen[1]], "o", color=line.get_color())
    ax.set_xlabel("coverage: share of questions answered outright")
    ax.set_ylabel("risk: share of those answered wrongly")
    ax.set_title("Answer judgement: risk–coverage (dot = shipped threshold)")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


def write_plot(out: Path, results: dict[str, list[RunResult]]) -> None:
    """Hit@1 of every variant per question style, one panel per half."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [r.name for r in results["tune"]]
    styles = sorted({s for rs in results.values() for r in rs for s in r.by_style})
    fig, axes = plt.subplots(1, len(results), figsize=(7 * len(results), 5), sharey=True)
    for ax, split in zip(axes, results, strict=True):
        width = 0.8 / len(names)
        for i, r in enumerate(results[split]):
            xs = [j + i * width for j in range(len(styles) + 1)]
            ys = [r.by_style.get(s, {}).get("hit_rate@1", 0) for s in styles] + [r.metrics.get("hit_rate@1", 0)]
            ax.bar(xs, ys, width=width, label=r.name)
        ax.set_xticks([j + 0.4 - width / 2 for j in range(len(styles) + 1)])
        ax.set_xticklabels([*styles, "ALL"], rotation=30)
        ax.set_title(f"Hit@1 by question style — {split} half")
        ax.set_ylim(0, 1)
        ax.grid(axis="y", alpha=0.3)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(names), fontsize=9)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    fig.savefig(out, dpi=110)
    plt.close(fig)


def markdown(payload: dict, results: dict[str, list[RunResult]]) -> str:
    """The report's text: every variant on both halves, per style, cross-validation, config."""
    names = [r.name for r in results["tune"]]
    styles = sorted({s for rs in results.values() for r in rs for s in r.by_style})
    md = [
        "# Retrieval evaluation",
        "",
        f"Model: {payload['model']}. Set: {payload['questions']} questions: the development set, split once by a fixed "
        "seed into a tuning half (weights chosen on it) and a held-back half (only measured), and the fresh split, "
        "written by someone who had not seen the word lists or the system, after the weights were frozen (only "
        "measured). Generated by `qa eval --report`.",
        "",
        "![Hit@1 by style](eval.png)",
        "",
        "| retriever | half | "
        + " | ".join(LABELS[m] for m in METRICS)
        + " | multi-doc cover@5 | no-match recall | answerable flagged |",
        "|" + "---|" * (len(METRICS) + 5),
    ]
    for i, name in enumerate(names):
        for split in results:
            r = results[split][i]
            na = r.no_answer
            md.append(
                f"| {name} | {split} | "
                + " | ".join(f"{r.metrics.get(m, 0):.3f}" for m in METRICS)
                + f" | {_multi(r)} | {na['recall']:.2f} | {na['answerable_flagged']:.2f} |"
            )
    md += ["", "## Per question style (Hit@1 / Hit@5 / MRR@10)", ""]
    styles_hdr = "| style | " + " | ".join(f"{n} ({s})" for n in ("hybrid", "full") for s in results) + " |"
    md += [styles_hdr, "|" + "---|" * (1 + 2 * len(results))]
    for s in styles:
        cells = []
        for n in ("hybrid", "full"):
            for split in results:
                m = next(r for r in results[split] if r.name == n).by_style.get(s, {})
                cells.append(f"{m.get('hit_rate@1', 0):.2f} / {m.get('hit_rate@5', 0):.2f} / {m.get('mrr@10', 0):.2f}")
        md.append(f"| {s} | " + " | ".join(cells) + " |")
    md += ["", "## Answer status: not answered outright (partial or not_found), full pipeline", ""]
    md += ["| kind | " + " | ".join(results) + " |", "|" + "---|" * (1 + len(results))]
    kinds = sorted({k for rs in results.values() for r in rs if r.name == "full" for k in r.no_answer_by_kind})
    for kind in kinds:
        cells = []
        for rs in results.values():
            m = next(r for r in rs if r.name == "full").no_answer_by_kind.get(kind)
            cells.append(f"{m['flagged']:.2f} (n={int(m['n'])})" if m else "–")
        md.append(f"| {kind} | " + " | ".join(cells) + " |")
    md += [
        "",
        "Unanswerable kinds (figure, other_place, topic, year): higher is better. Answerable (per language): lower is better.",
        "Page furniture among the first five, per half: "
        + " / ".join(str(next(r for r in rs if r.name == "full").furniture_top5) for rs in results.values())
        + "; a sign-off or contact block first when not asked for: "
        + " / ".join(str(next(r for r in rs if r.name == "full").part_first_unasked) for rs in results.values())
        + ".",
    ]
    if payload.get("risk_coverage"):
        md += ["", "![risk–coverage of the answer judgement](risk-coverage.png)"]
    if payload.get("cross_validation"):
        md += ["", "## Cross-validation by document (tune on four, measure on the fifth)", ""]
        md += ["| held-out document | questions | hybrid H@1 | hybrid MRR | tuned H@1 | tuned MRR |", "|---|---|---|---|---|---|"]
        for row in payload["cross_validation"]:
            h, f = row["hybrid"], row["full"]
            md.append(
                f"| {row['held_out_doc']} | {row['n']} | {h['hit_rate@1']:.3f} | {h['mrr@10']:.3f} | "
                f"{f['hit_rate@1']:.3f} | {f['mrr@10']:.3f} |"
            )
    md += ["", f"Query latency p95, a new question through the full pipeline: {payload.get('latency_p95_ms', '?')} ms.", ""]
    md += ["Shipped configuration:", "", "```json", json.dumps(payload["config"], ensure_ascii=False, indent=2), "```", ""]
    return "\n".join(md)
