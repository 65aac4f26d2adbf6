#!/usr/bin/env bash
# Time to accuracy, really trained and predicted: Fashion-MNIST (Debian's dataset-fashion-mnist), preact_resnet_small
# at 1x28x28, ResIST / local SGD / data parallel on 2 and 4 CPU ranks (1 thread each), two seeds, the same budget in
# global epochs (equal images over all workers), lr decayed x0.1 after 50% and 75% of it. For each run: the time to
# each target accuracy measured (eval.csv's train_s: the rounds' own seconds, evaluation excluded) against predicted
# (`resist validate`: the run's schedule simulated on this machine's profile), then the same curves re-timed on the
# paper's p3.8xlarge and on one 8 x H100 node (`resist simulate --accuracy-curve`). About 30 min on 2 idle cores.
# Usage: [RESIST=path/to/resist] [SEEDS='1 2'] [WORKERS='2 4'] [TARGETS=60,70,74.5] [OUT=dir] \
#        experiments/time_to_accuracy/run_fmnist.sh      (then summarize_fmnist.py OUT prints the tables)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
resist=$(realpath "${RESIST:-$root/build/bin/resist}")
out=$(realpath -m "${OUT:-$root/experiments/time_to_accuracy/fmnist_results}")
targets=${TARGETS:-60,70,74.5}
mkdir -p "$out"
# The schedule's options: train and simulate must build the same schedule (its hash is checked).
sched=(--model preact_resnet_small --in-channels 1 --image-size 28 --dataset fashion_mnist --train-size 5000
       --global-epochs 6 --batch 128 --local-steps 5 --lr 0.05 --momentum 0.9 --weight-decay 5e-4)
for seed in ${SEEDS:-1 2}; do
  for S in ${WORKERS:-2 4}; do
    for P in resist local_sgd data_parallel; do
      d="$out/${P}_S${S}_seed$seed"
      if [ -s "$d/summary.json" ]; then
        echo "== $d exists: trained, only validated again"
      else
        rm -rf "$d"
        echo "== $P, $S ranks, seed $seed; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
        # Evaluate 6-8 times a run (24 rounds at S = 2, 12 at S = 4).
        "$resist" train "${sched[@]}" --protocol "$P" --workers "$S" --nproc "$S" --seed "$seed" --threads 1 \
          --test-size 2000 --eval-every $((S == 2 ? 3 : 2)) --timeout-s 600 -q --run-dir "$d" > "$d.log" 2>&1 ||
          { echo "train failed: $d.log"; tail -3 "$d.log"; exit 1; }
      fi
      # One profile per protocol and rank count and one platform per rank count, measured by validate for the
      # first such run and reused by the others (the seed changes neither): 6 profiles, not 12.
      for f in "$out/${P}_S${S}"_seed*/profile.csv; do [ -s "$d/profile.csv" ] || [ ! -s "$f" ] || cp "$f" "$d/"; done
      for f in "$out"/*_S${S}_seed*/platform.toml; do
        [ -s "$d/platform.toml" ] || [ ! -s "$f" ] || cp "$f" "${f%.toml}.comm.csv" "$d/"
      done
      "$resist" validate --run-dir "$d" --target-accuracy "$targets" --no-plot --format json > "$d.validate.json" \
        2> "$d.validate.log" || { echo "validate failed: $d.validate.log"; tail -3 "$d.validate.log"; exit 1; }
    done
  done
done
# The curves re-timed on other hardware, all seeds at once (median and range over them; --seed is the first's).
seeds=(${SEEDS:-1 2})
for S in ${WORKERS:-2 4}; do
  for platform in "aws_p3_8xlarge reference" "hgx_h100_ndr nccl"; do
    set -- $platform
    curves=()
    for P in resist local_sgd data_parallel; do
      list=$(printf "$out/${P}_S${S}_seed%s," "${seeds[@]}")
      curves+=(--accuracy-curve "$P=${list%,}")
    done
    name="$out/retimed_${1}_S${S}"
    "$resist" simulate "${sched[@]}" --workers "$S" --seed "${seeds[0]}" --protocols resist,local_sgd,data_parallel \
      --platform "$1" --algorithm "$2" --target-accuracy "$targets" "${curves[@]}" --format json > "$name.json"
    "$resist" simulate "${sched[@]}" --workers "$S" --seed "${seeds[0]}" --protocols resist,local_sgd,data_parallel \
      --platform "$1" --algorithm "$2" --target-accuracy "$targets" "${curves[@]}" > "$name.txt"
  done
done
/usr/bin/python3 "$root/experiments/time_to_accuracy/summarize_fmnist.py" "$out" "$targets"
