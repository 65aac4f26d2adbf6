#!/usr/bin/python3
"""The simulator's roofline layer by layer against the per-layer profiles measured on the lent H100
(platforms/profiles/h100_preact_resnet101_cifar_{fp32,tf32,bf16}_b128.csv), to feed the GPU model's calibration.

For each profile: `resist bench train --gpu H100 --model preact_resnet101_cifar --batch B --precision P
--per-layer --format csv` (the rows `resist simulate` charges a step), joined with the profile by layer name.
Prints, and writes as markdown and a PNG: predicted against measured forward and backward seconds by layer kind
and stage, the layers most off, the whole model against the profile's whole step. Nothing is fitted here.

ReLU: the model fuses it into the BatchNorm before it (0 s), the profile times it alone (the trainer runs it as
its own kernel). It is shown as its own kind (predicted 0) and again as "bn + relu": each BatchNorm's
prediction against the BatchNorm and the ReLU after it measured, which is the comparison the fusion claims.

Usage: experiments/gpu_h100/roofline_vs_profile.py [--resist BIN] [--md FILE] [--png FILE] [PROFILE ...]
(defaults: build/bin/resist, the three shipped profiles, experiments/gpu_h100/roofline_vs_profile.{md,png}).
Bad input (a missing or malformed file, a profile of another model, a failing resist) is one line, exit 2."""
import argparse
import csv
import io
import math
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
MODEL = "preact_resnet101_cifar"
GPU = "H100"
PRECISIONS = ("fp32", "tf32", "bf16")
PEAK_COLUMN = {"fp32": "fp32_tflops", "tf32": "tf32_tflops", "fp16": "fp16_tflops", "bf16": "bf16_tflops"}
KINDS = ("conv 3x3 stem", "conv 3x3", "conv 1x1 shortcut", "bn", "relu", "bn + relu", "add", "pool", "linear")


class BadInput(Exception):
    pass


def read_profile(path):
    """meta (dict), layers {name: (fwd, bwd)} in file order, costs {'@name': (fwd, bwd)}."""
    try:
        with open(path, newline="") as f:
            text = f.read()
    except OSError as e:
        raise BadInput(f"{path}: {e.strerror}")
    meta, rows = {}, []
    for line in text.splitlines():
        if line.startswith("#"):
            for token in line[1:].split():
                if "=" in token:
                    k, v = token.split("=", 1)
                    meta[k] = v
        elif line.strip():
            rows.append(line)
    if not rows or not rows[0].startswith("layer,batch,forward_s,backward_s"):
        raise BadInput(f"{path}: not a resist profile (no 'layer,batch,forward_s,backward_s' header)")
    if meta.get("model") != MODEL:
        raise BadInput(f"{path}: a profile of model '{meta.get('model', '?')}', not {MODEL}")
    if meta.get("precision") not in PEAK_COLUMN or "batch" not in meta or "whole_step_passes_s" not in meta:
        raise BadInput(f"{path}: metadata lacks precision, batch or whole_step_passes_s")
    layers, costs = {}, {}
    try:
        for r in csv.DictReader(io.StringIO("\n".join(rows))):
            (costs if r["layer"].startswith("@") else layers)[r["layer"]] = (float(r["forward_s"]), float(r["backward_s"]))
        passes = [float(x) for x in meta["whole_step_passes_s"].split(";")]
    except (KeyError, ValueError, TypeError) as e:
        raise BadInput(f"{path}: malformed row or metadata ({e})")
    kept = meta.get("whole_step_pass_kept", "both")
    meta["whole_step_s"] = sum(passes) / len(passes) if kept == "both" else passes[int(kept) - 1]
    return meta, layers, costs


def predict(resist, precision, batch):
    cmd = [resist, "bench", "train", "--gpu", GPU, "--model", MODEL, "--batch", str(batch), "--precision", precision,
           "--per-layer", "--format", "csv"]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True)
    except OSError as e:
        raise BadInput(f"{resist}: {e.strerror} (build it: cmake --build build --target resist)")
    if p.returncode != 0:
        raise BadInput(f"{' '.join(cmd)}: {(p.stderr.strip().splitlines() or ['exit %d' % p.returncode])[-1]}")
    rows = list(csv.DictReader(io.StringIO(p.stdout)))
    for r in rows:
        for k in ("forward_s", "backward_s", "update_s", "flops_fwd", "flops_bwd", "bytes_fwd", "bytes_bwd"):
            r[k] = float(r[k])
    return rows


def h100_peaks():
    with open(os.path.join(ROOT, "platforms", "gpus.csv")) as f:
        lines = [l for l in f if not l.startswith("#") and l.strip()]
    for r in csv.DictReader(lines):
        if r["kind"] == GPU:
            return r
    raise BadInput(f"platforms/gpus.csv: no {GPU} row")


def kind_of(row):
    if row["kind"] == "conv2d":
        if row["block"] == "stem":
            return "conv 3x3 stem"
        return "conv 1x1 shortcut" if row["layer"].endswith("shortcut") else "conv 3x3"
    return {"batchnorm": "bn", "avgpool": "pool", "maxpool": "pool"}.get(row["kind"], row["kind"])


def stage_of(row):
    b = row["block"]
    return f"stage {b[5:].split('.')[0]}" if b.startswith("layer") else b


def join(pred, measured, path):
    names = [r["layer"] for r in pred]
    missing = [n for n in names if n not in measured]
    extra = [n for n in measured if n not in set(names)]
    if missing or extra:
        raise BadInput(f"{path}: layers do not match the model ({(missing or extra)[0]} "
                       f"{'missing' if missing else 'not in the model'})")
    out = []
    for i, r in enumerate(pred):
        fwd, bwd = measured[r["layer"]]
        out.append(dict(r, kind_label=kind_of(r), stage=stage_of(r), meas_fwd=fwd, meas_bwd=bwd, index=i))
    # "bn + relu": each BatchNorm with the ReLU right after it, as the model fuses them.
    for i, r in enumerate(out):
        if r["kind_label"] == "relu":
            prev = out[i - 1]
            if prev["kind_label"] != "bn":
                raise BadInput(f"{path}: ReLU {r['layer']} does not follow a BatchNorm")
            prev["relu_fwd"], prev["relu_bwd"] = r["meas_fwd"], r["meas_bwd"]
    return out


def err(p, m):
    return (p - m) / m * 100 if m > 0 else float("nan")


def pct(x):
    return "-" if math.isnan(x) else f"{x:+.0f}%"


def ms(x):
    return f"{x * 1e3:.3f}"


def summarize(rows, label, peaks, precision):
    """Sums of one group; 'bn + relu' sums BatchNorm predictions against BatchNorm + ReLU measured."""
    both = label == "bn + relu"
    s = {"n": len(rows), "pf": 0.0, "pb": 0.0, "mf": 0.0, "mb": 0.0, "flops": 0.0, "bytes": 0.0}
    for r in rows:
        s["pf"] += r["forward_s"]
        s["pb"] += r["backward_s"]
        s["mf"] += r["meas_fwd"] + (r.get("relu_fwd", 0) if both else 0)
        s["mb"] += r["meas_bwd"] + (r.get("relu_bwd", 0) if both else 0)
        s["flops"] += r["flops_fwd"] + r["flops_bwd"]
        s["bytes"] += r["bytes_fwd"] + r["bytes_bwd"]
    m = s["mf"] + s["mb"]
    if m <= 0:
        s["achieved"] = "-"
    elif label.startswith("conv") or label == "linear":
        eff = float(peaks["fp32_efficiency" if precision == "fp32" else "tensor_efficiency"])
        peak = float(peaks[PEAK_COLUMN[precision]]) * 1e12
        s["achieved"] = f"{s['flops'] / m / 1e12:.3g} TFLOP/s = {s['flops'] / m / peak:.2g} of peak (model {eff})"
    elif s["bytes"] > 0:
        bw = float(peaks["mem_GBps"]) * float(peaks["mem_efficiency"])
        s["achieved"] = f"{s['bytes'] / m / 1e9:.0f} GB/s of the model's bytes (model {bw:.0f})"
    else:
        s["achieved"] = "fused in the model (no bytes)"
    return s


def groups(rows, by_stage):
    out = {}
    for r in rows:
        labels = [r["kind_label"]] + (["bn + relu"] if r["kind_label"] == "bn" else [])
        for k in labels:
            out.setdefault((k, r["stage"] if by_stage else "all"), []).append(r)
    order = {k: i for i, k in enumerate(KINDS)}
    return sorted(out.items(), key=lambda kv: (order.get(kv[0][0], 99), kv[0][1]))


def floor_fit(rows):
    """Least squares measured = a + bytes / bw over the BatchNorms and adds, forward and backward apart."""
    out = []
    for p, m in (("bytes_fwd", "meas_fwd"), ("bytes_bwd", "meas_bwd")):
        pts = [(r[p], r[m]) for r in rows if r["kind_label"] in ("bn", "add")]
        n = len(pts)
        mx, my = sum(x for x, _ in pts) / n, sum(y for _, y in pts) / n
        sxx = sum((x - mx) ** 2 for x, _ in pts)
        slope = sum((x - mx) * (y - my) for x, y in pts) / sxx
        out.append((my - slope * mx, 1 / slope if slope > 0 else float("inf")))
    return out


def report(precision, meta, rows, costs, peaks, emit):
    emit(f"### {precision} (profile batch {meta['batch']}, PyTorch {meta.get('torch', '?')})\n")
    if precision in ("fp16", "bf16"):
        emit("Measured alone, every layer of this profile took an FP32 input (`exec/profile.cpp`, `layer_runs`): its "
             "BatchNorms, ReLUs and adds moved FP32 tensors (twice the bytes the model charges under AMP) and each "
             "convolution includes autocast's casts of its input and weight. The whole step has half-precision "
             "activations.\n")
    emit("By layer kind and stage (milliseconds per step, summed over the layers; error = predicted / measured - 1; "
         "achieved: the model's FLOPs or bytes over the measured time):\n")
    emit("| kind | stage | layers | fwd pred | fwd meas | fwd err | bwd pred | bwd meas | bwd err | measured achieved |")
    emit("|---|---|---|---|---|---|---|---|---|---|")
    order = {k: i for i, k in enumerate(KINDS)}
    staged = [g for g in groups(rows, True)
              if len({r["stage"] for r in rows if r["kind_label"] == g[0][0].replace("bn + relu", "bn")}) > 1]
    for (kind, stage), rs in sorted(groups(rows, False) + staged, key=lambda g: (order[g[0][0]], g[0][1] != "all")):
        s = summarize(rs, kind, peaks, precision)
        emit(f"| {kind} | {stage} | {s['n']} | {ms(s['pf'])} | {ms(s['mf'])} | {pct(err(s['pf'], s['mf']))} | "
         f"{ms(s['pb'])} | {ms(s['mb'])} | {pct(err(s['pb'], s['mb']))} | {s['achieved']} |")
    emit("")
    (a_f, bw_f), (a_b, bw_b) = floor_fit(rows)
    emit(f"Fixed cost per layer, least squares of the measured BatchNorms and adds against the model's bytes: "
         f"forward {a_f * 1e6:.0f} us + bytes / {bw_f / 1e9:.0f} GB/s, backward {a_b * 1e6:.0f} us + bytes / "
         f"{bw_b / 1e9:.0f} GB/s (the model: 5 us per kernel, 1 forward and 2 backward, + bytes / "
         f"{float(peaks['mem_GBps']) * float(peaks['mem_efficiency']):.0f} GB/s).\n")
    emit("The 10 layers most off (by |predicted - measured| seconds, forward + backward):\n")
    emit("| layer | kind | bound (fwd/bwd) | fwd pred | fwd meas | bwd pred | bwd meas | measured / predicted |")
    emit("|---|---|---|---|---|---|---|---|")
    ranked = sorted(rows, key=lambda r: -abs(r["forward_s"] + r["backward_s"] - r["meas_fwd"] - r["meas_bwd"]))
    for r in ranked[:10]:
        p, m = r["forward_s"] + r["backward_s"], r["meas_fwd"] + r["meas_bwd"]
        emit(f"| {r['layer']} | {r['kind_label']} | {r['bound_fwd']}/{r['bound_bwd']} | {ms(r['forward_s'])} | "
             f"{ms(r['meas_fwd'])} | {ms(r['backward_s'])} | {ms(r['meas_bwd'])} | "
             f"{'inf' if p == 0 else f'{m / p:.2f}x'} |")
    emit("")
    pl = sum(r["forward_s"] + r["backward_s"] for r in rows)
    ml = sum(r["meas_fwd"] + r["meas_bwd"] for r in rows)
    whole = meta["whole_step_s"]
    loss = sum(costs.get("@loss", (0, 0)))
    pu = sum(r["update_s"] for r in rows)
    mu = costs.get("@optimizer_step", (0, 0))[0] + costs.get("@zero_grad", (0, 0))[0]
    emit("Whole model (milliseconds per step):\n")
    emit("| quantity | predicted | measured | error |")
    emit("|---|---|---|---|")
    emit(f"| layers, forward + backward: the roofline's sum / the layers timed alone, summed | {ms(pl)} | {ms(ml)} | "
         f"{pct(err(pl, ml))} |")
    emit(f"| the same against the whole step (`whole_step_passes_s` {meta['whole_step_passes_s']}, kept "
         f"{meta.get('whole_step_pass_kept', '?')}: forward + loss + backward, no sync between layers) | {ms(pl)} | "
         f"{ms(whole)} | {pct(err(pl, whole))} |")
    emit(f"| (the loss inside that whole step, `@loss`) | 0 | {ms(loss)} | - |")
    emit(f"| optimizer: the roofline's update / `@optimizer_step` + `@zero_grad` | {ms(pu)} | {ms(mu)} | "
         f"{pct(err(pu, mu))} |")
    emit(f"| step: layers + update / whole step + optimizer | {ms(pl + pu)} | {ms(whole + mu)} | "
         f"{pct(err(pl + pu, whole + mu))} |")
    emit("")
    return {"pred_layers": pl, "meas_layers": ml, "whole": whole, "pred_update": pu, "meas_update": mu,
            "kinds": {k: summarize(rs, k, peaks, precision) for (k, _), rs in groups(rows, False)}}


def key_table(results, emit):
    emit("Signed error of the roofline by layer kind, forward + backward summed over the model (measured: each "
         "layer timed alone), and the whole model:\n")
    emit("| kind | " + " | ".join(f"{p} pred / meas (ms)" for p in results) + " |")
    emit("|---|" + "---|" * len(results))
    kinds = [k for k in KINDS if any(k in r["kinds"] for r in results.values())]
    for k in kinds:
        cells = []
        for r in results.values():
            s = r["kinds"][k]
            cells.append(f"{ms(s['pf'] + s['pb'])} / {ms(s['mf'] + s['mb'])} ({pct(err(s['pf'] + s['pb'], s['mf'] + s['mb']))})")
        emit(f"| {k} | " + " | ".join(cells) + " |")
    cells = [f"{ms(r['pred_layers'])} / {ms(r['meas_layers'])} ({pct(err(r['pred_layers'], r['meas_layers']))})"
             for r in results.values()]
    emit("| all layers, timed alone | " + " | ".join(cells) + " |")
    cells = [f"{ms(r['pred_layers'])} / {ms(r['whole'])} ({pct(err(r['pred_layers'], r['whole']))})"
             for r in results.values()]
    emit("| all layers vs the whole step | " + " | ".join(cells) + " |")
    emit("")


def figure(all_rows, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(len(all_rows), 2, figsize=(17, 4.8 * len(all_rows)), squeeze=False,
                             gridspec_kw={"width_ratios": [2.3, 1]})
    for (precision, rows), (ax, bx) in zip(all_rows.items(), axes):
        colors = {"conv 3x3 stem": "C9", "conv 3x3": "C0", "conv 1x1 shortcut": "C4", "bn": "C2", "relu": "C3",
                  "add": "C1", "pool": "C5", "linear": "C6"}
        pts = [(r["index"], r["forward_s"] + r["backward_s"]) for r in rows if r["kind_label"] != "relu"]
        ax.semilogy(*zip(*pts), "k_", ms=7, mew=1.2, label="roofline (ReLU: 0, not drawn)")
        for kind in colors:
            pts = [(r["index"], r["meas_fwd"] + r["meas_bwd"]) for r in rows if r["kind_label"] == kind]
            if pts:
                ax.semilogy(*zip(*pts), "o", ms=3, color=colors[kind], label=f"measured: {kind}")
        for i, r in enumerate(rows[1:], 1):
            if r["stage"] != rows[i - 1]["stage"]:
                ax.axvline(r["index"] - 0.5, color="0.8", lw=0.8)
        ax.set_title(f"H100 {precision}, {MODEL}, batch 128: per layer, forward + backward")
        ax.set_xlabel("layer (forward order; lines between stages)")
        ax.set_ylabel("seconds")
        ax.legend(fontsize=7, ncol=5, loc="upper center", bbox_to_anchor=(0.5, -0.17))
        kinds = [k for k in KINDS if k not in ("bn + relu",) and any(r["kind_label"] == k for r in rows)]
        pred = [sum(r["forward_s"] + r["backward_s"] for r in rows if r["kind_label"] == k) * 1e3 for k in kinds]
        meas = [sum(r["meas_fwd"] + r["meas_bwd"] for r in rows if r["kind_label"] == k) * 1e3 for k in kinds]
        pos = range(len(kinds))
        bx.bar([p - 0.2 for p in pos], pred, 0.4, label="roofline", color="0.4")
        bx.bar([p + 0.2 for p in pos], meas, 0.4, label="measured (alone)", color="C1")
        bx.set_xticks(list(pos))
        bx.set_xticklabels(kinds, rotation=30, ha="right", fontsize=8)
        bx.set_ylabel("ms per step, summed")
        bx.set_title(f"{precision}: by layer kind")
        bx.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("profiles", nargs="*",
                    default=[os.path.join(ROOT, "platforms", "profiles", f"h100_{MODEL}_{p}_b128.csv") for p in PRECISIONS])
    ap.add_argument("--resist", default=os.path.join(ROOT, "build", "bin", "resist"))
    ap.add_argument("--md", default=os.path.join(HERE, "roofline_vs_profile.md"))
    ap.add_argument("--png", default=os.path.join(HERE, "roofline_vs_profile.png"))
    a = ap.parse_args()
    try:
        peaks = h100_peaks()
        loaded = []
        for path in a.profiles:
            meta, measured, costs = read_profile(path)
            rows = join(predict(a.resist, meta["precision"], int(meta["batch"])), measured, path)
            loaded.append((path, meta, rows, costs))
    except BadInput as e:
        print(f"roofline_vs_profile.py: {e}", file=sys.stderr)
        return 2
    lines = []

    def emit(s=""):
        print(s)
        lines.append(s)

    emit(f"# The roofline layer by layer against the H100 profiles ({MODEL}, batch 128)\n")
    emit("Made by `experiments/gpu_h100/roofline_vs_profile.py` from "
         + ", ".join(f"`{os.path.relpath(p, ROOT)}`" for p, *_ in loaded)
         + f" and `resist bench train --gpu {GPU} --model {MODEL} --per-layer` (the model as `resist simulate` "
         "runs it, unchanged). Measured: every layer alone with the trainer's LibTorch module, synchronized "
         "before and after (so each carries its launch and synchronization), median of 20. ReLU: the model "
         "fuses it into the BatchNorm before it (0 s); the trainer runs it as its own kernel, so it is shown as "
         "its own kind (predicted 0, error -100%) and again as `bn + relu` (the BatchNorm's prediction against the "
         "BatchNorm and its ReLU measured); the `all` sums count each layer once.\n")
    results, all_rows, body = {}, {}, []
    for path, meta, rows, costs in loaded:
        sub = []
        results[meta["precision"]] = report(meta["precision"], meta, rows, costs, peaks, sub.append)
        all_rows[meta["precision"]] = rows
        body += sub
    emit("## Summary\n")
    key_table(results, emit)
    emit("## By precision\n")
    for s in body:
        emit(s)
    emit(f"Figure: `{os.path.relpath(a.png, HERE)}`.")
    try:
        with open(a.md, "w") as f:
            f.write("\n".join(lines) + "\n")
        figure(all_rows, a.png)
    except OSError as e:
        print(f"roofline_vs_profile.py: {e.filename}: {e.strerror}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
