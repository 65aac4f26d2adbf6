#!/usr/bin/env python3
"""Fits platforms/gpus.csv's efficiencies (PARAMS below: per layer class, tensor cores per GPU generation) to
the `fit` rows of train_throughput.csv, then reports the error on every row, held-out ones included. Gauss-Newton on log(efficiency), residuals log(predicted / measured); the
predictions come from `resist bench train` (sim/gpu_model.cpp), nothing else. Rows with a `gpus` column (> 1, the
MLPerf 8-GPU nodes) are predicted per GPU by `resist simulate --protocols data_parallel --workers gpus` on their
`platform` (same GPU model, plus the simulated DDP all-reduce and barrier); none of them is fitted.

usage: fit_gpu.py [RESIST] [--write] [--tied]   (default: $RESIST, else build/bin/resist)
  --write  puts the fitted values into platforms/gpus.csv
  --tied   the alternative with one tensor-core efficiency per GPU: A100's tf32 and half efficiencies fitted
           together on its TF32 point, the A100 mixed-precision fit row judged as held out (README section 1)
"""
import csv, io, math, os, subprocess, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
GPUS = os.path.join(HERE, "..", "..", "platforms", "gpus.csv")
# The fitted parameters: (column, kinds it is fitted for, kinds that take the same value unfitted).
# mem_efficiency is not fitted: 0.83, the fraction of HBM bandwidth a streaming kernel achieves on V100
# (Jia et al., arXiv 1804.06826: 750 of 900 GB/s), for every kind.
# H100's FP32 efficiency is fitted to a throughput measured on a lent H100 (experiments/gpu_h100; role `fit`,
# source "measured here"): no FP32 figure is published for it, and V100's efficiency gave +60% there.
PARAMS = [(["fp32_efficiency"], ["V100"], ["A100", "A100_40GB"]),
          (["tf32_efficiency", "half_efficiency"], ["V100"], []),  # V100 has no TF32: one value
          (["tf32_efficiency"], ["A100"], ["A100_40GB", "H100", "H200"]),
          (["half_efficiency"], ["A100"], ["A100_40GB", "H100", "H200"]),
          (["fp32_efficiency"], ["H100"], ["H200"])]
START = [0.7, 0.3, 0.2, 0.3, 0.5]
if "--tied" in sys.argv:
    PARAMS = [PARAMS[0], PARAMS[1], (["tf32_efficiency", "half_efficiency"],) + PARAMS[2][1:], PARAMS[4]]
    START = [0.7, 0.3, 0.2, 0.5]


def rows(path):
    with open(path) as f:
        return list(csv.DictReader(l for l in f if not l.startswith("#") and l.strip()))


def table_with(params):
    """gpus.csv with the fitted efficiency columns replaced, as a temporary file."""
    lines = open(GPUS).read().splitlines()
    out, header = [], None
    for l in lines:
        if l.startswith("#") or not l.strip():
            out.append(l)
            continue
        cells = l.split(",")
        if header is None:
            header = cells
        else:
            for (cols, fitted, same), v in zip(PARAMS, params):
                if cells[0] in fitted + same:
                    for c in cols:
                        cells[header.index(c)] = f"{v:.6g}"
        out.append(",".join(cells))
    f = tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False)
    f.write("\n".join(out) + "\n")
    f.close()
    return f.name


def predict(resist, table, r):
    out = subprocess.run([resist, "bench", "train", "--model", "resnet50", "--gpu", r["gpu"], "--precision",
                          r["precision"], "--fusion", r["fusion"], "--batch", r["batch"], "--gpu-table", table,
                          "--format", "csv"],
                         check=True, capture_output=True, text=True).stdout
    return float(list(csv.DictReader(io.StringIO(out)))[0]["img_per_s"])


def predict_multi(resist, table, r):
    """Per-GPU images per second of `gpus` data-parallel workers on `platform`: 20 steps per worker (each worker
    sees the whole --train-size), as fit_ddp.py runs them."""
    steps = 20
    out = subprocess.run([resist, "simulate", "--model", "resnet50", "--dataset", "synthetic", "--train-size",
                          str(int(r["batch"]) * steps), "--epochs", "1", "--protocols", "data_parallel",
                          "--workers", r["gpus"], "--batch", r["batch"], "--precision", r["precision"],
                          "--fusion", r["fusion"],
                          "--platform", r["platform"], "--gpu", r["gpu"], "--gpu-table", table, "--format", "csv"],
                         check=True, capture_output=True, text=True).stdout
    return int(r["batch"]) * steps / float(list(csv.DictReader(io.StringIO(out)))[0]["total_s"])


def gpus(r):
    return int(r.get("gpus") or 1)


def residuals(resist, params, points):
    t = table_with(params)
    try:
        return [math.log(predict(resist, t, r) / float(r["img_per_s"])) for r in points]
    finally:
        os.unlink(t)


def solve(a, b):
    """Solves the square system a x = b (Gaussian elimination with partial pivoting)."""
    n = len(b)
    m = [row[:] + [v] for row, v in zip(a, b)]
    for c in range(n):
        p = max(range(c, n), key=lambda r: abs(m[r][c]))
        m[c], m[p] = m[p], m[c]
        for r in range(c + 1, n):
            f = m[r][c] / m[c][c]
            m[r] = [x - f * y for x, y in zip(m[r], m[c])]
    x = [0.0] * n
    for r in reversed(range(n)):
        x[r] = (m[r][n] - sum(m[r][k] * x[k] for k in range(r + 1, n))) / m[r][r]
    return x


def fit(resist, points):
    n = len(PARAMS)
    logp = [math.log(v) for v in START]
    for _ in range(30):
        p = [math.exp(v) for v in logp]
        r = residuals(resist, p, points)
        if max(abs(v) for v in r) < 1e-5:
            break
        jac = [[0.0] * n for _ in range(n)]
        for j in range(n):
            q = logp[:]
            q[j] += 1e-4
            rj = residuals(resist, [math.exp(v) for v in q], points)
            for i in range(n):
                jac[i][j] = (rj[i] - r[i]) / 1e-4
        step = solve(jac, [-v for v in r])
        # damped, and kept inside (0.02, 1]: an efficiency is a fraction of a peak
        logp = [min(hi, max(math.log(0.02), v + max(-0.3, min(0.3, s)))) for v, s, hi in
                zip(logp, step, [0.0] * n)]
    return [math.exp(v) for v in logp]


def main():
    resist = sys.argv[1] if len(sys.argv) > 1 and not sys.argv[1].startswith("--") else os.environ.get("RESIST", os.path.join(HERE, "..", "..", "build", "bin", "resist"))
    data = rows(os.path.join(HERE, "train_throughput.csv"))
    if "--tied" in sys.argv:
        if "--write" in sys.argv:
            sys.exit("fit_gpu.py: --tied is a comparison; it does not --write")
        for r in data:
            if r["role"] == "fit" and r["gpu"] == "A100" and r["precision"] == "fp16":
                r["role"] = "held_out"
    params = fit(resist, [r for r in data if r["role"] == "fit"])
    print("fitted: " + ", ".join(f"{'/'.join(c)} ({'/'.join(k)}) = {v:.4f}" for (c, k, _), v in zip(PARAMS, params)))
    rounded = [round(v, 3) for v in params]
    if "--write" in sys.argv:
        t = table_with(rounded)
        os.replace(t, GPUS)
    t = table_with(rounded)
    print("\ngpu,precision,fusion,batch,measured_img_per_s,predicted_img_per_s,error_pct,role,source")
    errs = {}
    for r in data:
        pred = predict(resist, t, r) if gpus(r) == 1 else predict_multi(resist, t, r)
        err = 100 * (pred - float(r["img_per_s"])) / float(r["img_per_s"])
        errs.setdefault((r["role"], gpus(r) > 1), []).append(abs(err))
        print(f'{r["gpu"]},{r["precision"]},{r["fusion"]},{r["batch"]},{r["img_per_s"]},{pred:.0f},{err:+.1f},{r["role"]},'
              f'{r["source"]}')
    os.unlink(t)
    h = errs[("held_out", False)]
    print(f"\nheld out, single GPU: {len(h)} points, mean |error| {sum(h) / len(h):.1f}%, max {max(h):.1f}%")
    h = errs.get(("measured_here", False), [])
    if h:
        print(f"measured on the lent H100, not fitted (experiments/gpu_h100): {len(h)} points, "
              f"mean |error| {sum(h) / len(h):.1f}%, max {max(h):.1f}%")
    h = errs.get(("held_out", True), [])
    if h:
        print(f"held out, MLPerf 8-GPU nodes (per GPU, simulated data_parallel): {len(h)} points, "
              f"mean |error| {sum(h) / len(h):.1f}%, max {max(h):.1f}%")


if __name__ == "__main__":
    main()
