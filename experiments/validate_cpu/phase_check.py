#!/usr/bin/env python3
"""Where a run's error sits, per (model, protocol, ranks), medians over repetitions:
- compute: each rank's local-steps seconds per round, measured against `resist simulate` of the run (its
  schedule, profile and platform, no spread: the rank's own work and its share of the cores, without the
  modelled wait for the slowest rank; data parallel: the steps' compute without the all-reduces);
- wait: how long the ranks wait for the slowest at the round's end (last end of local steps minus the mean
  end, over the mean local-steps time), measured from timeline.csv, against what the simulator adds for it
  (1 + E[max of N normals] x step_cv / sqrt(steps), step_cv from validation.json); local-step protocols only.
Rounds from 1 (round 0 holds the process's first step).
  experiments/validate_cpu/phase_check.py RUN_DIR [RUN_DIR ...]    (run.sh output folders with rep*/)"""
import csv, json, math, os, statistics as st, subprocess, sys, tempfile

from summarize_repeats import rep_dirs

R = os.environ.get("RESIST", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "build", "bin", "resist"))
E_MAX = {2: 0.5642, 4: 1.0294, 8: 1.4236}  # E[max of N standard normals]


def local_steps(path, rank_key):
    spans = {}
    for r in csv.DictReader(open(path)):
        if r["label"] == "local_steps" and int(r["round"]) >= 1:
            spans[(int(r["round"]), int(r[rank_key]))] = (float(r["start_s"]), float(r["end_s"]))
    return spans


def simulated_local_steps(d):
    """`resist simulate` of run directory d (its schedule, profile and platform, the trainer's collectives, no
    spread): each (round, worker)'s local steps."""
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([R, "simulate", "--schedule", d + "/schedule.json", "--profile", d + "/profile.csv",
                        "--platform", d + "/platform.toml", "--algorithm", "c10d", "--threads", "1",
                        "--timeline", tmp + "/t.csv", "--format", "json"], check=True, stdout=subprocess.DEVNULL)
        return local_steps(tmp + "/t.csv", "worker")


def one(d):
    pred = simulated_local_steps(d)
    meas = local_steps(d + "/timeline.csv", "worker")
    compute = st.median((pred[k][1] - pred[k][0] - (m[1] - m[0])) / (m[1] - m[0]) * 100 for k, m in meas.items())
    waits = []
    for rd in sorted({k[0] for k in meas}):
        ends = [e for (r, _), (s, e) in meas.items() if r == rd]
        durs = [e - s for (r, _), (s, e) in meas.items() if r == rd]
        waits.append((max(ends) - st.mean(ends)) / st.mean(durs) * 100)
    v = json.load(open(d + "/validation.json"))
    steps = json.load(open(d + "/config.json"))["local_steps"]
    modelled = E_MAX.get(v["workers"], 0) * v["step_cv"] / math.sqrt(steps) * 100
    return compute, st.mean(waits), modelled


def main(runs):
    reps = [p for r in runs for p in rep_dirs(r)]
    print(f"{len(reps)} repetitions from {', '.join(runs)}; medians")
    print("model | protocol | ranks | compute error per rank and round | wait at the round's end: measured | modelled")
    for model in ("preact_resnet_small", "preact_resnet110_cifar"):
        for proto in ("local_sgd", "resist", "data_parallel"):
            for n in (2, 4):
                res = [one(d) for rep in reps for d in [f"{rep}/{model}_{proto}_r{n}"] if os.path.exists(d + "/validation.json")]
                if res and proto == "data_parallel":
                    print(f"{model} | {proto} | {n} | {st.median(x[0] for x in res):+.1f}% | - | -")
                elif res:
                    print(f"{model} | {proto} | {n} | {st.median(x[0] for x in res):+.1f}% | "
                          f"{st.median(x[1] for x in res):.1f}% | {st.median(x[2] for x in res):.1f}%")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
