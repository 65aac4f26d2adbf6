#!/usr/bin/env python3
"""Predicted against measured for the calibration's published points, from the tables run.sh writes:
single-GPU training throughput (gpu_fit.txt) and nccl-tests bus bandwidth (network_check.txt). Fit points,
held-out points and points measured on the lent H100 are marked apart; the band is the issue's 10%.

usage: /usr/bin/python3 plot_calibration.py [OUT.png]   (default: calibration.png beside this script)"""
import csv, io, os, sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
STYLE = {"fit": ("o", "#888888", "fit"), "held_out": ("s", "#1f77b4", "held out"),
         "measured_here": ("^", "#ff7f0e", "measured on the lent H100 (judged)")}


def table(name, header_start):
    """The CSV block of a run.sh output file that starts at the line beginning with header_start."""
    with open(os.path.join(HERE, name)) as f:
        lines = f.read().splitlines()
    start = next(i for i, l in enumerate(lines) if l.startswith(header_start))
    end = next((i for i in range(start + 1, len(lines)) if not lines[i].strip()), len(lines))
    return list(csv.DictReader(io.StringIO("\n".join(lines[start:end]))))


def panel(ax, rows, measured, predicted, title, unit, label_of):
    lo = min(min(float(r[measured]), float(r[predicted])) for r in rows) * 0.8
    hi = max(max(float(r[measured]), float(r[predicted])) for r in rows) * 1.2
    ax.plot([lo, hi], [lo, hi], color="black", lw=0.8)
    ax.fill_between([lo, hi], [lo * 0.9, hi * 0.9], [lo * 1.1, hi * 1.1], color="#cccccc", alpha=0.4,
                    label="within 10%")
    seen, outside = set(), []
    for r in rows:
        marker, color, label = STYLE.get(r["role"], ("x", "red", r["role"]))
        x, y = float(r[measured]), float(r[predicted])
        ax.scatter(x, y, marker=marker, color=color, s=36, zorder=3, label=None if label in seen else label)
        seen.add(label)
        err = 100 * (y / x - 1)
        if abs(err) > 10:  # numbered on the plot, named in the box
            outside.append(f"{len(outside) + 1}: {label_of(r)} {err:+.0f}%")
            ax.annotate(str(len(outside)), (x, y), fontsize=8, color="#b00000", xytext=(5, -4),
                        textcoords="offset points")
    if outside:
        ax.text(0.98, 0.02, "outside 10%:\n" + "\n".join(outside), transform=ax.transAxes, fontsize=7,
                ha="right", va="bottom", bbox={"facecolor": "white", "edgecolor": "#999999"})
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    ax.set_xlabel(f"measured ({unit})")
    ax.set_ylabel(f"simulated ({unit})")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=7, loc="upper left")


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "calibration.png")
    gpu = table("gpu_fit.txt", "gpu,precision,fusion")
    net = table("network_check.txt", "platform,workers")
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 5))
    panel(a, gpu, "measured_img_per_s", "predicted_img_per_s",
          "ResNet-50 training, images/s per GPU\n(DeepLearningExamples, MLPerf 8-GPU nodes, lent H100)", "img/s",
          lambda r: f'{r["gpu"]} {r["precision"]} {r["fusion"]}')
    panel(b, net, "measured_busbw", "simulated_busbw", "nccl-tests all-reduce bus bandwidth\n(1 node to 1,984 GPUs)",
          "GB/s", lambda r: f'{r["workers"]} GPUs')
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
