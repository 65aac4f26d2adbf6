#!/usr/bin/python3
"""Simulator scaling: wall-clock and peak memory of one simulated ResIST round against the workers.

Reads the CSV of experiments/sim_speed/scaling.sh (one or more files: runs are drawn side by side) and
writes a PNG with two panels, wall seconds and peak memory (MB), log-log, one line per minimum depth;
the load average before each case is printed next to its point (the machine was shared), and a case
that ran out of time is marked at its time limit with an upward arrow.
    experiments/sim_speed/scaling.sh build/bin/resist 90 > experiments/sim_speed/scaling_run1.csv
    /usr/bin/python3 plots/sim_scaling.py experiments/sim_speed/scaling_run1.csv --out scaling.png
Needs Debian's python3-matplotlib.
"""
import argparse
import csv
import sys
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("csv", nargs="+", help="CSV files of experiments/sim_speed/scaling.sh")
    ap.add_argument("--limit-s", type=float, default=90, help="the time limit the runs used (timeouts drawn there)")
    ap.add_argument("--out", default="sim_scaling.png", help="PNG to write")
    args = ap.parse_args()
    fig, (ax_t, ax_m) = plt.subplots(1, 2, figsize=(11, 4.2))
    for path in args.csv:
        rows = list(csv.DictReader(open(path)))
        if not rows or "max_rss_kB" not in rows[0]:
            sys.exit(f"sim_scaling.py: {path} is not a CSV of experiments/sim_speed/scaling.sh")
        ok, late = defaultdict(list), defaultdict(list)
        for r in rows:
            if r["status"] == "ok":
                ok[r["min_depth"]].append((int(r["workers"]), float(r["wall_s"]), int(r["max_rss_kB"]) / 1024,
                                           r["load1"], float(r["user_s"]) + float(r["sys_s"])))
            elif r["status"] == "timeout":
                late[r["min_depth"]].append(int(r["workers"]))
        for depth in sorted(set(ok) | set(late)):
            pts = sorted(ok[depth])
            label = f"min depth {depth} ({path.split('/')[-1]})"
            if pts:
                line, = ax_t.plot([p[0] for p in pts], [p[1] for p in pts], "o-", label=label + ", wall")
                ax_t.plot([p[0] for p in pts], [p[4] for p in pts], "s--", color=line.get_color(),
                          label=label + ", CPU (user + sys)")
                ax_m.plot([p[0] for p in pts], [p[2] for p in pts], "o-", color=line.get_color(), label=label)
                for w, t, _, load, _ in pts:
                    ax_t.annotate(f"load {load}", (w, t), fontsize=6, xytext=(3, -9), textcoords="offset points")
            for w in late[depth]:
                ax_t.plot([w], [args.limit_s], "x", color="black")
                ax_t.annotate("timeout", (w, args.limit_s), fontsize=7, ha="center",
                              xytext=(0, 12), textcoords="offset points", arrowprops={"arrowstyle": "<-"})
    for ax, title in ((ax_t, "seconds of the whole command (x: over the limit)"), (ax_m, "peak memory (max RSS), MB")):
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("workers (one ResIST round, dgx_a100_hdr, hierarchical)")
        ax.set_title(title, fontsize=10)
        ax.grid(True, which="both", alpha=0.3)
    ax_t.axhline(args.limit_s, color="grey", lw=0.8, ls="--")  # the time limit: x = ran out of time
    ax_t.legend(fontsize=7)
    fig.suptitle("resist simulate: scaling on a shared 2-core machine (load averages next to the points)", fontsize=10)
    fig.tight_layout()
    fig.savefig(args.out, dpi=120)


if __name__ == "__main__":
    main()
