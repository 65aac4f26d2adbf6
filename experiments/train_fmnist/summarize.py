#!/usr/bin/env python3
"""Summarizes resist train run directories: final test accuracy, time per round split into compute /
communication / overhead (mean over rounds of the mean over ranks), payload bytes per round and rank
against core's accounting. Standard library only. Usage: summarize.py RESULTS_DIR"""
import csv
import json
import os
import statistics
import sys


def summarize(run_dir):
    rows = list(csv.DictReader(open(os.path.join(run_dir, "rounds.csv"))))
    evals = list(csv.DictReader(open(os.path.join(run_dir, "eval.csv"))))
    cfg = json.load(open(os.path.join(run_dir, "config.json")))
    rounds = sorted({int(r["round"]) for r in rows})
    per_round = {k: [] for k in ("compute_s", "communication_s", "overhead_s")}
    for rd in rounds:
        mine = [r for r in rows if int(r["round"]) == rd]
        for k in per_round:
            per_round[k].append(sum(float(r[k]) for r in mine) / len(mine))
    mean = {k: sum(v) / len(v) for k, v in per_round.items()}
    sent = sum(int(r["bytes_sent"]) for r in rows) / len(rows)
    match = all(r["bytes_sent"] == r["predicted_sent"] and r["bytes_received"] == r["predicted_received"] for r in rows)
    return {
        "run": os.path.basename(run_dir), "protocol": cfg["protocol"], "workers": cfg["workers"], "seed": cfg["seed"],
        "rounds": len(rounds), "steps": cfg["local_steps"],
        "accuracy": 100 * float(evals[-1]["accuracy"]) if evals else float("nan"),
        "round_s": mean["compute_s"] + mean["communication_s"] + mean["overhead_s"], **mean,
        "sent_MB": sent / 1e6, "bytes_match": match,
        "curve": " ".join(f"{int(e['round']) + 1}:{100 * float(e['accuracy']):.1f}" for e in evals),
    }


def grouped(root, runs):
    """Runs named <protocol>_S<workers>_rep<k>: the median over repeats of each quantity."""
    groups = {}
    for d in runs:
        s = summarize(os.path.join(root, d))
        groups.setdefault((s["workers"], s["protocol"]), []).append(s)
    print("| protocol | S | repeats | s/round (median) | compute s | comm s | overhead s | each repeat s/round |")
    print("|---|---|---|---|---|---|---|---|")
    for (workers, protocol), ss in sorted(groups.items()):
        med = {k: statistics.median(x[k] for x in ss) for k in ("round_s", "compute_s", "communication_s", "overhead_s")}
        each = " ".join("%.2f" % x["round_s"] for x in ss)
        print(f"| {protocol} | {workers} | {len(ss)} | {med['round_s']:.2f} | {med['compute_s']:.2f} | "
              f"{med['communication_s']:.3f} | {med['overhead_s']:.3f} | {each} |")


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "results"
    runs = sorted(d for d in os.listdir(root) if os.path.isfile(os.path.join(root, d, "rounds.csv")))
    if runs and all("_rep" in d for d in runs):
        return grouped(root, runs)
    print("| protocol | S | seed | rounds x l | test acc % | s/round | compute s | comm s | overhead s | MB sent/round/rank | bytes = core | acc after round |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for d in runs:
        s = summarize(os.path.join(root, d))
        print(f"| {s['protocol']} | {s['workers']} | {s['seed']} | {s['rounds']} x {s['steps']} | {s['accuracy']:.2f} | {s['round_s']:.2f} | "
              f"{s['compute_s']:.2f} | {s['communication_s']:.3f} | {s['overhead_s']:.3f} | {s['sent_MB']:.2f} | "
              f"{'yes' if s['bytes_match'] else 'NO'} | {s['curve']} |")


if __name__ == "__main__":
    main()
