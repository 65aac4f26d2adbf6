#!/usr/bin/env bash
# Whole runs at cluster scale (issue 25, point 9; a benchmark, not a test): does a run's time and memory grow
# with its rounds? ResIST on dgx_a100_hdr (preact_resnet101_cifar, min depth 1), whole `resist simulate`
# commands as a user runs them, stderr not a terminal. Per case: wall and CPU seconds, peak memory (max RSS,
# /usr/bin/time), the result's total_s and comm_s (to compare binaries), the load average before it.
# Usage: experiments/sim_speed/rounds.sh LABEL WORKERS ROUNDS [ALGORITHM] [path/to/resist] (one CSV row, no header;
# header: experiments/sim_speed/rounds.sh --header). ALGORITHM "-" or empty: simulate's default (nccl).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [ "${1:-}" = --header ]; then
  echo "binary,workers,rounds,algorithm,wall_s,user_s,sys_s,max_rss_kB,total_s,comm_s,sim_wall_s,load1"
  exit 0
fi
label=$1 workers=$2 rounds=$3 algo=${4:--}
resist=${5:-${RESIST:-$here/../../build/bin/resist}}
args=(simulate --model preact_resnet101_cifar --workers "$workers" --min-depth 1 --rounds "$rounds"
      --protocols resist --platform dgx_a100_hdr --format csv)
[ "$algo" != - ] && args+=(--algorithm "$algo")
load=$(cut -d' ' -f1 /proc/loadavg)
out=$(mktemp)
/usr/bin/time -o "$out.time" -f "%e,%U,%S,%M" "$resist" "${args[@]}" > "$out" 2> "$out.err"
rc=$?
# total_s (column 4), comm_s (7), sim_wall_s (last) of the result row
res=$(tail -1 "$out" | awk -F, '{ printf "%s,%s,%s", $4, $7, $NF }')
[ $rc = 0 ] || res=",,exit $rc"
echo "$label,$workers,$rounds,${algo/-/nccl},$(tail -1 "$out.time"),$res,$load"
rm -f "$out" "$out.time" "$out.err"
