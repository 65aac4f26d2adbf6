#!/usr/bin/python3
"""Table of `resist validate` results under experiments/validate_cpu/run.sh's output folder.

    experiments/validate_cpu/summarize.py runs/validate_cpu
Per run: signed median round error, p90 and max absolute round error, whole-run error (startup, rounds and
evaluation), per-phase medians, the load average at start and end; then the ResIST / local SGD time ratio,
predicted against measured, per model and rank count. Writes results.csv beside the runs.
"""
import csv
import glob
import json
import os
import sys


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "runs/validate_cpu"
    rows = []
    for path in sorted(glob.glob(os.path.join(out, "*_r[0-9]*/validation.json"))):
        d = json.load(open(path))
        s = d["summary"]
        parts = {p["name"]: p for p in d["parts"]}
        name = os.path.basename(os.path.dirname(path))
        model, rest = name.split("_r", 1)[0], name.rsplit("_r", 1)[1]
        proto = d["protocol"]
        model = name[: name.index("_" + proto)]
        rows.append({
            "model": model, "protocol": proto, "ranks": d["workers"], "rounds": len(d["rounds"]),
            "median_round_err_pct": round(s["median_round_error_pct"], 1),
            "p90_abs_round_err_pct": round(s["p90_round_error_pct"], 1),
            "max_abs_round_err_pct": round(s["max_round_error_pct"], 1),
            "rounds_err_pct": round(s["rounds_error_pct"], 1),
            "whole_run_err_pct": round(s["total_error_pct"], 1),
            "startup_err_pct": round(parts["startup"]["error_pct"], 1),
            "eval_err_pct": round(parts["evaluation"]["error_pct"], 1),
            "compute_med_err_pct": round(s["median_phase_error_pct"]["compute"], 1),
            "comm_med_err_pct": round(s["median_phase_error_pct"]["communication"], 1),
            "pred_rounds_s": round(s["predicted"]["total_s"], 2), "meas_rounds_s": round(s["measured"]["total_s"], 2),
            "load_start": d["load_avg_start"], "load_end": d["load_avg_end"],
        })
    if not rows:
        sys.exit(f"summarize.py: no validation.json under {out}")
    cols = list(rows[0].keys())
    with open(os.path.join(out, "results.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, cols)
        w.writeheader()
        w.writerows(rows)
    widths = {c: max(len(c), *(len(str(r[c])) for r in rows)) for c in cols}
    print("  ".join(c.ljust(widths[c]) for c in cols))
    for r in rows:
        print("  ".join(str(r[c]).rjust(widths[c]) for c in cols))
    print()
    by = {(r["model"], r["ranks"], r["protocol"]): r for r in rows}
    for (model, ranks, proto), r in sorted(by.items()):
        if proto != "resist" or (model, ranks, "local_sgd") not in by:
            continue
        l = by[(model, ranks, "local_sgd")]
        pred, meas = r["pred_rounds_s"] / l["pred_rounds_s"], r["meas_rounds_s"] / l["meas_rounds_s"]
        print(f"{model}, {ranks} ranks: ResIST / local SGD time (rounds) predicted {pred:.3f}, measured {meas:.3f}, "
              f"error {100 * (pred - meas) / meas:+.1f}%")


if __name__ == "__main__":
    main()
