#!/usr/bin/env bash
# Regenerates experiments/baselines/comm_volume.csv ON PURPOSE, after a deliberate change to the
# communication accounting. The test `comm volume matches the checked-in baseline` fails, naming the
# cell, whenever a value drifts from this file. Usage: [RESIST=path/to/resist] scripts/update-comm-baseline.sh
# (default build/bin/resist; a path as the first argument still works)
set -euo pipefail
R=$(realpath -m "${1:-${RESIST:-$(dirname "$0")/../build/bin/resist}}") # before the cd: a relative path is the caller's
cd "$(dirname "$0")/.."
out=experiments/baselines/comm_volume.csv
tmp=$(mktemp "$out.XXXXXX")
trap 'rm -f "$tmp"' EXIT
grid() { "$R" comm --format csv --algorithm ring "$@"; }
{
  grid --model preact_resnet101_cifar --classes 100 --protocol resist,local_sgd,data_parallel --workers 2,4,8 --min-depth 0,4,6
  grid --model preact_resnet110_cifar --protocol resist,local_sgd,data_parallel --workers 2,4,8 --min-depth 0,3 | tail -n +2
  grid --model resnet50 --protocol resist,local_sgd,data_parallel --workers 2,4 --min-depth 0,2 | tail -n +2
  grid --model resnet152 --protocol resist,local_sgd --workers 2,4,8,16 --min-depth 0,4 | tail -n +2
  grid --model wrn28_10 --protocol resist,local_sgd --workers 2,4,8 --min-depth 1,2 | tail -n +2
  grid --model mlp_speech_2l --protocol ist,local_sgd,data_parallel --workers 2,4,8 | tail -n +2
  grid --model mlp_speech_3l --protocol ist --workers 2,4,8 | tail -n +2
} > "$tmp"
mv "$tmp" "$out"
trap - EXIT
echo "wrote $out ($(($(wc -l < "$out") - 1)) cells)"
