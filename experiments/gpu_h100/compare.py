#!/usr/bin/python3
"""Holds the simulator against what was measured on the lent H100 (experiments/gpu_h100/measured, made by
exec/gpu/run-on-gpu.sh): (1) `resist validate` of the 2-rank runs that time-shared the GPU, with a 1-rank and
a 2-rank profile; (2) `resist bench train --gpu H100` against torchvision ResNet-50 and our
preact_resnet101_cifar step as measured. Nothing here is fitted. Prints markdown tables.
Usage: experiments/gpu_h100/compare.py [RESIST]      (RESIST defaults to build/bin/resist)"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
M = os.path.join(HERE, "measured")
R = sys.argv[1] if len(sys.argv) > 1 else "build/bin/resist"


def run(*args):
    return subprocess.run([R, *args], check=True, capture_output=True, text=True).stdout


def validate():
    print("## 1. resist validate: 2 ranks time-sharing one H100 over Gloo (CUDA tensors), fp32, batch 128\n")
    print("| protocol | profile | median round | p90 | whole run | compute (median) | communication (median) |")
    print("|---|---|---|---|---|---|---|")
    runs = os.path.join(M, "runs")
    with tempfile.TemporaryDirectory() as tmp:
        for protocol in ("resist", "local_sgd", "data_parallel"):
            for label, prof in (("1 rank alone", "vprofile_fp32_b128.csv"), ("2 ranks at once", "vprofile_fp32_b128_r2.csv")):
                d = os.path.join(tmp, f"{protocol}_{label[0]}")
                shutil.copytree(os.path.join(runs, f"v_{protocol}"), d)
                shutil.copy(os.path.join(runs, prof), os.path.join(d, "profile.csv"))
                shutil.copy(os.path.join(runs, "h100_gloo_r2.toml"), os.path.join(d, "platform.toml"))
                s = json.loads(run("validate", "--run-dir", d, "--format", "json"))["summary"]
                ph = s["median_phase_error_pct"]
                print(f"| {protocol} | {label} | {s['median_round_error_pct']:+.1f}% | {s['p90_round_error_pct']:.1f}% | "
                      f"{s['total_error_pct']:+.1f}% | {ph['compute']:+.1f}% | {ph['communication']:+.1f}% |")
    print()


def jsonl(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.startswith("{")]


def bench():
    print("## 2. The GPU model (`resist bench train --gpu H100`) against single-GPU steps measured on the H100\n")
    print("| model | batch | precision | measured (NCHW) | measured (channels-last) | simulated | error vs channels-last | error vs NCHW |")
    print("|---|---|---|---|---|---|---|---|")
    r50 = jsonl(os.path.join(M, "call2_torch_resnet50_b256.jsonl")) + jsonl(os.path.join(M, "call3_torch_resnet50_b256.jsonl"))
    for p in ("fp32", "tf32", "bf16", "fp16"):
        meas = {r["channels_last"]: r["images_per_s"] for r in r50 if r["precision"] == p}
        sim = json.loads(run("bench", "train", "--gpu", "H100", "--model", "resnet50", "--precision", p,
                             "--batch", "256", "--format", "json"))
        ips = sim[0]["img_per_s"]
        print(f"| torchvision resnet50 | 256 | {p} | {meas[False]:.0f} img/s | {meas[True]:.0f} img/s | {ips:.0f} img/s | "
              f"{(ips / meas[True] - 1) * 100:+.1f}% | {(ips / meas[False] - 1) * 100:+.1f}% |")
    torch_steps = {r["precision"]: r["median_step_s"] for r in jsonl(os.path.join(M, "call3_bench_pytorch.json"))}
    for p in ("fp32", "tf32", "bf16"):
        sim = json.loads(run("bench", "train", "--gpu", "H100", "--model", "preact_resnet101_cifar", "--precision", p,
                             "--batch", "128", "--format", "json"))
        ips, sim_ips = 128 / torch_steps[p], sim[0]["img_per_s"]
        print(f"| preact_resnet101_cifar (PyTorch, exec/gpu/torch_step.py) | 128 | {p} | {ips:.0f} img/s | - | "
              f"{sim_ips:.0f} img/s | - | {(sim_ips / ips - 1) * 100:+.1f}% |")
    print()


def fail(why):
    print(f"compare.py: {why}", file=sys.stderr)
    sys.exit(2)


if __name__ == "__main__":
    if not (os.path.isfile(R) and os.access(R, os.X_OK)):
        fail(f"'{R}' is not an executable resist binary (build it, or pass its path)")
    try:
        validate()
        bench()
    except (OSError, subprocess.CalledProcessError) as e:  # a missing binary or file, or resist refusing
        fail(f"{e}" + (f": {e.stderr.strip()}" if getattr(e, "stderr", None) else ""))
