#!/usr/bin/python3
"""Predicted vs measured per round, phases stacked: the figure `resist validate` writes.

Reads a run directory's validation.csv (written by `resist validate --run-dir DIR`) and writes a PNG:
two bars per round (P = simulated, M = measured by `resist train`), each split into compute,
communication, overhead and idle seconds, with the signed error of the round's total above them.
    plots/validation.py runs/quickstart/validation.csv runs/quickstart/validation.png "resist x2"
Needs Debian's python3-matplotlib.
"""
import csv
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

PHASES = [("compute", "#4c72b0"), ("communication", "#dd8452"), ("overhead", "#c44e52"), ("idle", "#cccccc")]


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    rows = list(csv.DictReader(open(sys.argv[1])))
    rounds = [r for r in rows if r["row"] == "round"]
    parts = {r["row"]: r for r in rows if r["row"] != "round"}
    if not rounds:
        sys.exit("validation.py: no round rows in " + sys.argv[1])
    title = sys.argv[3] if len(sys.argv) > 3 else ""
    n = len(rounds)
    fig, ax = plt.subplots(figsize=(max(6, min(18, 0.5 * n + 3)), 4.2))
    width = 0.38
    for side, offset, hatch in (("predicted", -width / 2, ""), ("measured", width / 2, "//")):
        bottom = [0.0] * n
        for phase, color in PHASES:
            vals = [float(r[f"{side}_{phase}_s"] or 0) for r in rounds]
            ax.bar([i + offset for i in range(n)], vals, width, bottom=bottom, color=color, hatch=hatch,
                   edgecolor="white", linewidth=0.3, label=f"{phase}" if side == "predicted" else None)
            bottom = [b + v for b, v in zip(bottom, vals)]
    tops = [max(float(r["predicted_s"]), float(r["measured_s"])) for r in rounds]
    if n <= 40:
        for i, r in enumerate(rounds):
            ax.text(i, tops[i] * 1.02, f"{float(r['error_pct']):+.0f}%", ha="center", va="bottom", fontsize=7)
    ax.set_xticks(range(n))
    ax.set_xticklabels([r["round"] for r in rounds], fontsize=7 if n > 20 else 9)
    ax.set_xlabel("round (left bar: predicted by sim, right bar, hatched: measured by resist train)")
    ax.set_ylabel("seconds")
    total = parts.get("total")
    if total:
        title += (f"\nwhole run: predicted {float(total['predicted_s']):.1f} s, measured "
                  f"{float(total['measured_s']):.1f} s ({float(total['error_pct']):+.1f}%)")
    ax.set_title(title.strip(), fontsize=10)
    ax.set_ylim(0, max(tops) * 1.15)
    ax.legend(loc="lower right", fontsize=8, ncol=4)
    fig.tight_layout()
    fig.savefig(sys.argv[2], dpi=110)


if __name__ == "__main__":
    main()
