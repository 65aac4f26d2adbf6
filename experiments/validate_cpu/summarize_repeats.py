#!/usr/bin/python3
"""Medians over repetitions of experiments/validate_cpu/run.sh (REPEATS=N: OUT/rep1 .. OUT/repN).

    experiments/validate_cpu/summarize_repeats.py runs/validate_cpu_repeats
    experiments/validate_cpu/summarize_repeats.py --markdown runs/validate_cpu_repeats   (the README's table)
    VALIDATION=validation_probe.json experiments/validate_cpu/summarize_repeats.py OUT   (a variant: revalidate.sh)
Per (model, protocol, ranks): each repetition's median round error and whole-run error, and their medians;
per (model, ranks): the ResIST / local SGD time ratio error of each repetition (pairs from the same
repetition) and its median; then how many rows meet the issue's targets (|error| <= 5%) by the medians.
"""
import csv
import glob
import json
import os
import statistics
import sys


def rep_dirs(out):
    """OUT/rep1 .. OUT/repN in numeric order (rep10 after rep9)."""
    return sorted(glob.glob(os.path.join(out, "rep[0-9]*")), key=lambda d: int(os.path.basename(d)[3:]))


def load(rep_dir):
    rows = {}
    name_json = os.environ.get("VALIDATION", "validation.json")
    for path in sorted(glob.glob(os.path.join(rep_dir, "*_r[0-9]*", name_json))):
        d = json.load(open(path))
        name = os.path.basename(os.path.dirname(path))
        proto = d["protocol"]
        key = (name[: name.index("_" + proto)], proto, d["workers"])
        s = d["summary"]
        rows[key] = (s["median_round_error_pct"], s["total_error_pct"], s["predicted"]["total_s"],
                     s["measured"]["total_s"], s["rounds_error_pct"], s["p90_round_error_pct"])
    return rows


def markdown(out):
    """One row per (model, protocol, ranks): each repetition's median round error, then the medians of the
    errors in each repetition's results.csv, and the range of the load averages."""
    reps = []
    for d in rep_dirs(out):
        path = os.path.join(d, "results.csv")
        if os.path.exists(path):
            reps.append({(r["model"], r["protocol"], r["ranks"]): r for r in csv.DictReader(open(path))})
    if not reps:
        sys.exit(f"summarize_repeats.py: no repetitions with results.csv under {out}")
    med = lambda k, col: statistics.median(float(r[k][col]) for r in reps if k in r)
    print("| model | protocol | ranks | median round error (each repetition -> median) | rounds | whole run | "
          "startup | evaluation | p90 abs round error | load avg |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for k in sorted(set().union(*reps)):
        each = " / ".join("%+.1f" % float(r[k]["median_round_err_pct"]) for r in reps if k in r)
        loads = [float(r[k][c]) for r in reps if k in r for c in ("load_start", "load_end")]
        print(f"| {k[0]} | {k[1]} | {k[2]} | {each} -> **{med(k, 'median_round_err_pct'):+.1f}%** | "
              f"{med(k, 'rounds_err_pct'):+.1f}% | {med(k, 'whole_run_err_pct'):+.1f}% | "
              f"{med(k, 'startup_err_pct'):+.1f}% | {med(k, 'eval_err_pct'):+.1f}% | "
              f"{med(k, 'p90_abs_round_err_pct'):.1f}% | {min(loads):.1f}-{max(loads):.1f} |")


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--markdown":
        markdown(sys.argv[2] if len(sys.argv) > 2 else "runs/validate_cpu")
        return
    out = sys.argv[1] if len(sys.argv) > 1 else "runs/validate_cpu"
    reps = [load(d) for d in rep_dirs(out)]
    reps = [r for r in reps if r]
    if not reps:
        sys.exit(f"summarize_repeats.py: no repetitions under {out}")
    keys = sorted(set().union(*reps))
    med_ok = whole_ok = rounds_ok = 0
    print(f"{len(reps)} repetitions; per row: median round error and whole-run error of each, then their medians")
    for k in keys:
        meds = [r[k][0] for r in reps if k in r]
        wholes = [r[k][1] for r in reps if k in r]
        rounds = [r[k][4] for r in reps if k in r]
        p90s = [r[k][5] for r in reps if k in r]
        m, w, t = statistics.median(meds), statistics.median(wholes), statistics.median(rounds)
        med_ok += abs(m) <= 5
        whole_ok += abs(w) <= 5
        rounds_ok += abs(t) <= 5
        print(f"{k[0]:24s} {k[1]:14s} {k[2]} ranks: median round {' '.join('%+.1f' % x for x in meds):24s} -> "
              f"{m:+.1f}%; whole run {' '.join('%+.1f' % x for x in wholes):24s} -> {w:+.1f}%; "
              f"rounds {t:+.1f}%; p90 |round| {statistics.median(p90s):.1f}%")
    ratio_ok = ratio_n = 0
    for model, ranks in sorted({(k[0], k[2]) for k in keys}):
        errs = []
        for r in reps:
            a, b = r.get((model, "resist", ranks)), r.get((model, "local_sgd", ranks))
            if a and b:
                pred, meas = a[2] / b[2], a[3] / b[3]
                errs.append(100 * (pred - meas) / meas)
        if errs:
            ratio_n += 1
            ratio_ok += abs(statistics.median(errs)) <= 5
            print(f"{model}, {ranks} ranks: ResIST / local SGD ratio error {' '.join('%+.1f' % x for x in errs)} -> "
                  f"median {statistics.median(errs):+.1f}%")
    print(f"by the medians: |median round error| <= 5% in {med_ok} of {len(keys)}, |whole-run error| <= 5% in "
          f"{whole_ok} of {len(keys)}, |rounds error| <= 5% in {rounds_ok} of {len(keys)}, ratio within 5% in "
          f"{ratio_ok} of {ratio_n}")


if __name__ == "__main__":
    main()
