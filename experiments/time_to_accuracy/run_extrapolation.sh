#!/usr/bin/env bash
# Checks `simulate --accuracy-extrapolate` on the published CIFAR curves (../../../shared/reference/resist-curves/):
# each curve is cut after an early part of its first learning-rate phase (rounds <= CUT of the 156.4 before the
# decay at epoch 20), fitted by acc(k) = a - 1/(b k + c) with its last quarter held back, and the fit is held
# against the rest of the phase that the cut hid: its error on those evaluations, and the time to each target
# extrapolated against the time the whole curve gives. Expected: errors of a point or two near the cut growing
# towards the decay; the time to a target near the phase's plateau is the least certain. Simulator only, ~10 s.
# Writes extrapolation.txt here. Usage: RESIST=path/to/resist experiments/time_to_accuracy/run_extrapolation.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
resist=$(realpath "${RESIST:-$root/build/bin/resist}")
cd "$root"
here=experiments/time_to_accuracy
curves=${CURVES:-../shared/reference/resist-curves}
[ -d "$curves" ] || { echo "no curves at $curves (set CURVES)"; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
rounds=313 # 40 epochs per worker x 391 steps / l = 50 (the simulated schedule's)
{
  echo "# run_extrapolation.sh, $(date -u +%F), load average $(cut -d' ' -f1-3 /proc/loadavg)"
  for ds in CIFAR10 CIFAR100; do
    classes=$([ $ds = CIFAR10 ] && echo 10 || echo 100)
    targets=$([ $ds = CIFAR10 ] && echo 85,88,90,91 || echo 60,63,65,67)
    for cut in 80 110; do
      for proto in resist local_sgd; do
        file=$curves/resist_timing_${ds}_4m_$([ $proto = resist ] && echo ResIST || echo LSGD).csv
        # The published time axis to rounds exactly as `simulate` converts the whole curve (time_s / last x 313),
        # so the cut curve sits on the same rounds; then keep rounds <= cut.
        awk -F, -v n=$rounds 'NR > 1 { t[NR] = $1; a[NR] = $2; last = $1 }
          END { print "round,acc_pct"; for (i = 2; i <= NR; i++) printf "%.4f,%s\n", t[i] / last * n, a[i] }' \
          "$file" > "$tmp/${proto}_full.csv"
        awk -F, -v c=$cut 'NR == 1 || $1 <= c' "$tmp/${proto}_full.csv" > "$tmp/${proto}_cut.csv"
      done
      for part in full cut; do
        "$resist" simulate --model preact_resnet101_cifar --classes "$classes" --dataset "${ds,,}" --workers 4 \
          --min-depth 6 --epochs 40 --local-steps 50 --batch 128 --protocols resist,local_sgd \
          --platform aws_p3_8xlarge --algorithm reference --accuracy-curve "resist=$tmp/resist_$part.csv" \
          --accuracy-curve "local_sgd=$tmp/local_sgd_$part.csv" --target-accuracy "$targets" \
          $([ $part = cut ] && echo --accuracy-extrapolate) --format json > "$tmp/$part.json"
      done
      /usr/bin/python3 - "$tmp" "$ds" "$cut" <<'EOF'
import csv, json, sys
tmp, ds, cut = sys.argv[1], sys.argv[2], float(sys.argv[3])
full, part = (json.load(open(f"{tmp}/{p}.json")) for p in ("full", "cut"))
print(f"\n## {ds}, curves cut at round {cut:g} (decay at 156.4), p3.8xlarge (reference collectives)")
for f in part["accuracy_fits"]:
    p = f["protocol"]
    if not f["usable"]:
        print(f"{p}: not extrapolated: {f['why_not']}")
        continue
    rest = [r for r in csv.DictReader(open(f"{tmp}/{p}_full.csv"))
            if cut < float(r["round"]) <= f["reach_round"]]
    errs = [f["a_pct"] - 1 / (f["b"] * (float(r["round"]) - f["first_round"]) + f["c"]) - float(r["acc_pct"])
            for r in rest]
    rms = (sum(e * e for e in errs) / len(errs)) ** 0.5 if errs else float("nan")
    top = max(float(r["acc_pct"]) for r in csv.DictReader(open(f"{tmp}/{p}_full.csv"))
              if float(r["round"]) <= f["reach_round"])
    bias = sum(errs) / len(errs) if errs else float("nan")
    print(f"{p}: best measured before the decay {top:.2f}%; acc(k) = {f['a_pct']:.2f} - 1/({f['b']:.4g} k + {f['c']:.4g}); {f['fitted']} fitted, "
          f"held-back error {f['fit_error_pts']:.2f} pts on {f['held_back']}; on the {len(errs)} hidden evaluations "
          f"of the phase (rounds {cut:g}-{f['reach_round']:g}): RMS {rms:.2f} pts, mean {bias:+.2f}, worst {max(errs, key=abs):+.2f}")
print("protocol   target  whole curve s  cut curve s  how")
for a, b in zip(full["time_to_accuracy"], part["time_to_accuracy"]):
    w = f"{a['time_s']:.0f}" if a["reached"] else "not reached"
    c = f"{b['time_s']:.0f}" if b["reached"] else "not reached"
    how = "extrapolated" if b.get("extrapolated") else ("measured" if b["reached"] else "-")
    print(f"{a['protocol']:<10} {a['target_pct']:>6g}  {w:>13}  {c:>11}  {how}")
EOF
    done
  done
} > "$here/extrapolation.txt"
echo "wrote $here/extrapolation.txt"
