#!/usr/bin/env bash
# Simulator speed on this machine (a benchmark, not a test). Expected (README.md): the full CIFAR run
# (313 rounds, 8 workers) for resist + local_sgd under 1 s, data_parallel under 0.5 s, one ResIST round
# at 1,024 workers under 0.5 s. Usage: [RESIST=path/to/resist] experiments/sim_speed/run.sh
# (default build/bin/resist; a path as the first argument still works)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
resist=${1:-${RESIST:-$here/../../build/bin/resist}}
t() { local start=$EPOCHREALTIME; "$@" > /dev/null; awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f", b - a }'; }
cifar8=(--model preact_resnet101_cifar --workers 8 --min-depth 4 --local-steps 50 --batch 128
        --platform aws_p3_16xlarge --format csv)
echo "case,wall_s"
echo "cifar_8w_resist+local_sgd,$(t "$resist" simulate "${cifar8[@]}" --protocols resist,local_sgd)"
echo "cifar_8w_data_parallel,$(t "$resist" simulate "${cifar8[@]}" --protocols data_parallel)"
echo "cifar_8w_local_sgd_no_reuse,$(t "$resist" simulate "${cifar8[@]}" --protocols local_sgd --no-reuse)"
echo "cifar_8w_data_parallel_no_reuse_2_rounds,$(t "$resist" simulate "${cifar8[@]}" --protocols data_parallel --no-reuse --rounds 2)"
echo "cifar_8w_resist_ring,$(t "$resist" simulate "${cifar8[@]}" --protocols resist --algorithm ring)"
r1024=(--model preact_resnet101_cifar --workers 1024 --min-depth 1 --rounds 1 --protocols resist --format csv)
echo "resist_1024w_1round_hierarchical_dgx_a100_hdr,$(t "$resist" simulate "${r1024[@]}" --platform dgx_a100_hdr --algorithm hierarchical)"
echo "resist_1024w_1round_hierarchical_star128x8,$(t "$resist" simulate "${r1024[@]}" --platform parametric:nodes=128,gpus_per_node=8,gpu=A100,intra_bw_GBps=300,nic_bw_GBps=25,nics_per_node=8 --algorithm hierarchical)"
echo "paper_table_12_simulations,$(t "$resist" simulate --paper-table)"
