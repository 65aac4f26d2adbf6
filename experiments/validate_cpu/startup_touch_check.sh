#!/usr/bin/env bash
# Does touching memory between the profile and the run remove the slow first start after the larger model's
# 4-rank profile (startup_by_place.py)? Alternately "touch" (the profile, a process writing one byte per page
# of TOUCH_GB gigabytes, then a local_sgd run) and "plain" (the profile, then the run), PAIRS times each.
# Prints the run's startup seconds, its libraries_and_setup and data parts, the load average before the run,
# and the lowest MemFree seen while profiling. About 2 minutes per line on 2 idle cores.
#   experiments/validate_cpu/startup_touch_check.sh [OUT] [PAIRS]   (default runs/startup_touch_check, 2)
set -euo pipefail
R=$(realpath -m "${RESIST:-$(dirname "$0")/../../build/bin/resist}") # before the cd: a relative RESIST is the caller's
cd "$(dirname "$0")/../.."
OUT=${1:-runs/startup_touch_check}
PAIRS=${2:-2}
TOUCH_GB=${TOUCH_GB:-4.5}
mkdir -p "$OUT"
DATA=(--in-channels 1 --image-size 28 --dataset fashion_mnist --test-size 2000)
M="--model preact_resnet110_cifar --batch 64 --train-size 3200 --rounds 6 --local-steps 4"
echo "kind   startup_s  libraries_and_setup_s  data_s  load_before  min_memfree_GB_while_profiling"
for k in $(seq 1 "$PAIRS"); do
  for kind in touch plain; do
    ( while true; do awk '/^MemFree/ {print $2}' /proc/meminfo; sleep 1; done ) > "$OUT/memfree.txt" &
    watcher=$!
    "$R" profile $M "${DATA[@]}" --threads 1 --ranks 4 -q --out "$OUT/profile.csv" > "$OUT/profile.log" 2>&1
    kill "$watcher"; wait "$watcher" 2>/dev/null || true
    if [ "$kind" = touch ]; then
      /usr/bin/python3 -c "
b = bytearray(int($TOUCH_GB * 2**30))
for i in range(0, len(b), 4096): b[i] = 1"
    fi
    load=$(cut -d' ' -f1 /proc/loadavg)
    rm -rf "$OUT/run"
    "$R" train --nproc 4 --protocol local_sgd $M "${DATA[@]}" --lr 0.05 --threads 1 -q --run-dir "$OUT/run" > "$OUT/train.log" 2>&1
    /usr/bin/python3 - "$OUT" "$kind" "$load" <<'PY'
import json, sys
out, kind, load = sys.argv[1:]
s = json.load(open(out + "/run/summary.json"))
p = s["startup_parts_s"]
mem = min(int(x) for x in open(out + "/memfree.txt") if x.strip()) / 2**20
print(f"{kind:6s} {s['startup_s']:9.2f}  {p['libraries_and_setup']:21.2f}  {p['data']:6.2f}  {float(load):11.2f}  {mem:.1f}")
PY
  done
done
