#!/usr/bin/python3
"""Holds the simulator and the trainer against what was measured on the lent H100 (experiments/gpu_h100/measured,
made by experiments/gpu_h100/run-on-gpu.sh): (1) `resist validate` of the 2-rank runs that time-shared the GPU (session 2:
measured/s2_call*), with the GPU sharing as a profile measured by 2 processes at once carries it, and as
modelled from a profile of one rank; (2) our training step against PyTorch's, per precision and memory
format; (3) `resist bench train --gpu H100` against torchvision ResNet-50 and our preact_resnet101_cifar step
as measured, and our trainer's ResNet-50 profiles against PyTorch's. Nothing here is fitted. Prints markdown.
Usage: [RESIST=path/to/resist] experiments/gpu_h100/compare.py [path/to/resist]
(default build/bin/resist; a path as the argument overrides RESIST)"""
import glob
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
M = os.path.join(HERE, "measured")
R = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("RESIST", os.path.join(HERE, "..", "..", "build", "bin", "resist"))


def run(*args):
    return subprocess.run([R, *args], check=True, capture_output=True, text=True).stdout


def validate():
    print("## 1. resist validate: 2 ranks time-sharing one H100 over Gloo (CUDA tensors), batch 128\n")
    print("Medians over the runs (each run's own median round error and whole-run error).\n")
    print("| protocol | precision | runs | sharing | median round (per run) | median | whole run (median) |")
    print("|---|---|---|---|---|---|---|")
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        for call in sorted(glob.glob(os.path.join(M, "s2_call*"))):
            for run_dir in sorted(glob.glob(os.path.join(call, "v_*"))):
                if not os.path.isdir(run_dir):
                    continue
                name = os.path.basename(run_dir)
                prec = "bf16" if "_bf16" in name else "fp32"
                proto = name[2:].split("_bf16")[0].split("_r")[0].replace("_solo", "")
                solo = "_solo" in name
                for sharing, prof in (("profile", f"vprofile_{prec}_b128_r2.csv"), ("model", f"vprofile_{prec}_b128.csv")):
                    if not os.path.exists(os.path.join(call, prof)) or (solo and sharing == "profile"):
                        continue
                    d = os.path.join(tmp, f"{os.path.basename(call)}_{name}_{sharing}")
                    shutil.copytree(run_dir, d)
                    shutil.copy(os.path.join(call, prof), os.path.join(d, "profile.csv"))
                    shutil.copy(os.path.join(call, "h100_gloo_r2.toml"), os.path.join(d, "platform.toml"))
                    s = json.loads(run("validate", "--run-dir", d, "--format", "json", "--gpu", "H100", "--gpu-sharing",
                                       sharing, "--no-plot"))["summary"]
                    key = (proto + (" (1 worker)" if solo else ""), prec, sharing if not solo else "alone")
                    rows.setdefault(key, []).append((s["median_round_error_pct"], s["total_error_pct"]))
    for (proto, prec, sharing), v in sorted(rows.items(), key=lambda kv: (kv[0][1], kv[0][0], kv[0][2])):
        med = statistics.median(r[0] for r in v)
        tot = statistics.median(r[1] for r in v)
        each = " ".join(f"{r[0]:+.1f}" for r in v)
        print(f"| {proto} | {prec} | {len(v)} | {sharing} | {each} | **{med:+.1f}%** | {tot:+.1f}% |")
    print()


def step_vs_pytorch():
    print("## 2. Our step against PyTorch's (preact_resnet101_cifar, batch 128, median of 20 steps, ms)\n")
    print("| precision | ours NCHW | PyTorch NCHW | ours channels-last | PyTorch channels-last | ours (auto) / PyTorch's best |")
    print("|---|---|---|---|---|---|")
    c1 = os.path.join(M, "s2_call1")
    torch_steps = {(r["precision"], r["memory_format"]): r["median_step_s"] for r in jsonl(os.path.join(c1, "bench_pytorch.json"))}
    for p in ("fp32", "tf32", "bf16", "fp16"):
        ours = {mf: jsonl(os.path.join(c1, f"bench_ours_{p}_{mf}.json"))[-1]["median_step_s"] for mf in ("nchw", "channels_last")}
        auto = ours["nchw"] if p == "fp32" else ours["channels_last"]
        best = min(torch_steps[(p, "nchw")], torch_steps[(p, "channels_last")])
        print(f"| {p} | {ours['nchw'] * 1e3:.1f} | {torch_steps[(p, 'nchw')] * 1e3:.1f} | {ours['channels_last'] * 1e3:.1f} | "
              f"{torch_steps[(p, 'channels_last')] * 1e3:.1f} | {auto / best:.2f} |")
    print()


def jsonl(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.startswith("{")]


def bench():
    print("## 3. The GPU model (`resist bench train --gpu H100`) against single-GPU steps measured on the H100\n")
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
        print(f"| preact_resnet101_cifar (PyTorch, experiments/gpu_h100/torch_step.py) | 128 | {p} | {ips:.0f} img/s | - | "
              f"{sim_ips:.0f} img/s | - | {(sim_ips / ips - 1) * 100:+.1f}% |")
    print()


def r50_profiles():
    print("## 4. Our trainer's ResNet-50 (batch 256, `resist profile`) against PyTorch eager on the H100\n")
    print("| precision | memory format (ours) | ours: whole step (fwd+bwd) | img/s | PyTorch (same format) img/s | ratio |")
    print("|---|---|---|---|---|---|")
    r50 = jsonl(os.path.join(M, "call2_torch_resnet50_b256.jsonl")) + jsonl(os.path.join(M, "call3_torch_resnet50_b256.jsonl"))
    root = os.path.join(HERE, "..", "..", "platforms", "profiles")
    for p in ("fp32", "tf32", "bf16"):
        with open(os.path.join(root, f"h100_resnet50_{p}_b256.csv")) as f:
            meta = dict(kv.split("=", 1) for kv in f.readlines()[1][2:].split())
        step = statistics.mean(float(x) for x in meta["whole_step_passes_s"].split(";"))
        cl = meta["memory_format"] == "channels_last"
        torch_ips = [r["images_per_s"] for r in r50 if r["precision"] == p and r["channels_last"] == cl][0]
        print(f"| {p} | {meta['memory_format']} | {step * 1e3:.1f} ms | {256 / step:.0f} | {torch_ips:.0f} | {256 / step / torch_ips:.3f} |")
    print()


def fail(why):
    print(f"compare.py: {why}", file=sys.stderr)
    sys.exit(2)


if __name__ == "__main__":
    if not (os.path.isfile(R) and os.access(R, os.X_OK)):
        fail(f"'{R}' is not an executable resist binary (build it, or pass its path)")
    try:
        validate()
        step_vs_pytorch()
        bench()
        r50_profiles()
    except (OSError, subprocess.CalledProcessError) as e:  # a missing binary or file, or resist refusing
        fail(f"{e}" + (f": {e.stderr.strip()}" if getattr(e, "stderr", None) else ""))
