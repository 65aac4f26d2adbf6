#!/usr/bin/env python3
"""Summarizes the run directories of run.sh: final test accuracy, training seconds (the run's wall-clock less
startup and evaluation), seconds per step, images the job trained on, payload bytes per step and rank next to
core's accounting, and the load averages. Standard library only. Usage: summarize.py RESULTS_DIR"""
import csv
import json
import os
import sys


def summarize(run_dir):
    cfg = json.load(open(os.path.join(run_dir, "config.json")))
    summary = json.load(open(os.path.join(run_dir, "summary.json")))
    rows = list(csv.DictReader(open(os.path.join(run_dir, "rounds.csv"))))
    evals = list(csv.DictReader(open(os.path.join(run_dir, "eval.csv"))))
    ranks = cfg["train"]["world_size"]
    rounds = sorted({int(r["round"]) for r in rows})
    # The job's time per round is its slowest rank's: every round ends with the loss check (a barrier).
    round_s = []
    for rd in rounds:
        mine = [r for r in rows if int(r["round"]) == rd]
        round_s.append(max(float(r["compute_s"]) + float(r["communication_s"]) + float(r["overhead_s"]) for r in mine))
    steps = sum(int(r["steps"]) for r in rows if int(r["rank"]) == 0)
    distinct = 1 if cfg["protocol"] == "layer_parallel" else ranks  # batches per step across the job
    sent = sum(int(r["bytes_sent"]) for r in rows) / max(1, len(rows))
    return {
        "run": os.path.basename(run_dir), "protocol": cfg["protocol"], "ranks": ranks,
        "method": cfg.get("layer_parallel", {}).get("method", ""),
        "steps": steps, "images": steps * cfg["batch"] * distinct,
        "accuracy": 100 * float(evals[-1]["accuracy"]) if evals else float("nan"),
        "train_s": sum(round_s), "step_s": sum(round_s) / steps,
        "sent_MB_round": sent / 1e6, "bytes_match": summary["bytes_match_core"],
        "load": f"{summary['load_avg_start']:.2f} / {summary['load_avg_end']:.2f}",
    }


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "results"
    runs = [summarize(os.path.join(root, d)) for d in sorted(os.listdir(root))
            if os.path.isfile(os.path.join(root, d, "summary.json"))]
    serial = next((r for r in runs if r["run"] == "serial_S1"), None)
    print("| run | protocol | ranks | steps per rank | images trained | test acc % | train s | s/step | "
          "speedup per step vs serial | MB sent/round/rank | bytes = core | load avg start / end |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in runs:
        speed = f"{serial['step_s'] / r['step_s']:.2f}" if serial else "-"
        name = r["protocol"] + (f" ({r['method']})" if r["method"] else "")
        print(f"| {r['run']} | {name} | {r['ranks']} | {r['steps']} | {r['images']} | {r['accuracy']:.2f} | "
              f"{r['train_s']:.1f} | {r['step_s']:.3f} | {speed} | {r['sent_MB_round']:.2f} | {r['bytes_match']} | "
              f"{r['load']} |")


if __name__ == "__main__":
    main()
