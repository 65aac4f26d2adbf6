#!/usr/bin/python3
"""Test accuracy against predicted wall-clock, one line per protocol (the ResIST paper's figure, re-timed on a
simulated platform), with the curve's own measured times beside it when it has them (dashed).

Input: the CSV `resist simulate --accuracy-plot OUT.png` writes as OUT.png.csv (protocol, rounds,
accuracy_pct, predicted_s, measured_s). Usage: /usr/bin/python3 plots/time_to_accuracy.py DATA.csv OUT.png [TITLE]
"""
import csv
import sys

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    sys.exit("time_to_accuracy.py: needs matplotlib (Debian: apt-get install python3-matplotlib)")


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    rows = list(csv.DictReader(open(sys.argv[1])))
    title = sys.argv[3] if len(sys.argv) > 3 else ""
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for protocol in dict.fromkeys(r["protocol"] for r in rows):
        rs = [r for r in rows if r["protocol"] == protocol]
        line, = ax.plot([float(r["predicted_s"]) for r in rs], [float(r["accuracy_pct"]) for r in rs], "-o", ms=3,
                        label=f"{protocol}, predicted")
        measured = [(float(r["measured_s"]), float(r["accuracy_pct"])) for r in rs if r["measured_s"]]
        if measured:
            ax.plot(*zip(*measured), "--", color=line.get_color(), alpha=0.6, label=f"{protocol}, as measured")
    ax.set_xlabel("wall-clock (s)")
    ax.set_ylabel("test accuracy (%)")
    ax.set_title(f"test accuracy against wall-clock: {title}", fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(sys.argv[2], dpi=120)



if __name__ == "__main__":
    main()
