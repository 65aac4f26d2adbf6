#!/usr/bin/env bash
# Quick start, command 1: install what is missing, build, and run the main job on its embedded default:
#   1. the paper's communication table (Table 1) recomputed from first principles, next to the published one;
#   2. the paper's wall-clock table (Table 3) simulated on SimGrid models of its hardware;
#   3. a short real 2-worker ResIST training on Fashion-MNIST (LibTorch + Gloo) and its test accuracy;
#   4. `resist validate` of that run: this machine profiled, the run's schedule simulated on it, predicted
#      against measured round by round (and runs/quickstart/validation.png).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
echo
build/bin/resist paper
if [ -x build/bin/resist ] && build/bin/resist train --help > /dev/null 2>&1; then
  echo
  echo "Real training: ResIST, 2 workers (local processes, Gloo over loopback), preact_resnet_small on"
  echo "Fashion-MNIST (6,400 training images x 2 epochs per worker, 10 rounds of 10 local steps; ~1-2 min):"
  build/bin/resist train --nproc 2 --protocol resist --model preact_resnet_small --in-channels 1 --image-size 28 \
    --dataset fashion_mnist --train-size 6400 --epochs 2 --local-steps 10 --lr 0.05 --test-size 2000 \
    --run-dir runs/quickstart
  echo
  echo "How well did the simulator predict that run? (profiles this machine first: ~1 min)"
  build/bin/resist validate --run-dir runs/quickstart --remeasure
fi
