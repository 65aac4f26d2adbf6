#!/usr/bin/env bash
# The runs of run.sh validated again with other `resist validate` options, each into its own file beside
# validation.json, then summarized as summarize_repeats.py does (the
# runs and their validation.csv are left as they were):
#   experiments/validate_cpu/revalidate.sh OUT TAG [VALIDATE OPTIONS...]
#   e.g. revalidate.sh runs/validate_cpu_run12 probe --speed-probe
#        revalidate.sh runs/validate_cpu_run12 nospread --step-variation platform
# Writes OUT/*/<run>/validation_TAG.json and OUT/results_repeats_TAG.txt.
set -euo pipefail
R=$(realpath -m "${RESIST:-$(dirname "$0")/../../build/bin/resist}") # before the cd: a relative RESIST is the caller's
cd "$(dirname "$0")/../.."
OUT=${1:?OUT}; TAG=${2:?TAG}; shift 2
for dir in "$OUT"/rep[0-9]*/*_r[0-9]* "$OUT"/*_r[0-9]*; do
  [ -f "$dir/summary.json" ] || continue
  cp "$dir/validation.csv" "$dir/validation.csv.keep" # validate rewrites it: run.sh's stays
  "$R" validate --run-dir "$dir" --format json --no-plot "$@" > "$dir/validation_$TAG.json" 2> "$dir.validate_$TAG.log"
  mv "$dir/validation.csv.keep" "$dir/validation.csv"
done
VALIDATION="validation_$TAG.json" /usr/bin/python3 experiments/validate_cpu/summarize_repeats.py "$OUT" | tee "$OUT/results_repeats_$TAG.txt"
