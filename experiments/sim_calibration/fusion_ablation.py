#!/usr/bin/env python3
"""How much of the MLPerf rows' prediction is the fusion level: each `conv_bn` row of train_throughput.csv
predicted as fit_gpu.py predicts it (8 data-parallel workers, per-GPU img/s, platforms/gpus.csv as committed),
at every fusion level. usage: fusion_ablation.py [RESIST]
(default: $RESIST, else build/bin/resist)"""
import os, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fit_gpu  # noqa: E402  (the same predictions, nothing refitted)


def main():
    resist = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("RESIST", os.path.join(fit_gpu.HERE, "..", "..", "build", "bin", "resist"))
    data = fit_gpu.rows(os.path.join(fit_gpu.HERE, "train_throughput.csv"))
    levels = ("none", "bn_act", "conv_bn")
    print("gpu,measured_img_per_s," + ",".join(f"{f}_img_per_s,{f}_error_pct" for f in levels) + ",source")
    for r in (r for r in data if r["fusion"] == "conv_bn"):
        cells = []
        for f in levels:
            p = fit_gpu.predict_multi(resist, fit_gpu.GPUS, dict(r, fusion=f))
            cells += [f"{p:.0f}", f"{100 * (p / float(r['img_per_s']) - 1):+.1f}"]
        print(f'{r["gpu"]},{r["img_per_s"]},{",".join(cells)},{r["source"]}')


if __name__ == "__main__":
    main()
