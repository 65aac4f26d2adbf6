#!/usr/bin/env bash
# Time per round only, measured in alternation: short runs (3 rounds of 20 steps) of local SGD and ResIST
# back to back, REPEATS times, so background load on the shared machine hits both protocols alike. The
# accuracy runs (run.sh) ran one protocol after the other; this is the fairer time comparison.
# Usage: experiments/train_fmnist/timing.sh   (from the repository root) -> results/timing/, a table
set -euo pipefail
RESIST=$(realpath -m "${RESIST:-$(dirname "$0")/../../build/bin/resist}") # before the cd: a relative RESIST is the caller's
cd "$(dirname "$0")/../.."
OUT=experiments/train_fmnist/results/timing
mkdir -p "$OUT"
COMMON=(--model preact_resnet_small --in-channels 1 --image-size 28 --dataset fashion_mnist
        --train-size 20000 --rounds 3 --batch 128 --local-steps 20 --lr 0.05 --seed 1
        --test-size 100 --threads 1 --timeout-s 600 -q)
for rep in $(seq 1 "${REPEATS:-3}"); do
  for S in ${WORKERS:-2 4}; do
    for P in local_sgd resist; do
      "$RESIST" train --nproc "$S" --protocol "$P" "${COMMON[@]}" --run-dir "$OUT/${P}_S${S}_rep$rep" > /dev/null
    done
  done
done
python3 experiments/train_fmnist/summarize.py "$OUT" | sed 's/| acc after round |$/|/'
