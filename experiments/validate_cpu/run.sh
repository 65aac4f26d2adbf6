#!/usr/bin/env bash
# How accurately does the simulator predict real runs on this machine? Real Fashion-MNIST training
# (resist train, Gloo over loopback) of two models x three protocols x two placements (2 ranks of 1
# thread on the 2 cores; 4 ranks time-sharing them), each held against the simulation of its own
# schedule by `resist validate`. One profile per model and rank count, measured right before that model's
# runs on that many ranks, and one platform per rank count, measured first (resist profile), are shared by
# the runs. Writes $OUT/results.csv and prints the table.
#   [RESIST=path/to/resist] experiments/validate_cpu/run.sh [OUT]   (default build/bin/resist, runs/validate_cpu;
#                                                 about 15 minutes on 2 cores)
#   REPEATS=3 experiments/validate_cpu/run.sh OUT  the whole experiment 3 times (OUT/rep1 ..., each with its
#                                                 own profiles and platforms), then the medians over them
set -euo pipefail
R=$(realpath -m "${RESIST:-$(dirname "$0")/../../build/bin/resist}") # before the cd: a relative RESIST is the caller's
cd "$(dirname "$0")/../.."
OUT=${1:-runs/validate_cpu}
mkdir -p "$OUT"
if [ "${REPEATS:-1}" -gt 1 ]; then
  for k in $(seq 1 "$REPEATS"); do
    echo "== repetition $k of $REPEATS"
    REPEATS=1 ROTATE=$((k - 1)) "$0" "$OUT/rep$k"
  done
  /usr/bin/python3 experiments/validate_cpu/summarize_repeats.py "$OUT" | tee "$OUT/results_repeats.txt"
  exit 0
fi
DATA=(--in-channels 1 --image-size 28 --dataset fashion_mnist --test-size 2000)
declare -A MODEL_ARGS=(
  [preact_resnet_small]="--model preact_resnet_small --batch 128 --train-size 6400 --rounds 8 --local-steps 5"
  [preact_resnet110_cifar]="--model preact_resnet110_cifar --batch 64 --train-size 3200 --rounds 6 --local-steps 4"
)
MODELS=${MODELS:-"preact_resnet_small preact_resnet110_cifar"}
PROTOCOLS=${PROTOCOLS:-"resist local_sgd data_parallel"}
# Repetition k runs the protocols in an order rotated k - 1 places. Until run 13 ResIST always ran first
# after each profile, and the first run after the larger model's 4-rank profile starts 0.7-0.9 s slower than
# the runs after it, whichever protocol it is (startup_by_place.py, order_check.sh).
read -r -a PLIST <<< "$PROTOCOLS"
ROT=$(( ${ROTATE:-0} % ${#PLIST[@]} ))
PROTOCOLS="${PLIST[*]:$ROT} ${PLIST[*]:0:$ROT}"
RANKS=${RANKS:-"2 4"}

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for n in $RANKS; do
  [ -s "$OUT/platform_r$n.toml" ] || "$R" profile --comm --nproc "$n" --threads 1 --repeats 7 -q \
    --out "$OUT/platform_r$n.toml" > "$OUT/platform_r$n.log"
done
for m in $MODELS; do
  for n in $RANKS; do
    # Each profile right before the runs it predicts: this VM's speed drifts 5-10% over minutes, and a
    # profile taken at the start of the experiment was 3-13 minutes older than the runs it served.
    # As many profiling processes at once as the run has ranks: their CPU seconds carry what sharing the
    # cores costs (caches, switches); dividing the cores' time among them is the simulator's part.
    [ -s "$OUT/profile_${m}_r$n.csv" ] || "$R" profile ${MODEL_ARGS[$m]} "${DATA[@]}" --threads 1 --ranks "$n" -q \
      --out "$OUT/profile_${m}_r$n.csv" > "$OUT/profile_${m}_r$n.log"
    for p in $PROTOCOLS; do
      dir="$OUT/${m}_${p}_r$n"
      rm -rf "$dir"
      "$R" train --nproc "$n" --protocol "$p" ${MODEL_ARGS[$m]} "${DATA[@]}" --lr 0.05 --threads 1 -q \
        --run-dir "$dir" > "$dir.train.log" 2>&1
      cp "$OUT/profile_${m}_r$n.csv" "$dir/profile.csv"
      cp "$OUT/platform_r$n.toml" "$dir/platform.toml"
      "$R" validate --run-dir "$dir" --format json > "$dir/validation.json" 2> "$dir.validate.log"
      echo "$m $p $n ranks: $(/usr/bin/python3 -c "import json,sys; s=json.load(open('$dir/validation.json'))['summary']; print('median %+.1f%%, whole run %+.1f%%' % (s['median_round_error_pct'], s['total_error_pct']))")"
    done
  done
done
/usr/bin/python3 experiments/validate_cpu/summarize.py "$OUT" | tee "$OUT/results.txt"
