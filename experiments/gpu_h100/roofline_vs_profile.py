#!/usr/bin/python3
"""The simulator's roofline layer by layer against the per-layer profiles measured on the lent H100
(platforms/profiles/h100_*.csv), to feed the GPU model's calibration.

The model, batch, image size, channels and classes come from each profile's metadata (line 2); all the
profiles of one invocation must be of the same model. For each profile: `resist bench train --gpu H100
--model M --batch B --precision P --per-layer --format csv` (the rows `resist simulate` charges a step),
joined with the profile by layer name. Layer kinds come from `resist model --model M --layers --format csv`:
convolutions by kernel size (from their MACs and shapes), "stem" for the stem's, "shortcut" for a projection
shortcut (a layer named *.shortcut or *.downsample.*); bn, relu, add, maxpool, avgpool, linear.
Prints, and writes as markdown and a PNG: predicted against measured forward and backward seconds by layer kind
and stage, the layers most off, the whole model against the profile's whole step. Nothing is fitted here.

ReLU: the model fuses it into the layer right before it in the model's order (0 s): the BatchNorm in a
pre-activation net, the BatchNorm or the block's add in a post-activation one. The profile times it alone (the
trainer runs it as its own kernel). It is shown as its own kind (predicted 0) and again paired with that layer
("bn + relu", "add + relu"): the layer's prediction against the layer and the ReLU after it measured, which is
the comparison the fusion claims.

Usage: experiments/gpu_h100/roofline_vs_profile.py [--resist BIN] [--md FILE] [--png FILE] [PROFILE ...]
(defaults: $RESIST, else build/bin/resist, the three shipped preact_resnet101_cifar profiles,
experiments/gpu_h100/roofline_vs_profile.{md,png}). Bad input (a missing or malformed file, profiles of two
models, a failing resist) is one line, exit 2."""
import argparse
import csv
import io
import math
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DEFAULT_MODEL, DEFAULT_BATCH = "preact_resnet101_cifar", 128
GPU = "H100"
PRECISIONS = ("fp32", "tf32", "bf16")
PEAK_COLUMN = {"fp32": "fp32_tflops", "tf32": "tf32_tflops", "fp16": "fp16_tflops", "bf16": "bf16_tflops"}
# Kinds sort by these ranks (convolutions within theirs: the larger kernel first); pairs "X + relu" after relu.
KIND_RANK = {"conv stem": 0, "conv": 1, "conv shortcut": 2, "bn": 3, "relu": 4, "pair": 5, "add": 6,
             "maxpool": 7, "avgpool": 8, "pool": 8, "linear": 9}
COLORS = {"conv stem": "C9", "conv": "C0", "conv shortcut": "C4", "bn": "C2", "relu": "C3", "add": "C1",
          "maxpool": "C8", "avgpool": "C5", "linear": "C6"}


def kind_key(label):
    """Sort key of a kind label ("conv 7x7 stem", "conv 3x3", "conv 1x1 shortcut", "bn + relu", "add", ...)."""
    if label.endswith(" + relu"):
        return (KIND_RANK["pair"], kind_key(label[:-len(" + relu")]), label)
    m = re.fullmatch(r"conv (\d+)x\d+( stem| shortcut)?", label)
    if m:
        return (KIND_RANK["conv" + (m.group(2) or "")], -int(m.group(1)), label)
    return (KIND_RANK.get(label, 99), 0, label)


def kind_color(label, i):
    m = re.fullmatch(r"conv (\d+)x\d+( stem| shortcut)?", label)
    if m and not m.group(2) and m.group(1) != "3":
        return "C7"
    base = "conv" + (m.group(2) or "") if m else label
    return COLORS.get(base, f"C{i % 10}")


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
    if "model" not in meta or meta.get("precision") not in PEAK_COLUMN or "batch" not in meta \
            or "whole_step_passes_s" not in meta:
        raise BadInput(f"{path}: metadata lacks model, precision, batch or whole_step_passes_s")
    layers, costs = {}, {}
    try:
        for r in csv.DictReader(io.StringIO("\n".join(rows))):
            (costs if r["layer"].startswith("@") else layers)[r["layer"]] = (float(r["forward_s"]), float(r["backward_s"]))
        passes = [float(x) for x in meta["whole_step_passes_s"].split(";")]
    except (KeyError, ValueError, TypeError) as e:
        raise BadInput(f"{path}: malformed row or metadata ({e})")
    try:
        int(meta["batch"])
    except ValueError:
        raise BadInput(f"{path}: malformed metadata (batch={meta['batch']})")
    kept = meta.get("whole_step_pass_kept", "both")
    meta["whole_step_s"] = sum(passes) / len(passes) if kept == "both" else passes[int(kept) - 1]
    return meta, layers, costs


def shape_args(meta):
    """The network's input and output as the profile ran it (the model's defaults where the metadata lacks them)."""
    out = []
    for key, opt in (("in_channels", "--in-channels"), ("image_size", "--image-size"), ("classes", "--classes")):
        if key in meta:
            out += [opt, meta[key]]
    return out


def run_resist(resist, args):
    cmd = [resist] + args
    try:
        p = subprocess.run(cmd, capture_output=True, text=True)
    except OSError as e:
        raise BadInput(f"{resist}: {e.strerror} (build it: cmake --build build --target resist)")
    if p.returncode != 0:
        raise BadInput(f"{' '.join(cmd)}: {(p.stderr.strip().splitlines() or ['exit %d' % p.returncode])[-1]}")
    return list(csv.DictReader(io.StringIO(p.stdout)))


def predict(resist, meta):
    rows = run_resist(resist, ["bench", "train", "--gpu", GPU, "--model", meta["model"], "--batch", meta["batch"],
                               "--precision", meta["precision"], "--per-layer", "--format", "csv"] + shape_args(meta))
    for r in rows:
        for k in ("forward_s", "backward_s", "update_s", "flops_fwd", "flops_bwd", "bytes_fwd", "bytes_bwd"):
            r[k] = float(r[k])
    return rows


def kernel_sizes(resist, meta):
    """{layer: k} for every conv2d of the model: k*k = MACs / (in channels x out channels x out pixels)."""
    out = {}
    for r in run_resist(resist, ["model", "--model", meta["model"], "--layers", "--format", "csv"] + shape_args(meta)):
        if r["kind"] != "conv2d":
            continue
        try:
            cin, cout = int(r["in"].split("x")[0]), [int(x) for x in r["out"].split("x")]
            k2 = float(r["forward_macs"]) / (cin * math.prod(cout))
        except (KeyError, ValueError, ZeroDivisionError) as e:
            raise BadInput(f"resist model --model {meta['model']} --layers: malformed row {r.get('layer')} ({e})")
        out[r["layer"]] = max(1, round(math.sqrt(k2)))
    return out


def h100_peaks():
    with open(os.path.join(ROOT, "platforms", "gpus.csv")) as f:
        lines = [l for l in f if not l.startswith("#") and l.strip()]
    for r in csv.DictReader(lines):
        if r["kind"] == GPU:
            return r
    raise BadInput(f"platforms/gpus.csv: no {GPU} row")


def kind_of(row, kernels):
    if row["kind"] == "conv2d":
        k = kernels.get(row["layer"])
        if k is None:
            raise BadInput(f"resist model: no conv2d row for {row['layer']}")
        parts = row["layer"].split(".")
        role = " stem" if row["block"] == "stem" else \
            " shortcut" if "shortcut" in parts or "downsample" in parts else ""
        return f"conv {k}x{k}{role}"
    return {"batchnorm": "bn"}.get(row["kind"], row["kind"])


def base_kind(label):
    return "conv" if label.startswith("conv") else label


def stage_of(row):
    b = row["block"]
    return f"stage {b[5:].split('.')[0]}" if b.startswith("layer") else b


def join(pred, kernels, measured, path):
    names = [r["layer"] for r in pred]
    missing = [n for n in names if n not in measured]
    extra = [n for n in measured if n not in set(names)]
    if missing or extra:
        raise BadInput(f"{path}: layers do not match the model ({(missing or extra)[0]} "
                       f"{'missing' if missing else 'not in the model'})")
    out = []
    for i, r in enumerate(pred):
        fwd, bwd = measured[r["layer"]]
        label = kind_of(r, kernels)
        out.append(dict(r, kind_label=label, labels=[label], stage=stage_of(r), meas_fwd=fwd, meas_bwd=bwd, index=i))
    # "X + relu": each ReLU with the layer right before it in the model's order (a BatchNorm, or a block's add in
    # a post-activation net), the layer the model fuses it into.
    for i, r in enumerate(out):
        if r["kind_label"] == "relu":
            if i == 0 or out[i - 1]["kind_label"] == "relu":
                raise BadInput(f"{path}: ReLU {r['layer']} follows no layer to pair it with")
            prev = out[i - 1]
            prev["pair_label"] = f"{base_kind(prev['kind_label'])} + relu"
            prev["labels"].append(prev["pair_label"])
            prev["relu"] = r
    return out


def err(p, m):
    return (p - m) / m * 100 if m > 0 else float("nan")


def pct(x):
    return "-" if math.isnan(x) else f"{x:+.0f}%"


def ms(x):
    return f"{x * 1e3:.3f}"


def summarize(rows, label, peaks, precision):
    """Sums of one group; a pair 'X + relu' sums X and its ReLU, predicted and measured."""
    s = {"n": len(rows), "pf": 0.0, "pb": 0.0, "mf": 0.0, "mb": 0.0, "flops": 0.0, "bytes": 0.0}
    for r in rows:
        both = [r] + ([r["relu"]] if r.get("pair_label") == label else [])
        s["pf"] += sum(x["forward_s"] for x in both)
        s["pb"] += sum(x["backward_s"] for x in both)
        s["mf"] += sum(x["meas_fwd"] for x in both)
        s["mb"] += sum(x["meas_bwd"] for x in both)
        s["flops"] += r["flops_fwd"] + r["flops_bwd"]
        s["bytes"] += r["bytes_fwd"] + r["bytes_bwd"]
    m = s["mf"] + s["mb"]
    if m <= 0:
        s["achieved"] = "-"
    elif label.startswith("conv") or label == "linear":
        eff = float(peaks[{"fp32": "fp32_efficiency", "tf32": "tf32_efficiency"}.get(precision, "half_efficiency")])
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
        for k in r["labels"]:
            out.setdefault((k, r["stage"] if by_stage else "all"), []).append(r)
    return sorted(out.items(), key=lambda kv: (kind_key(kv[0][0]), kv[0][1]))


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
    if precision in ("fp16", "bf16") and "memory_format" not in meta:
        emit("Measured alone, every layer of this profile took an FP32 input (`exec/profile.cpp`, `layer_runs`): its "
             "BatchNorms, ReLUs and adds moved FP32 tensors (twice the bytes the model charges under AMP) and each "
             "convolution includes autocast's casts of its input and weight. The whole step has half-precision "
             "activations.\n")
    elif precision in ("fp16", "bf16"):
        emit(f"Measured alone, every layer of this profile took its input as the network passes it "
             f"(`exec/profile.cpp`): {meta['memory_format']}, half-precision activations after the first layer.\n")
    emit("By layer kind and stage (milliseconds per step, summed over the layers; error = predicted / measured - 1; "
         "achieved: the model's FLOPs or bytes over the measured time):\n")
    emit("| kind | stage | layers | fwd pred | fwd meas | fwd err | bwd pred | bwd meas | bwd err | measured achieved |")
    emit("|---|---|---|---|---|---|---|---|---|---|")
    staged = [g for g in groups(rows, True) if len({r["stage"] for r in rows if g[0][0] in r["labels"]}) > 1]
    for (kind, stage), rs in sorted(groups(rows, False) + staged, key=lambda g: (kind_key(g[0][0]), g[0][1] != "all")):
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
    kinds = sorted({k for r in results.values() for k in r["kinds"]}, key=kind_key)
    for k in kinds:
        cells = []
        for r in results.values():
            s = r["kinds"].get(k)
            if s is None:
                cells.append("-")
                continue
            cells.append(f"{ms(s['pf'] + s['pb'])} / {ms(s['mf'] + s['mb'])} ({pct(err(s['pf'] + s['pb'], s['mf'] + s['mb']))})")
        n = next(r["kinds"][k]["n"] for r in results.values() if k in r["kinds"])
        emit(f"| {k} ({n}) | " + " | ".join(cells) + " |")
    cells = [f"{ms(r['pred_layers'])} / {ms(r['meas_layers'])} ({pct(err(r['pred_layers'], r['meas_layers']))})"
             for r in results.values()]
    emit("| all layers, timed alone | " + " | ".join(cells) + " |")
    cells = [f"{ms(r['pred_layers'])} / {ms(r['whole'])} ({pct(err(r['pred_layers'], r['whole']))})"
             for r in results.values()]
    emit("| all layers vs the whole step | " + " | ".join(cells) + " |")
    emit("")


def figure(all_rows, metas, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(len(all_rows), 2, figsize=(17, 4.8 * len(all_rows)), squeeze=False,
                             gridspec_kw={"width_ratios": [2.3, 1]})
    for (precision, rows), (ax, bx) in zip(all_rows.items(), axes):
        kinds = sorted({r["kind_label"] for r in rows}, key=kind_key)
        colors = {k: kind_color(k, i) for i, k in enumerate(kinds)}
        pts = [(r["index"], r["forward_s"] + r["backward_s"]) for r in rows if r["kind_label"] != "relu"]
        ax.semilogy(*zip(*pts), "k_", ms=7, mew=1.2, label="roofline (ReLU: 0, not drawn)")
        for kind in colors:
            pts = [(r["index"], r["meas_fwd"] + r["meas_bwd"]) for r in rows if r["kind_label"] == kind]
            if pts:
                ax.semilogy(*zip(*pts), "o", ms=3, color=colors[kind], label=f"measured: {kind}")
        for i, r in enumerate(rows[1:], 1):
            if r["stage"] != rows[i - 1]["stage"]:
                ax.axvline(r["index"] - 0.5, color="0.8", lw=0.8)
        meta = metas[precision]
        ax.set_title(f"H100 {precision}, {meta['model']}, batch {meta['batch']}: per layer, forward + backward")
        ax.set_xlabel("layer (forward order; lines between stages)")
        ax.set_ylabel("seconds")
        ax.legend(fontsize=7, ncol=5, loc="upper center", bbox_to_anchor=(0.5, -0.17))
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
                    default=[os.path.join(ROOT, "platforms", "profiles", f"h100_{DEFAULT_MODEL}_{p}_b{DEFAULT_BATCH}.csv")
                             for p in PRECISIONS])
    ap.add_argument("--resist", default=os.environ.get("RESIST", os.path.join(ROOT, "build", "bin", "resist")))
    ap.add_argument("--md", default=os.path.join(HERE, "roofline_vs_profile.md"))
    ap.add_argument("--png", default=os.path.join(HERE, "roofline_vs_profile.png"))
    a = ap.parse_args()
    try:
        peaks = h100_peaks()
        loaded = []
        for path in a.profiles:
            meta, measured, costs = read_profile(path)
            if loaded and meta["model"] != loaded[0][1]["model"]:
                raise BadInput(f"{path}: a profile of model '{meta['model']}', not {loaded[0][1]['model']} "
                               f"(the model of {loaded[0][0]}); give profiles of one model")
            rows = join(predict(a.resist, meta), kernel_sizes(a.resist, meta), measured, path)
            loaded.append((path, meta, rows, costs))
    except BadInput as e:
        print(f"roofline_vs_profile.py: {e}", file=sys.stderr)
        return 2
    lines = []

    def emit(s=""):
        print(s)
        lines.append(s)

    model = loaded[0][1]["model"]
    batches = ", ".join(dict.fromkeys(meta["batch"] for _, meta, _, _ in loaded))
    first = loaded[0][2]
    pairs = {}
    for r in first:
        if r.get("pair_label"):
            pairs[r["pair_label"]] = pairs.get(r["pair_label"], 0) + 1
    fused = all(r["relu"]["bound_fwd"] == "fused" for r in first if r.get("pair_label"))
    shortcuts = sorted({r["layer"].split(".", 2)[-1] for r in first if r["kind_label"].endswith(" shortcut")})
    emit(f"# The roofline layer by layer against the H100 profiles ({model}, batch {batches})\n")
    emit("Made by `experiments/gpu_h100/roofline_vs_profile.py` from "
         + ", ".join(f"`{os.path.relpath(p, ROOT)}`" for p, *_ in loaded)
         + f" and `resist bench train --gpu {GPU} --model {model} --per-layer` (the model as `resist simulate` "
         "runs it, unchanged). Measured: every layer alone with the trainer's LibTorch module, synchronized "
         "before and after (so each carries its launch and synchronization), median of 20. Kinds: convolutions "
         "by kernel size (from `resist model --layers`: MACs over channels and output pixels)"
         + (f", `shortcut` the projection shortcuts (`{'`, `'.join(shortcuts)}`)" if shortcuts else "")
         + ". ReLU: the model fuses each ReLU into the layer right before it in the model's order ("
         + ", ".join(f"{n} after {'a BatchNorm' if k == 'bn + relu' else 'an add' if k == 'add + relu' else k[:-7]}"
                     for k, n in sorted(pairs.items(), key=lambda kv: kind_key(kv[0])))
         + (", 0 s" if fused else "")
         + "); the trainer runs it as its own kernel, so it is shown as its own kind (predicted 0, error -100%) and "
         "again paired with that layer ("
         + ", ".join(f"`{k}`" for k in sorted(pairs, key=kind_key))
         + ": the layer's prediction against the layer and its ReLU measured); the `all` sums count each layer "
         "once.\n")
    results, all_rows, metas, body = {}, {}, {}, []
    for path, meta, rows, costs in loaded:
        sub = []
        results[meta["precision"]] = report(meta["precision"], meta, rows, costs, peaks, sub.append)
        all_rows[meta["precision"]] = rows
        metas[meta["precision"]] = meta
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
        figure(all_rows, metas, a.png)
    except OSError as e:
        print(f"roofline_vs_profile.py: {e.filename}: {e.strerror}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
