#!/usr/bin/python3
"""GB communicated per round against the number of workers, one line per protocol.

Reads the CSV of `resist comm --format csv` (a file or standard input) and writes a PNG:
    build/bin/resist comm --classes 100 --workers 2,4,8,16 --min-depth 4 \
        --protocol resist,local_sgd --format csv > /tmp/comm.csv
    plots/comm_per_round.py /tmp/comm.csv --out comm_per_round.png
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
    ap.add_argument("csv", nargs="?", help="CSV from `resist comm --format csv` (default: stdin)")
    ap.add_argument("--out", default="comm_per_round.png", help="PNG to write")
    args = ap.parse_args()
    rows = list(csv.DictReader(open(args.csv) if args.csv else sys.stdin))
    if not rows or "gb_per_round" not in rows[0]:
        sys.exit("comm_per_round.py: expected the CSV of `resist comm --format csv`")
    series = defaultdict(list)
    for r in rows:
        label = r["protocol"] + (f" (min depth {r['min_depth']})" if r["protocol"] == "resist" else "")
        series[label].append((int(r["workers"]), float(r["gb_per_round"])))
    fig, ax = plt.subplots(figsize=(6, 4))
    for label, pts in sorted(series.items()):
        pts.sort()
        ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=label)
    ax.set_xlabel("workers S")
    ax.set_ylabel("GB per round (payload, 1e9 bytes)")
    ax.set_title(f"{rows[0]['model']}: communication per round")
    ax.set_xscale("log", base=2)
    ax.grid(True, alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(args.out, dpi=120)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
