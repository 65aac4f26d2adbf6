#!/usr/bin/env python3
"""The machine's noise floor for equal work: in local SGD and data parallel every rank does the same
compute each round, so the spread of their CPU seconds (max / min - 1, rounds 1..) is noise the simulator
cannot predict (other tenants of the host, caches, frequency). Usage: noise.py RUNS_DIR"""
import csv, glob, os, statistics, sys
from collections import defaultdict

out = []
for d in sorted(glob.glob(os.path.join(sys.argv[1], "*_r[0-9]*"))):
    name = os.path.basename(d)
    if not os.path.isfile(os.path.join(d, "rounds.csv")) or not ("local_sgd" in name or "data_parallel" in name):
        continue
    cpu = defaultdict(list)
    for row in csv.DictReader(open(os.path.join(d, "rounds.csv"))):
        if int(row["round"]) >= 1:
            cpu[int(row["round"])].append(float(row["compute_cpu_s"]))
    spread = [100 * (max(v) / min(v) - 1) for v in cpu.values() if min(v) > 0]
    out.append((name, statistics.median(spread), max(spread)))
print(f"{'run':45} {'median spread %':>16} {'max spread %':>13}")
for name, med, mx in out:
    print(f"{name:45} {med:16.1f} {mx:13.1f}")
