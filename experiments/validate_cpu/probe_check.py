#!/usr/bin/python3
"""Does the speed probe track this machine's drift? Per run of run.sh: the profile's probe (mean of its start
and end), the run's (mean over ranks, after its rounds), their ratio, and the run's compute error by
validate (median over rounds, percent of the measured round). If the probe saw the drift, a run that was
slower than its profile (compute error < 0) also probed slower (ratio < 1). Usage: probe_check.py OUT"""
import glob
import json
import os
import statistics
import sys


def profile_probe(path):
    for line in open(path):
        if not line.startswith("#"):
            break
        for kv in line[1:].split():
            if kv.startswith("speed_probe_cpu_s="):
                v = [float(x) for x in kv.split("=", 1)[1].split(";")]
                return sum(v) / len(v)
    return None


rows = []
for d in sorted(glob.glob(os.path.join(sys.argv[1], "rep[0-9]*", "*_r[0-9]*")) + glob.glob(os.path.join(sys.argv[1], "*_r[0-9]*"))):
    if not os.path.isfile(os.path.join(d, "validation.json")):
        continue
    summary = json.load(open(os.path.join(d, "summary.json")))
    probes = summary.get("speed_probe_cpu_s")
    prof = profile_probe(os.path.join(d, "profile.csv"))
    if not probes or not prof:
        continue
    run = sum(probes) / len(probes)
    v = json.load(open(os.path.join(d, "validation.json")))["summary"]
    rows.append((os.path.relpath(d, sys.argv[1]), prof, run, prof / run, v["median_phase_error_pct"]["compute"]))
print(f"{'run':55} {'profile ms':>10} {'run ms':>8} {'ratio':>6} {'compute err %':>13}")
for name, p, r, ratio, err in rows:
    print(f"{name:55} {1e3 * p:10.3f} {1e3 * r:8.3f} {ratio:6.3f} {err:+13.1f}")
if len(rows) > 2:
    x = [r[3] - 1 for r in rows]
    y = [r[4] / 100 for r in rows]
    print(f"{len(rows)} runs; correlation of (ratio - 1) with the compute error: {statistics.correlation(x, y):+.2f}; "
          f"spread of the ratio (stdev): {100 * statistics.stdev(x):.1f}%, of the compute error: {100 * statistics.stdev(y):.1f} points")
