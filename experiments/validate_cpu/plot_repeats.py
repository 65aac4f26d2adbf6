#!/usr/bin/python3
"""Every repetition's errors, one row per (model, protocol, ranks): the median round error and the whole-run
error of each repetition as dots, their median as a bar, the issue's +-5% band shaded. Reads each
repetition's results.csv (run.sh's), as summarize_repeats.py --markdown does.
  experiments/validate_cpu/plot_repeats.py OUT PNG   (OUT: run.sh REPEATS>1 output, or a folder linking
                                                       several runs' rep* folders as rep1..repN)"""
import csv, os, statistics, sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from summarize_repeats import rep_dirs


def main(out, png):
    rows = {}
    for d in rep_dirs(out):
        path = os.path.join(d, "results.csv")
        if not os.path.exists(path):
            continue
        for r in csv.DictReader(open(path)):
            k = (r["model"], r["protocol"], int(r["ranks"]))
            rows.setdefault(k, []).append((float(r["median_round_err_pct"]), float(r["whole_run_err_pct"])))
    if not rows:
        sys.exit(f"plot_repeats.py: no results.csv under {out}/rep*")
    keys = sorted(rows, reverse=True)
    n = max(len(v) for v in rows.values())
    fig, axes = plt.subplots(1, 2, figsize=(12, 0.45 * len(keys) + 1.6), sharey=True)
    for ax, col, title in ((axes[0], 0, "median round error"), (axes[1], 1, "whole-run error")):
        ax.axvspan(-5, 5, color="#d9f0d3", zorder=0, label="target: within 5%")
        ax.axvline(0, color="grey", lw=0.8, zorder=1)
        for y, k in enumerate(keys):
            v = [e[col] for e in rows[k]]
            med = statistics.median(v)
            ax.scatter(v, [y] * len(v), s=14, color="#4a7ab5", alpha=0.6, zorder=2)
            ax.plot([med, med], [y - 0.35, y + 0.35], color="#c0392b" if abs(med) > 5 else "black", lw=2.5, zorder=3)
            ax.annotate(f"{med:+.1f}%", (med, y + 0.38), ha="center", fontsize=7)
        ax.set_xlim(-35, 25)
        ax.set_xlabel(f"{title}, % ((predicted - measured) / measured)")
        ax.set_title(f"{title}: each repetition (dots), median (bar)", fontsize=10)
        ax.grid(axis="x", alpha=0.3)
    axes[0].set_yticks(range(len(keys)))
    axes[0].set_yticklabels([f"{m.replace('preact_resnet', 'resnet')} {p} x{r}" for m, p, r in keys], fontsize=8)
    axes[0].legend(loc="lower left", fontsize=8)
    fig.suptitle(f"resist validate on this 2-core machine: {n} repetitions of experiments/validate_cpu/run.sh",
                 fontsize=11)
    fig.tight_layout()
    fig.savefig(png, dpi=110)
    print(f"wrote {png}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
