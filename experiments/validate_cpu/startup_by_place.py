#!/usr/bin/python3
"""Startup of the first run after each profile against the runs after it (run.sh runs a (model, ranks)'s
protocols right after its profile; from run 14 in an order rotated per repetition). Order by the time each
run's summary.json was written.
  experiments/validate_cpu/startup_by_place.py OUT     (run.sh REPEATS>1 output: OUT/rep1 ...)"""
import glob, json, os, statistics as st, sys

from summarize_repeats import rep_dirs

if len(sys.argv) != 2:
    sys.exit(__doc__)
out = sys.argv[1]
for model in ("preact_resnet_small", "preact_resnet110_cifar"):
    for n in (2, 4):
        first, later, first_err, later_err, first_proto = [], [], [], [], []
        for rep in rep_dirs(out):
            dirs = [d for d in glob.glob(f"{rep}/{model}_*_r{n}") if os.path.exists(d + "/validation.json")]
            dirs.sort(key=lambda d: os.path.getmtime(d + "/summary.json"))
            for i, d in enumerate(dirs):
                s, v = json.load(open(d + "/summary.json")), json.load(open(d + "/validation.json"))
                err = next(p["error_pct"] for p in v["parts"] if p["name"] == "startup")
                if i == 0:
                    first.append(s["startup_s"]); first_err.append(err); first_proto.append(v["protocol"])
                else:
                    later.append(s["startup_s"]); later_err.append(err)
        if not first:
            continue
        print(f"{model} {n} ranks: first after the profile {st.median(first):.2f} s, errors "
              f"{' '.join('%+.1f' % e for e in first_err)} ({', '.join(first_proto)}); "
              f"later runs {st.median(later):.2f} s, median error {st.median(later_err):+.1f}%")
