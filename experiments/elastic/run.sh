#!/usr/bin/env bash
# What losing one of 4 ranks costs a real ResIST run, and whether the simulator predicts it: Fashion-MNIST on
# 4 local ranks (config.toml), three runs of the same schedule:
#   full     no loss
#   elastic  --elastic: rank 3 killed at the start of round 3 (a third of the 9 rounds); 3 survivors finish
#   restart  no --elastic: the run stops at the loss, then --resume from its last checkpoint on 4 ranks
#            (wall-clock: both parts and the gap between them)
# then each held against the simulator: `resist validate` (the elastic run's loss replayed from its events.csv
# and schedule.1.json) and `resist simulate --events --restart-from-checkpoint resist` for the restart.
# Expected: the elastic run ends about as fast as the full one plus its recovery (1.5 x --timeout-s), at a
# slightly lower accuracy (3 workers' sub-networks after the loss); the restart pays the stop, a new start and
# the lost round again, at the full run's accuracy.
# Usage: [RESIST=path/to/resist] [PREDICT_ONLY=1] experiments/elastic/run.sh [OUT]
#   (default OUT: experiments/elastic/results; PREDICT_ONLY=1: the predictions again, on the runs already in OUT)
# Writes OUT/{full,elastic,restart}/ (run directories), OUT/*.log, OUT/times.csv and OUT/summary.md.
set -euo pipefail
RESIST=$(realpath -m "${RESIST:-$(dirname "$0")/../../build/bin/resist}") # before the cd: a relative RESIST is the caller's
HERE=$(realpath "$(dirname "$0")")
OUT=$(realpath -m "${1:-$HERE/results}")
cd "$HERE/../.."
CFG=(--config "$HERE/config.toml")
FAULT=(--fault-die-at-round 3 --fault-rank 3)
mkdir -p "$OUT"
now() { date +%s.%N; }
load() { cut -d' ' -f1 /proc/loadavg; }
timed() { # NAME PART LOG: runs the rest, one times.csv row
  local name=$1 part=$2 log=$3 t0 l0 rc=0
  shift 3
  t0=$(now); l0=$(load)
  "$@" > "$log" 2>&1 || rc=$?
  echo "$name,$part,$l0,$(load),$(awk -v a="$(now)" -v b="$t0" "BEGIN { print a - b }"),$rc" >> "$OUT/times.csv"
  echo "== $name $part: exit $rc, $(tail -1 "$log")"
}
T=("$RESIST" "${CFG[@]}" train --nproc 4 -q)
if [ -z "${PREDICT_ONLY:-}" ]; then
rm -rf "$OUT/full" "$OUT/elastic" "$OUT/restart"
echo "run,part,start_load,end_load,wall_s,exit" > "$OUT/times.csv"
timed full all "$OUT/full.log" "${T[@]}" --run-dir "$OUT/full"
timed elastic all "$OUT/elastic.log" "${T[@]}" --elastic --run-dir "$OUT/elastic" "${FAULT[@]}"
t_stop=$(now)
timed restart stopped "$OUT/restart.1.log" "${T[@]}" --checkpoint-every 1 --run-dir "$OUT/restart" "${FAULT[@]}"
timed restart resumed "$OUT/restart.2.log" "${T[@]}" --checkpoint-every 1 --run-dir "$OUT/restart" --resume
echo "restart,whole,,,$(awk -v a="$(now)" -v b="$t_stop" "BEGIN { print a - b }"),0" >> "$OUT/times.csv"
fi

# The predictions: the full run's profile and platform of this machine, measured once by validate, for all.
rm -f "$OUT/predict.err"
V=("$RESIST" validate --no-plot --background-threads auto) # other programs' load from the runs' load averages
"${V[@]}" --run-dir "$OUT/full" --format json > "$OUT/full.validate.json" 2> "$OUT/predict.err"
P=(--profile "$OUT/full/profile.csv" --platform "$OUT/full/platform.toml")
"${V[@]}" "${P[@]}" --run-dir "$OUT/elastic" > "$OUT/elastic.validate.txt" 2>> "$OUT/predict.err"
"${V[@]}" "${P[@]}" --run-dir "$OUT/elastic" --recovery model > "$OUT/elastic.validate_model.txt" 2>> "$OUT/predict.err"
"${V[@]}" "${P[@]}" --run-dir "$OUT/elastic" --format json > "$OUT/elastic.validate.json" 2>> "$OUT/predict.err"
# The restart as the simulator sees it: the run's schedule, the loss in round 3 (the trainer's events.csv form),
# a checkpoint every round; detection and restart at the simulator's defaults (60 s, 120 s), then detection 0
# (a killed rank's socket closes at once) and the restart as the resumed part's measured startup.
printf 'time_s,round,worker,event,factor,until_s\n,3,3,fail,,\n' > "$OUT/restart.events.csv"
S=("$RESIST" simulate --schedule "$OUT/full/schedule.json" "${P[@]}" --algorithm c10d --threads 1
   --events "$OUT/restart.events.csv" --restart-from-checkpoint resist --checkpoint-every 1 --format json)
"${S[@]}" > "$OUT/restart.simulate_defaults.json" 2>> "$OUT/predict.err"
startup_s=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["startup_s"])' "$OUT/restart/summary.json")
"${S[@]}" --fault-detect-s 0 --restart-s "$startup_s" > "$OUT/restart.simulate_measured.json" 2>> "$OUT/predict.err"
python3 "$HERE/summarize.py" "$OUT" > "$OUT/summary.md"
cat "$OUT/summary.md"
