#!/usr/bin/env bash
# ResIST vs local SGD, really trained: Fashion-MNIST (Debian's dataset-fashion-mnist), preact_resnet_small
# at 1x28x28, 2 and 4 CPU workers (one rank each, 1 thread each), the same epoch budget for both protocols.
# Expected (the ResIST paper's claims, at CPU scale): ResIST's final test accuracy within 1 point of local
# SGD's; ResIST's time per round below local SGD's, because each sub-network runs the shared blocks plus
# only 1/S of the 7 partitioned stage-3 blocks (about 0.67x of the full net's MACs at S=2, 0.50x at S=4),
# while on loopback communication is a small share of the round for both.
# Usage: [WORKERS='2 4'] [SEED=1] experiments/train_fmnist/run.sh   (from the repository root, after
# building build/bin/resist; RESIST=path/to/resist to use another build)
# Writes results/<protocol>_S<workers>/ (run directories) and prints the summary table.
set -euo pipefail
RESIST=$(realpath -m "${RESIST:-$(dirname "$0")/../../build/bin/resist}") # before the cd: a relative RESIST is the caller's
cd "$(dirname "$0")/../.."
OUT=experiments/train_fmnist/results
mkdir -p "$OUT"
for S in ${WORKERS:-2 4}; do
  for P in local_sgd resist; do
    NAME=${P}_S$S${SEED:+_seed$SEED}
    echo "== $P, $S workers, seed ${SEED:-1}"
    "$RESIST" --config experiments/train_fmnist/config.toml train --nproc "$S" --protocol "$P" --seed "${SEED:-1}" \
      -q --run-dir "$OUT/$NAME" 2>&1 | tee "$OUT/$NAME.log"
  done
done
python3 experiments/train_fmnist/summarize.py "$OUT"
