#!/usr/bin/env bash
# layer_parallel (a RECONSTRUCTION of AuxNet layer-parallel training, see core/layer_parallel.hpp) against
# layer-serial training (data parallel on 1 rank: the same images, the same steps) and ResIST, really trained:
# Fashion-MNIST (Debian's dataset-fashion-mnist), preact_resnet_small at 1x28x28, K = 2 and 4 ranks of one
# thread each, one after the other on this machine. Every protocol runs 2 epochs of the first 8,000 images.
# Under layer_parallel all K ranks share one batch per step (K modules of one network), so it sees the
# serial run's images; data parallel and ResIST workers each iterate the whole subset (S x the images).
# Expected: the simulator's bound says layer_parallel's step is at best (T_d + aux + (T_f + T_b) / K): with
# K ranks on K free cores, up to ~1.7x (K=2) / ~2.5x (K=4) faster per step than serial; on this 2-core machine
# K = 4 time-shares 2 cores, so less. Accuracy: below serial training at the same epochs (the AuxNet's
# targets are approximations of the real activations; local losses do not carry the label to early modules).
# Usage: [K='2 4'] experiments/train_layer_parallel/run.sh   (repository root; RESIST=path/to/resist)
set -euo pipefail
RESIST=$(realpath -m "${RESIST:-$(dirname "$0")/../../build/bin/resist}") # before the cd: a relative RESIST is the caller's
cd "$(dirname "$0")/../.."
OUT=experiments/train_layer_parallel/results
CFG=experiments/train_layer_parallel/config.toml
mkdir -p "$OUT"
run() { # NAME, then resist train options
  local name=$1; shift
  echo "== $name  (load average $(cut -d' ' -f1-3 /proc/loadavg))"
  "$RESIST" --config "$CFG" train -q --run-dir "$OUT/$name" "$@" 2>&1 | tee "$OUT/$name.log"
}
run serial_S1 --nproc 1 --protocol data_parallel
for K in ${K:-2 4}; do
  run layer_parallel_K$K --nproc "$K" --protocol layer_parallel
  [ "$K" = 2 ] && run layer_parallel_al_K$K --nproc "$K" --protocol layer_parallel --lp-method al
  run resist_S$K --nproc "$K" --protocol resist
done
python3 experiments/train_layer_parallel/summarize.py "$OUT"
