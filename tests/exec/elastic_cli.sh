#!/usr/bin/env bash
# Faults as users meet them, in elastic runs (`resist train --nproc 3 --elastic`): elastic_cli.sh <scenario>,
# RESIST=<binary>. A rank is made to SIGKILL or SIGSTOP itself at the start of a round (--fault-*).
#   dead       rank 2 of 3 killed at round 3: the 2 survivors finish; events.csv holds the loss; the rounds
#              before it evaluate exactly as a run without the fault; without a fault --elastic changes nothing
#   hung       rank 1 of 3 stopped at round 2: the survivors finish and the launcher ends the stopped rank
#   rank0      rank 0 of 3 killed at round 2: the new rank 0 writes the run's files to the end
# In dead and rank0, `resist validate` replays the run's loss in the simulator (the events, the run's own
# segments): the worker, its round and the workers at the end in its JSON; a broken segment chain is refused.
#   below_min  rank 2 killed with --min-workers 3: the run stops (exit 1, one line naming --min-workers),
#              and --resume from its checkpoint on 3 ranks finishes as an uninterrupted run
set -u
: "${RESIST:?set RESIST to the resist binary}"
D=$(mktemp -d)
trap 'kill -9 $(jobs -p) 2>/dev/null; rm -rf "$D"' EXIT
E=(--nproc 3 --model preact_resnet_small --image-size 8 --dataset synthetic --train-size 256 --batch 16
   --local-steps 3 --lr 0.05 --threads 1 -q --rounds 6 --eval-every 1 --timeout-s 5 --elastic)
fail() { echo "FAIL: $*"; for f in "$D"/*.err; do [ -f "$f" ] && { echo "--- $f"; tail -5 "$f"; }; done; exit 1; }
expect_rc() { [ "$1" -eq "$2" ] || fail "$3: exit status $1, expected $2"; }
json_field() { sed -n "s/.*\"$2\": *\"\{0,1\}\([^\",]*\)\"\{0,1\}.*/\1/p" "$1" | head -1; }
# eval.csv's round, accuracy and loss for rounds < $2
evals_before() { awk -F, -v r="$2" 'NR > 1 && $1 < r { print $1, $2, $3 }' "$1/eval.csv"; }
# A finished elastic run in $1 that lost worker $2 in round $3, with $4 workers at the end.
check_survived() {
  [ -s "$1/summary.json" ] || fail "no summary.json in $1"
  head -1 "$1/events.csv" | grep -q '^time_s,round,worker,event,factor,until_s$' || fail "events.csv header"
  grep -Eq "^[0-9.]+,$3,$2,fail,,$" "$1/events.csv" || fail "events.csv lacks worker $2 lost in round $3: $(cat "$1/events.csv")"
  [ "$(wc -l < "$1/events.csv")" -eq 2 ] || fail "events.csv should hold one loss"
  [ -s "$1/schedule.1.json" ] || fail "no re-planned schedule.1.json"
  [ "$(json_field "$1/summary.json" workers_at_end)" = "$4" ] || fail "summary.json: workers_at_end is not $4"
  tail -1 "$1/eval.csv" | grep -q '^5,' || fail "eval.csv does not reach the last round"
  grep -q '"dropped": "its local steps of round '"$3" "$1/summary.json" || fail "summary.json does not say what was dropped"
  sleep 0.5
  ! pgrep -f "run-dir $1" > /dev/null || fail "ranks of $1 still run"
}
# The simulator's replay of run $1 (worker $2 lost in round $3, $4 workers at the end) through `resist validate`,
# on a profile and platform of this machine measured once.
check_replayed() {
  "$RESIST" validate --help > /dev/null 2>&1 || { echo "no simulator: validate not checked"; return; }
  if [ ! -s "$D/pl.toml" ]; then
    "$RESIST" profile --model preact_resnet_small --image-size 8 --dataset synthetic --train-size 256 --batch 16 \
      --threads 1 --repeats 2 --warmup 1 --test-size 64 -q --out "$D/p.csv" > /dev/null 2> "$D/p.err" || fail "profile"
    "$RESIST" profile --comm --nproc 3 --sizes 4K,64K --repeats 2 -q --out "$D/pl.toml" > /dev/null 2> "$D/pl.err" ||
      fail "profile --comm"
  fi
  cp -r "$1" "$1.broken" # before validate writes into $1
  V=("$RESIST" validate --profile "$D/p.csv" --platform "$D/pl.toml" --no-plot)
  "${V[@]}" --run-dir "$1" --format json > "$1.v.json" 2> "$D/v.err" || fail "validate $1"
  python3 - "$1.v.json" "$2" "$3" "$4" <<'PY' || fail "validate does not replay the loss: $(head -c 1500 "$1.v.json")"
import json, sys
e = json.load(open(sys.argv[1]))["elastic"]
worker, round_, end = map(int, sys.argv[2:])
assert e["workers_at_start"] == 3 and e["workers_at_end"] == end and e["failures"] == 1, e
assert e["segments"] == ["schedule.json", "schedule.1.json"], e["segments"]
[x] = e["events"]
assert x["worker"] == worker and x["caught_in_round"] == round_ and x["replayed_at_round"] == round_ + 1, x
assert x["workers_after"] == end and x["lost_s"] > 0, x
assert e["recovery"] == "measured" and e["lost_s"] > 0, e
assert abs(e["predicted_total_s"] - e["measured_total_s"]) < 10 * e["measured_total_s"], e
PY
  [ -s "$1/validation_elastic.json" ] || fail "no validation_elastic.json in $1"
  "${V[@]}" --run-dir "$1" --recovery model > "$1.v.txt" 2>> "$D/v.err" || fail "validate --recovery model"
  grep -q "detection 5 s (the run's --timeout-s)" "$1.v.txt" || fail "the model's recovery is not stated"
  grep -Eq "whole run with its losses: predicted [0-9.]+ s .* on $4 of 3 workers at the end\), measured" "$1.v.txt" ||
    fail "no whole-run line: $(tail -3 "$1.v.txt")"
  # schedule.1.json chained to another parent: refused naming both hashes, nothing written
  [ -n "${SCHEDULE_REHASH:-}" ] || return 0
  local want
  want=$(json_field "$1.broken/schedule.json" hash)
  sed -i 's/"parent_hash": *"[^"]*"/"parent_hash": "xxh3-128:00000000000000000000000000000000"/' "$1.broken/schedule.1.json"
  "$SCHEDULE_REHASH" "$1.broken/schedule.1.json" || fail "rehash"
  "${V[@]}" --run-dir "$1.broken" > "$D/b.out" 2> "$D/b.err"
  expect_rc $? 2 "a broken segment chain"
  [ "$(wc -l < "$D/b.err")" -eq 1 ] && grep -q "schedule.1.json: its parent hash xxh3-128:0\{32\} is not the hash $want of schedule.json" \
    "$D/b.err" || fail "the broken chain is not named by both hashes: $(cat "$D/b.err")"
  [ ! -e "$1.broken/validation.csv" ] || fail "validate wrote into a run it refused"
}

case "${1:-}" in
dead)
  "$RESIST" train "${E[@]}" --run-dir "$D/ok" > "$D/ok.out" 2> "$D/ok.err"
  expect_rc $? 0 "fault-free elastic run"
  "$RESIST" train "${E[@]:0:25}" --run-dir "$D/plain" > /dev/null 2> "$D/plain.err"
  expect_rc $? 0 "fault-free run without --elastic"
  [ "$(json_field "$D/ok/summary.json" params_hash)" = "$(json_field "$D/plain/summary.json" params_hash)" ] ||
    fail "--elastic without a fault trained different parameters"
  [ ! -e "$D/ok/events.csv" ] || fail "a fault-free run wrote events.csv"
  t0=$(date +%s)
  "$RESIST" train "${E[@]}" --run-dir "$D/f" --fault-die-at-round 3 --fault-rank 2 > "$D/f.out" 2> "$D/f.err"
  expect_rc $? 0 "elastic run that lost rank 2"
  t1=$(date +%s)
  grep -Eq "resist train: resist on 3 workers, 6 rounds, [0-9.]+ epochs per worker .*: test accuracy" "$D/f.out" || fail "no accuracy line: $(cat "$D/f.out")"
  grep -q "finished on 2 of 3 ranks" "$D/f.err" || fail "the launcher does not say the run finished on 2 ranks"
  check_survived "$D/f" 2 3 2
  [ "$(evals_before "$D/f" 3)" = "$(evals_before "$D/ok" 3)" ] || fail "rounds 0-2 differ from the fault-free run"
  [ "$(evals_before "$D/f" 6)" != "$(evals_before "$D/ok" 6)" ] || fail "the lost worker changed nothing"
  check_replayed "$D/f" 2 3 2
  [ $((t1 - t0)) -lt 45 ] || fail "took $((t1 - t0)) s"
  ;;
hung)
  t0=$(date +%s)
  "$RESIST" train "${E[@]}" --run-dir "$D/h" --fault-hang-at-round 2 --fault-rank 1 > "$D/h.out" 2> "$D/h.err"
  expect_rc $? 0 "elastic run with a stopped rank"
  t1=$(date +%s)
  grep -q "test accuracy" "$D/h.out" || fail "no accuracy line"
  grep -q "rank 1 .* was killed by signal 9" "$D/h.err" || fail "the launcher did not end the stopped rank"
  check_survived "$D/h" 1 2 2
  [ $((t1 - t0)) -lt 100 ] || fail "took $((t1 - t0)) s with a 5 s timeout (it hung?)"
  ;;
rank0)
  "$RESIST" train "${E[@]}" --run-dir "$D/z" --fault-die-at-round 2 --fault-rank 0 > "$D/z.out" 2> "$D/z.err"
  expect_rc $? 0 "elastic run that lost rank 0"
  grep -q "test accuracy" "$D/z.out" || fail "no accuracy line from the new rank 0"
  check_survived "$D/z" 0 2 2
  [ "$(awk -F, 'NR > 1 && $1 == 5' "$D/z/rounds.csv" | cut -d, -f2 | sort | tr '\n' ' ')" = "1 2 " ] ||
    fail "rounds.csv's last round should hold workers 1 and 2"
  check_replayed "$D/z" 0 2 2
  ;;
below_min)
  B=("${E[@]}" --min-workers 3 --checkpoint-every 1)
  "$RESIST" train "${B[@]}" --run-dir "$D/m" --fault-die-at-round 3 --fault-rank 2 > /dev/null 2> "$D/m.err"
  expect_rc $? 1 "2 survivors below --min-workers 3"
  [ "$(wc -l < "$D/m.err")" -eq 1 ] || fail "more than one line: $(cat "$D/m.err")"
  grep -q "2 of 3 workers left, below --min-workers 3" "$D/m.err" || fail "message does not name --min-workers"
  grep -q "checkpoint of round 2" "$D/m.err" || fail "message does not name the intact checkpoint"
  "$RESIST" train "${B[@]}" --run-dir "$D/m" --resume > /dev/null 2> "$D/m2.err"
  expect_rc $? 0 "resume on 3 ranks"
  "$RESIST" train "${B[@]}" --run-dir "$D/u" > /dev/null 2> "$D/u.err"
  expect_rc $? 0 "uninterrupted run"
  [ "$(json_field "$D/m/summary.json" params_hash)" = "$(json_field "$D/u/summary.json" params_hash)" ] ||
    fail "resumed parameters differ from the uninterrupted run's"
  ;;
*)
  echo "usage: elastic_cli.sh dead|hung|rank0|below_min"; exit 2 ;;
esac
echo "ok: $1"
