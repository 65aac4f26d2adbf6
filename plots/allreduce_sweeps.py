#!/usr/bin/python3
"""All-reduce bus bandwidth against message size: the simulator's curve next to measured nccl-tests points.

Input: the CSV that experiments/sim_calibration/check_sweeps.py --out writes (one row per published size:
table, platform, workers, fabric, bytes, busbw_GBps measured, sim simulated, role, chosen). One panel per
platform and rank count; measured points as markers (filled: held out, open: fitted on), the simulated busbw
as a line, the algorithm/protocol NCCL's choice ran annotated where it changes.

Usage: /usr/bin/python3 plots/allreduce_sweeps.py SWEEPS.csv OUT.png
"""
import csv
import math
import sys
from collections import OrderedDict

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    sys.exit("allreduce_sweeps.py: needs matplotlib (Debian: apt-get install python3-matplotlib)")


def short_platform(p):
    return p if not p.startswith("parametric:") else "parametric (" + ",".join(
        kv for kv in p[len("parametric:"):].split(",") if kv.split("=")[0] in ("gpu", "nic_bw_GBps", "nics_per_node")) + ")"


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    rows = list(csv.DictReader(open(sys.argv[1])))
    panels = OrderedDict()
    for r in rows:
        key = (short_platform(r["platform"]), int(r["workers"]))
        panels.setdefault(key, []).append(r)
    keys = sorted(panels, key=lambda k: (k[0], k[1]))
    cols = 4
    nrows = math.ceil(len(keys) / cols)
    fig, axes = plt.subplots(nrows, cols, figsize=(4.2 * cols, 3.3 * nrows), squeeze=False)
    for ax, key in zip(axes.flat, keys):
        tables = OrderedDict()
        for r in panels[key]:
            tables.setdefault(r["table"], []).append(r)
        for tid, rs in tables.items():
            rs.sort(key=lambda r: int(r["bytes"]))
            x = [int(r["bytes"]) / 2**20 for r in rs]
            held = rs[0]["role"] == "held_out"
            line, = ax.plot(x, [float(r["sim"]) for r in rs], "-", lw=1.3,
                            label=f"{tid} simulated ({rs[0]['nccl_algo'] or 'NCCL default'})")
            ax.plot(x, [float(r["busbw_GBps"]) for r in rs], "o", ms=4, color=line.get_color(),
                    mfc=line.get_color() if held else "none", label=f"{tid} measured ({'held out' if held else 'fit'})")
            prev = None
            for r in rs:
                if r["chosen"] != prev:
                    ax.annotate(r["chosen"], (int(r["bytes"]) / 2**20, float(r["sim"])), fontsize=6,
                                xytext=(2, 4), textcoords="offset points", color=line.get_color())
                    prev = r["chosen"]
        ax.set_xscale("log", base=2)
        ax.set_title(f"{key[0]}, {key[1]} GPUs ({key[1] // 8 if key[1] >= 8 else 1} node(s))", fontsize=8)
        ax.set_xlabel("message size (MiB)", fontsize=7)
        ax.set_ylabel("bus bandwidth (GB/s)", fontsize=7)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=5.5, loc="upper left")
    for ax in list(axes.flat)[len(keys):]:
        ax.axis("off")
    fig.suptitle("all-reduce bus bandwidth: resist bench allreduce (lines) against published nccl-tests "
                 "(markers; filled = held out)", fontsize=10)
    fig.tight_layout(rect=(0, 0, 1, 0.98))
    fig.savefig(sys.argv[2], dpi=110)
    print(f"wrote {sys.argv[2]}")


if __name__ == "__main__":
    main()
