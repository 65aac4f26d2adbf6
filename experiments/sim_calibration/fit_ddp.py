#!/usr/bin/env python3
"""Fits ddp_step_cv (sim/ddp_model.hpp) to the `fit` row of ddp_scaling.csv by bisection, then reports the
simulated DDP overhead (1 - T1 / T8, same per-GPU batch) next to every published one. comm_compute_slowdown
stays at its default (platform.hpp). Predictions come from `resist simulate --protocols data_parallel`.
usage: fit_ddp.py RESIST"""
import csv, io, os, subprocess, sys

HERE = os.path.dirname(os.path.abspath(__file__))


def total_s(resist, r, workers, cv):
    out = subprocess.run([resist, "simulate", "--model", "resnet50", "--dataset", "synthetic", "--train-size",
                          str(int(r["batch"]) * 20), "--epochs", "1", "--protocols", "data_parallel",
                          "--workers", str(workers), "--batch", r["batch"], "--precision", r["precision"],
                          "--platform", r["platform"], "--platform-param", f"ddp_step_cv={cv}", "--format", "csv"],
                         check=True, capture_output=True, text=True).stdout
    return float(list(csv.DictReader(io.StringIO(out)))[0]["total_s"])


def overhead_pct(resist, r, cv):
    return 100 * (1 - total_s(resist, r, 1, cv) / total_s(resist, r, 8, cv))


def main():
    resist = sys.argv[1]
    rows = list(csv.DictReader(l for l in open(os.path.join(HERE, "ddp_scaling.csv")) if not l.startswith("#")))
    fit = next(r for r in rows if r["role"] == "fit")
    target = 100 * (1 - float(fit["scaling_8"]) / 8)
    lo, hi = 0.0, 0.2
    for _ in range(30):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if overhead_pct(resist, fit, mid) < target else (lo, mid)
    cv = round((lo + hi) / 2, 4)
    print(f"fitted: ddp_step_cv = {cv}")
    print("\nplatform,precision,batch,measured_overhead_pct,simulated_overhead_pct,error_points,role,source")
    errs = []
    for r in rows:
        meas = 100 * (1 - float(r["scaling_8"]) / 8)
        sim = overhead_pct(resist, r, cv)
        if r["role"] == "held_out":
            errs.append(abs(sim - meas))
        print(f'{r["platform"]},{r["precision"]},{r["batch"]},{meas:.1f},{sim:.1f},{sim - meas:+.1f},{r["role"]},{r["source"]}')
    print(f"\nheld out: {len(errs)} points, mean |error| {sum(errs) / len(errs):.1f} points, max {max(errs):.1f}")


if __name__ == "__main__":
    main()
