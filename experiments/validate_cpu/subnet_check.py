#!/usr/bin/env python3
"""Does the simulator scale a ResIST sub-network's step right? Per repetition, the measured seconds of a ResIST
round's local steps over a local SGD round's (mean over ranks and rounds; the same model, rank count and
minutes, so the VM's drift mostly cancels), against the same ratio predicted by `resist simulate` (the run's
schedule, profile and platform; no spread). Per step, as the two protocols' rounds may differ in steps.
Rounds from 1 (round 0 holds the process's first step).
  experiments/validate_cpu/subnet_check.py RUN_DIR [RUN_DIR ...]    (run.sh output folders with rep*/)"""
import csv, json, os, statistics as st, sys

from phase_check import simulated_local_steps
from summarize_repeats import rep_dirs


def measured_step_s(d):
    steps = json.load(open(d + "/config.json"))["local_steps"]
    rows = [x for x in csv.DictReader(open(d + "/rounds.csv")) if int(x["round"]) >= 1]
    return st.mean(float(x["compute_s"]) for x in rows) / steps


def predicted_local_steps_s(d):
    v = [end - start for start, end in simulated_local_steps(d).values()]
    return st.mean(v)


def main(runs):
    reps = [p for r in runs for p in rep_dirs(r)]
    print(f"{len(reps)} repetitions from {', '.join(runs)}")
    print("model | ranks | measured ResIST / local SGD step (median; each repetition) | predicted | error")
    for model in ("preact_resnet_small", "preact_resnet110_cifar"):
        for n in (2, 4):
            m, p = [], []
            for rep in reps:
                a, b = f"{rep}/{model}_resist_r{n}", f"{rep}/{model}_local_sgd_r{n}"
                if not (os.path.exists(a + "/rounds.csv") and os.path.exists(b + "/rounds.csv")):
                    continue
                m.append(measured_step_s(a) / measured_step_s(b))
                p.append(predicted_local_steps_s(a) / predicted_local_steps_s(b))
            mm, pp = st.median(m), st.median(p)
            print(f"{model} | {n} | {mm:.3f} ({' '.join('%.3f' % x for x in m)}) | {pp:.3f} | {(pp - mm) / mm * 100:+.1f}%")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
