#!/usr/bin/env python3
"""Summarizes the run directories of run.sh: final test accuracy, time per round split into compute /
communication / overhead (mean over rounds of the mean over ranks), the slowest rank's compute, payload
bytes per round and rank against core's accounting, the load average during each run. Standard library
only. Usage: summarize.py RESULTS_DIR"""
import csv
import json
import os
import sys

ORDER = {"ist": 0, "local_sgd": 1, "data_parallel": 2}


def summarize(run_dir):
    rows = list(csv.DictReader(open(os.path.join(run_dir, "rounds.csv"))))
    evals = list(csv.DictReader(open(os.path.join(run_dir, "eval.csv"))))
    cfg = json.load(open(os.path.join(run_dir, "config.json")))
    summary = json.load(open(os.path.join(run_dir, "summary.json")))
    rounds = sorted({int(r["round"]) for r in rows})
    mean = {k: 0.0 for k in ("compute_s", "communication_s", "overhead_s")}
    slowest = 0.0
    for rd in rounds:
        mine = [r for r in rows if int(r["round"]) == rd]
        for k in mean:
            mean[k] += sum(float(r[k]) for r in mine) / len(mine) / len(rounds)
        slowest += max(float(r["compute_s"]) for r in mine) / len(rounds)
    return {
        "model": cfg["model"], "protocol": cfg["protocol"], "workers": cfg["workers"],
        "rounds": len(rounds), "steps": cfg["local_steps"],
        "accuracy": 100 * float(evals[-1]["accuracy"]) if evals else float("nan"),
        "curve": " ".join(f"{100 * float(e['accuracy']):.1f}" for e in evals),
        "round_s": sum(mean.values()), **mean, "slowest_compute_s": slowest,
        "sent_MB": sum(int(r["bytes_sent"]) for r in rows) / len(rows) / 1e6,
        "bytes_match": summary["bytes_match_core"],
        "load": f"{summary['load_avg_start']:.1f}-{summary['load_avg_end']:.1f}",
    }


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "results"
    runs = [summarize(os.path.join(root, d)) for d in os.listdir(root)
            if os.path.isfile(os.path.join(root, d, "summary.json"))]
    runs.sort(key=lambda s: (s["model"], s["workers"], ORDER.get(s["protocol"], 9)))
    print("| model | S | protocol | test acc % | acc after rounds 3 / 6 | s/round | compute s (slowest rank) | "
          "comm s | overhead s | MB sent/round/rank | bytes = core | load avg |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for s in runs:
        print(f"| {s['model']} | {s['workers']} | {s['protocol']} | {s['accuracy']:.2f} | {s['curve']} | "
              f"{s['round_s']:.2f} | {s['compute_s']:.2f} ({s['slowest_compute_s']:.2f}) | {s['communication_s']:.3f} | "
              f"{s['overhead_s']:.3f} | {s['sent_MB']:.2f} | {'yes' if s['bytes_match'] else 'NO'} | {s['load']} |")


if __name__ == "__main__":
    main()
