#!/usr/bin/env bash
# Does a run's place after the profile change its error? The larger model on 4 ranks: a profile, then
# resist, local_sgd, resist, data_parallel, resist, each validated against that profile; twice. Appends one
# line per run (median round, rounds, startup and whole-run error, and the startup's libraries_and_setup
# seconds) to OUT/log. About 10 minutes on 2 idle cores.
#   experiments/validate_cpu/order_check.sh [OUT] [PLATFORM_TOML]   (default runs/order_check; the platform of
#                                                                  a run.sh repetition, else measured)
set -euo pipefail
R=$(realpath -m "${RESIST:-$(dirname "$0")/../../build/bin/resist}") # before the cd: a relative RESIST is the caller's
cd "$(dirname "$0")/../.."
OUT=${1:-runs/order_check}
mkdir -p "$OUT"
DATA=(--in-channels 1 --image-size 28 --dataset fashion_mnist --test-size 2000)
M="--model preact_resnet110_cifar --batch 64 --train-size 3200 --rounds 6 --local-steps 4"
if [ -n "${2:-}" ]; then cp "$2" "$OUT/platform_r4.toml"
else "$R" profile --comm --nproc 4 --threads 1 --repeats 7 -q --out "$OUT/platform_r4.toml" > "$OUT/platform_r4.log"; fi
for rep in 1 2; do
  "$R" profile $M "${DATA[@]}" --threads 1 --ranks 4 -q --out "$OUT/profile_$rep.csv" > "$OUT/profile_$rep.log"
  i=0
  for p in resist local_sgd resist data_parallel resist; do
    i=$((i + 1)); dir="$OUT/rep${rep}_${i}_$p"
    rm -rf "$dir"
    "$R" train --nproc 4 --protocol "$p" $M "${DATA[@]}" --lr 0.05 --threads 1 -q --run-dir "$dir" > "$dir.train.log" 2>&1
    cp "$OUT/profile_$rep.csv" "$dir/profile.csv"
    cp "$OUT/platform_r4.toml" "$dir/platform.toml"
    "$R" validate --run-dir "$dir" --format json > "$dir/validation.json" 2> "$dir.validate.log"
    /usr/bin/python3 - "$dir" >> "$OUT/log" <<'PY'
import json, sys
d = sys.argv[1]
j = json.load(open(d + '/validation.json'))
s, parts = j['summary'], {p['name']: p['error_pct'] for p in j['parts']}
setup = json.load(open(d + '/summary.json'))['startup_parts_s']['libraries_and_setup']
print('%s: median %+.1f%%, rounds %+.1f%%, startup %+.1f%%, whole %+.1f%%, libraries_and_setup %.2f s, load %.2f'
      % (d.rsplit('/', 1)[1], s['median_round_error_pct'], parts['rounds'], parts['startup'], s['total_error_pct'],
         setup, j['load_avg_start']))
PY
  done
done
cat "$OUT/log"
