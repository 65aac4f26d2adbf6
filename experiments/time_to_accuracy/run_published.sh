#!/usr/bin/env bash
# The ResIST paper's CIFAR accuracy-vs-time curves (../../../shared/reference/resist-curves/, decoded from the
# reference repository's figure) re-timed by the simulator: on the paper's own hardware (one AWS p3.8xlarge, the
# reference code's collectives) and on one 8 x H100 node (hgx_h100_ndr, 4 of its GPUs, NCCL, the same fp32 PyTorch
# eager step). Writes published_<data set>_<platform>.txt and .png here. About 10 s.
# Usage: RESIST=path/to/resist experiments/time_to_accuracy/run_published.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
resist=$(realpath "${RESIST:-$root/build/bin/resist}")
cd "$root" # paths in the outputs relative to the repository
here=experiments/time_to_accuracy
curves=${CURVES:-../shared/reference/resist-curves}
[ -d "$curves" ] || { echo "no curves at $curves (set CURVES)"; exit 2; }
for ds in CIFAR10 CIFAR100; do
  classes=$([ $ds = CIFAR10 ] && echo 10 || echo 100)
  dataset=$([ $ds = CIFAR10 ] && echo cifar10 || echo cifar100)
  targets=$([ $ds = CIFAR10 ] && echo 80,85,90,92 || echo 55,60,65,70)
  for setup in "aws_p3_8xlarge reference" "hgx_h100_ndr nccl"; do
    set -- $setup
    out="$here/published_${dataset}_$1"
    "$resist" simulate --model preact_resnet101_cifar --classes "$classes" --dataset "$dataset" --workers 4 \
      --min-depth 6 --epochs 40 --local-steps 50 --batch 128 --protocols resist,local_sgd --platform "$1" \
      --algorithm "$2" --accuracy-curve "resist=$curves/resist_timing_${ds}_4m_ResIST.csv" \
      --accuracy-curve "local_sgd=$curves/resist_timing_${ds}_4m_LSGD.csv" --target-accuracy "$targets" \
      --accuracy-plot "$out.png" > "$out.txt"
    echo "wrote $out.txt"
  done
done
