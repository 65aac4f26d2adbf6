#!/usr/bin/env bash
# IST vs local SGD vs data parallel, really trained: Fashion-MNIST (Debian's dataset-fashion-mnist), three
# fully connected nets (mlp_fmnist 784-1024-1024-10, mlp_fmnist_2l_wide 784-4096-10, mlp_fmnist_3l_wide
# 784-2048-2048-10), 2 and 4 CPU workers (one rank each, 1 thread each), the same budget for every
# protocol: 6 rounds of l = 10 steps of batch 64 per worker (each worker shuffles the whole training set),
# plain SGD lr 0.1; test accuracy on the first 5,000 test images after rounds 3 and 6.
# Expected (IST's paper, Yuan et al.): IST's accuracy close to (the paper: at or above) local SGD's and data
# parallel's, at a lower cost per round: each IST worker computes on 1/S of the hidden neurons (1/S^2 of a
# middle matrix) and sends only its slice, against the whole model (local SGD, once a round) or the whole
# gradient (data parallel, every step).
# Usage: [MODELS='mlp_fmnist ...'] [WORKERS='2 4'] experiments/train_ist/run.sh   (repository root, after
# building build/bin/resist; RESIST=path/to/resist to use another build)
# Writes results/<model>_<protocol>_S<workers>/ (run directories) and prints the summary table.
set -euo pipefail
RESIST=$(realpath -m "${RESIST:-$(dirname "$0")/../../build/bin/resist}") # before the cd: a relative RESIST is the caller's
cd "$(dirname "$0")/../.."
OUT=experiments/train_ist/results
mkdir -p "$OUT"
echo "load average at start: $(cat /proc/loadavg)" | tee "$OUT/loadavg.txt"
for M in ${MODELS:-mlp_fmnist mlp_fmnist_2l_wide mlp_fmnist_3l_wide}; do
  for S in ${WORKERS:-2 4}; do
    # The three protocols back to back, so a change in the shared machine's load hits them alike.
    for P in ist local_sgd data_parallel; do
      NAME=${M}_${P}_S$S
      echo "== $M, $P, $S workers ($(cut -d' ' -f1-3 /proc/loadavg))"
      "$RESIST" --config experiments/train_ist/config.toml train --model "$M" --nproc "$S" --protocol "$P" \
        -q --run-dir "$OUT/$NAME" 2>&1 | tee "$OUT/$NAME.log"
    done
  done
done
echo "load average at end: $(cat /proc/loadavg)" | tee -a "$OUT/loadavg.txt"
python3 experiments/train_ist/summarize.py "$OUT"
