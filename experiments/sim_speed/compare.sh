#!/usr/bin/env bash
# Are two simulator builds' results the same? Runs the same cases (8-worker CIFAR runs under every
# collective pattern, 16 and 64 workers on dgx_a100_hdr with hierarchical and nccl, the step replay, data
# parallel, 128 workers over 6 rounds, time-shared cores)
# with both and prints the differing lines (none: "identical"). Used for issue 12's speed changes.
# Usage: experiments/sim_speed/compare.sh path/to/resist_before path/to/resist_after
set -uo pipefail
cases() {
  local R=$1
  # --min-depth applies to resist only (refused elsewhere since 8295911)
  local c8=(--model preact_resnet101_cifar --workers 8 --local-steps 50 --batch 128
            --platform aws_p3_16xlarge --format csv)
  "$R" simulate "${c8[@]}" --min-depth 4 --protocols resist
  "$R" simulate "${c8[@]}" --protocols local_sgd
  "$R" simulate "${c8[@]}" --protocols data_parallel
  "$R" simulate "${c8[@]}" --min-depth 4 --protocols resist --algorithm ring --rounds 20
  "$R" simulate "${c8[@]}" --min-depth 4 --protocols resist --algorithm c10d --rounds 20
  "$R" simulate "${c8[@]}" --protocols data_parallel --no-reuse --rounds 2
  for w in 16 64; do
    "$R" simulate --model preact_resnet101_cifar --workers $w --min-depth 1 --rounds 2 --protocols resist \
      --format csv --platform dgx_a100_hdr --algorithm hierarchical
    "$R" simulate --model preact_resnet101_cifar --workers $w --rounds 2 --protocols local_sgd \
      --format csv --platform dgx_a100_hdr --algorithm hierarchical
    "$R" simulate --model preact_resnet101_cifar --workers $w --min-depth 2 --rounds 2 --protocols resist \
      --format csv --platform dgx_a100_hdr --algorithm nccl
  done
  "$R" simulate "${c8[@]}" --min-depth 4 --protocols resist --algorithm reference --rounds 40
  local d16=(--model preact_resnet101_cifar --workers 16 --rounds 3 --format csv --platform dgx_a100_hdr)
  "$R" simulate "${d16[@]}" --min-depth 1 --protocols resist --replay steps
  "$R" simulate "${d16[@]}" --min-depth 1 --protocols resist --replay steps --algorithm reference
  "$R" simulate "${d16[@]}" --protocols data_parallel
  "$R" simulate "${d16[@]}" --protocols data_parallel --algorithm reference
  # many rounds of many workers: helper and sender actors, mailboxes recycled, the bounded reuse cache
  "$R" simulate --model preact_resnet101_cifar --workers 128 --min-depth 1 --rounds 6 --protocols resist,local_sgd \
    --format csv --platform dgx_a100_hdr
  "$R" simulate --model preact_resnet101_cifar --workers 128 --min-depth 1 --rounds 6 --protocols resist \
    --format csv --platform dgx_a100_hdr --algorithm reference
  "$R" simulate --model preact_resnet101_cifar --workers 32 --min-depth 1 --rounds 2 --protocols resist --format csv \
    --platform parametric:nodes=8,gpus_per_node=4,cores_per_node=2 --algorithm reference
}
# Everything but sim_wall_s (the last column: host seconds).
diff <(cases "$1" | cut -d, -f1-11) <(cases "$2" | cut -d, -f1-11) && echo identical
