#!/usr/bin/env python3
"""All-reduce bus bandwidth at every size: the simulator against published nccl-tests sweeps.

Reads network_sweeps.csv (one row per published size; role fit or held_out), runs `resist bench allreduce` once
per table on its platform and rank count (with the table's NCCL_ALGO / NCCL_PROTO where it forced them), and
prints per table and per size range the error of the simulated busbw on the rows of each role.

  --fit FABRIC[,FABRIC]   first fit nccl_net_latency_s per fabric on that fabric's `fit` rows (median absolute
                          error over a grid), then judge every row with the fitted values
  --latency FABRIC=NAME=VALUE  set a platform parameter for a fabric's tables (default: the platform file's)
  --out FILE              every row with its simulated busbw (CSV), for plot_sweeps.py

Usage: RESIST=build/bin/resist python3 experiments/sim_calibration/check_sweeps.py [--fit ib,efa] [--out F]
"""
import argparse
import csv
import os
import statistics
import subprocess
import sys
from collections import OrderedDict, defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
RESIST = os.environ.get("RESIST", os.path.join(HERE, "..", "..", "build", "bin", "resist"))
# A fabric nothing was fitted on takes InfiniBand's value (GPUDirect-TCPXO, RoCE): said so in the output.
BORROW = {"roce": "ib", "tcpxo": "ib"}
RANGES = [("1-8 MiB", 1 << 20, 8 << 20), ("8-64 MiB", 8 << 20, 64 << 20), ("64 MiB-1 GiB", 64 << 20, 1 << 30),
          ("1-8 GiB", 1 << 30, 8 << 30), ("> 8 GiB", 8 << 30, 1 << 60)]


def load(path):
    tables = OrderedDict()
    with open(path) as f:
        for r in csv.DictReader(line for line in f if not line.startswith("#")):
            tables.setdefault(r["table"], []).append(r)
    return tables


def bench(platform, workers, algo, proto, sizes, params):
    cmd = [RESIST, "bench", "allreduce", "--platform", platform, "-n", str(workers), "-b", str(min(sizes)),
           "-e", str(max(sizes)), "-f", "2", "--format", "csv"]
    if algo:
        cmd += ["--nccl-algo", algo]
    if proto:
        cmd += ["--nccl-proto", proto]
    for name, value in (params or {}).items():
        cmd += ["--platform-param", f"{name}={value}"]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.splitlines()
    rows = list(csv.DictReader(out))
    return {int(r["size"]): (float(r["busbw_GBps"]), r["algorithm"], r["protocol"]) for r in rows}


def simulate(tables, fitted):
    """Every row with its simulated busbw: table rows plus 'sim', 'err' (relative), 'chosen'. `fitted`: per
    fabric, the platform parameters to override."""
    out = []
    for tid, rows in tables.items():
        fabric = rows[0]["fabric"]
        lat = fitted.get(fabric, fitted.get(BORROW.get(fabric, ""), None))
        sizes = [int(r["bytes"]) for r in rows]
        # Published sizes are powers of two: one bench from the smallest to the largest by x2.
        sim = bench(rows[0]["platform"], int(rows[0]["workers"]), rows[0]["nccl_algo"], rows[0]["nccl_proto"], sizes, lat)
        for r in rows:
            b = int(r["bytes"])
            if b not in sim:
                continue
            s, algo, proto = sim[b]
            meas = float(r["busbw_GBps"])
            out.append(dict(r, sim=s, err=s / meas - 1, chosen=f"{algo}/{proto}"))
    return out


def summary(rows, title, lo=8 << 20, hi=8 << 30):
    sel = [r for r in rows if lo <= int(r["bytes"]) <= hi]
    if not sel:
        return
    errs = sorted(abs(r["err"]) for r in sel)
    print(f"{title}: {len(sel)} points, median |error| {100 * statistics.median(errs):.1f}%, "
          f"max {100 * errs[-1]:.1f}%")


def fit(tables, fabric, others):
    """Grid search of (nccl_net_latency_s, nccl_chunk_net_s) on the fabric's fit rows, 8 MiB - 8 GiB."""
    grid = [{"nccl_net_latency_s": lat, "nccl_chunk_net_s": chunk}
            for lat in (0, 5e-6, 10e-6, 20e-6, 30e-6, 50e-6, 80e-6)
            for chunk in (0, 10e-6, 20e-6, 30e-6, 40e-6, 60e-6, 80e-6)]
    fit_tables = OrderedDict((k, [r for r in v if r["role"] == "fit"]) for k, v in tables.items()
                             if v[0]["fabric"] == fabric and any(r["role"] == "fit" for r in v))
    if not fit_tables:
        sys.exit(f"no fit rows for fabric {fabric}")
    best = None
    for lat in grid:
        rows = [r for r in simulate(fit_tables, dict(others, **{fabric: lat})) if (8 << 20) <= int(r["bytes"]) <= (8 << 30)]
        med = statistics.median(abs(r["err"]) for r in rows)
        print(f"  fit {fabric}: {lat}: median |error| {100 * med:.1f}% on {len(rows)} points")
        if best is None or med < best[1]:
            best = (lat, med)
    return best[0]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--csv", default=os.path.join(HERE, "network_sweeps.csv"))
    ap.add_argument("--fit", default="")
    ap.add_argument("--latency", action="append", default=[])
    ap.add_argument("--out", default="")
    a = ap.parse_args()
    tables = load(a.csv)
    latency = {}
    for item in a.latency: # FABRIC=NAME=VALUE
        k, name, v = item.split("=")
        latency.setdefault(k, {})[name] = float(v)
    for fabric in [f for f in a.fit.split(",") if f]:
        latency[fabric] = fit(tables, fabric, latency)
        print(f"fitted {fabric}: {latency[fabric]}")
    rows = simulate(tables, latency)
    print(f"\nresist: {RESIST}; fitted: " +
          (", ".join(f"{k} {v}" for k, v in latency.items()) or "none, the platform files' parameters"))
    print("Per table (8 MiB - 8 GiB): role, platform, ranks, median and max |error|, what NCCL's choice ran")
    by_table = defaultdict(list)
    for r in rows:
        by_table[r["table"]].append(r)
    for tid, rs in by_table.items():
        sel = [r for r in rs if (8 << 20) <= int(r["bytes"]) <= (8 << 30)] or rs
        errs = sorted(abs(r["err"]) for r in sel)
        chosen = sorted(set(r["chosen"] for r in sel))
        print(f"  {tid:7s} {rs[0]['role']:8s} {rs[0]['fabric']:5s} n={rs[0]['workers']:>4s} "
              f"median {100 * statistics.median(errs):5.1f}% max {100 * errs[-1]:5.1f}%  "
              f"[{' '.join('%+.0f' % (100 * r['err']) for r in sel)}]  {','.join(chosen)}")
    print()
    for role in ("fit", "held_out"):
        rr = [r for r in rows if r["role"] == role]
        summary(rr, f"{role}, 8 MiB - 8 GiB")
        for name, lo, hi in RANGES:
            sel = [r for r in rr if lo <= int(r["bytes"]) < hi]
            if sel:
                errs = sorted(abs(r["err"]) for r in sel)
                print(f"    {name:13s} {len(sel):3d} points: median {100 * statistics.median(errs):5.1f}%, "
                      f"max {100 * errs[-1]:5.1f}%, mean signed {100 * statistics.mean(r['err'] for r in sel):+.1f}%")
        multi = [r for r in rr if int(r["workers"]) > 8]
        summary(multi, f"{role}, across nodes, 8 MiB - 8 GiB")
    if a.out:
        with open(a.out, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
            w.writeheader()
            w.writerows(rows)


if __name__ == "__main__":
    main()
