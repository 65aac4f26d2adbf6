#!/usr/bin/env bash
# Simulator scaling (a benchmark, not a test): one ResIST round of preact_resnet101_cifar on dgx_a100_hdr
# (8 A100 per node, HDR fat-tree) with the hierarchical all-reduce, 8 to 16,384 workers, whole `resist`
# invocations as a user runs them. Per case: wall and CPU seconds, peak memory (max RSS of the process
# tree's largest member, /usr/bin/time), the simulation's own seconds, and the load average before it.
# A case over the time limit stops its series (larger ones would too) and is recorded as a timeout.
# Usage: [RESIST=path/to/resist] experiments/sim_speed/scaling.sh [path/to/resist] [limit_s] > scaling.csv
# (default build/bin/resist; a path as the first argument overrides RESIST)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
resist=${1:-${RESIST:-$here/../../build/bin/resist}}
limit=${2:-120}
echo "workers,min_depth,wall_s,user_s,sys_s,max_rss_kB,sim_wall_s,load1,status"
for depth in 1 4; do
  stop=0
  for w in 8 16 32 64 128 256 512 1024 2048 4096 8192 16384; do
    load=$(cut -d' ' -f1 /proc/loadavg)
    if [ $stop = 1 ]; then echo "$w,$depth,,,,,,$load,skipped"; continue; fi
    out=$(mktemp)
    /usr/bin/time -o "$out.time" -f "%e,%U,%S,%M" timeout "$limit" "$resist" simulate --model preact_resnet101_cifar \
      --workers "$w" --min-depth "$depth" --rounds 1 --protocols resist --platform dgx_a100_hdr \
      --algorithm hierarchical --format csv > "$out" 2>/dev/null
    rc=$?
    t=$(tail -1 "$out.time")
    if [ $rc = 0 ]; then
      echo "$w,$depth,$t,$(tail -1 "$out" | awk -F, '{ print $NF }'),$load,ok"
    else
      echo "$w,$depth,$t,,$load,$([ $rc = 124 ] && echo timeout || echo "exit $rc")"
      stop=1
    fi
    rm -f "$out" "$out.time"
  done
done
