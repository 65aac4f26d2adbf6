#!/usr/bin/env bash
# Startup of a 4-rank run against its profile's @startup, side by side: `resist profile --ranks N` and
# `resist train --nproc N` of the small model, alternating, three pairs, with the load average before each.
# Used to find (and to check the fix of) the 0.62 s that empty store values cost every 4-rank startup.
#   experiments/validate_cpu/startup_probe.sh [path/to/resist] [N]     (about 2 minutes)
set -euo pipefail
R=$(realpath -m "${1:-${RESIST:-$(dirname "$0")/../../build/bin/resist}}") # before the cd: a relative path is the caller's
cd "$(dirname "$0")/../.."
N=${2:-4}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
DATA=(--in-channels 1 --image-size 28 --dataset fashion_mnist --test-size 2000)
M=(--model preact_resnet_small --batch 128 --train-size 6400 --local-steps 5)
for i in 1 2 3; do
  echo "load average: $(cut -d' ' -f1 /proc/loadavg)"
  "$R" profile "${M[@]}" --rounds 8 "${DATA[@]}" --threads 1 --ranks "$N" -q --out "$tmp/p$i.csv" > /dev/null
  echo "profile $i: @startup $(grep '^@startup' "$tmp/p$i.csv" | cut -d, -f3) s"
  "$R" train --nproc "$N" --protocol local_sgd "${M[@]}" --rounds 1 "${DATA[@]}" --lr 0.05 --threads 1 -q \
    --run-dir "$tmp/t$i" > /dev/null
  /usr/bin/python3 -c "import json; d = json.load(open('$tmp/t$i/summary.json'))
print('train $i: startup %.2f s, parts' % d['startup_s'], {k: round(v, 2) for k, v in d['startup_parts_s'].items()})"
done
