#!/usr/bin/env bash
# End-to-end scenarios of `resist train` with real processes: train_cli.sh <scenario>, RESIST=<binary>.
#   nproc_run  --nproc 2 writes the run directory; bytes equal core's; --schedule FILE gives the same run;
#              killing the launcher ends its ranks
#   resume     a run killed mid-way and resumed ends with bit-identical parameters to an uninterrupted one
#   ist_resume IST on 2 ranks: bytes equal core's; killed and resumed = uninterrupted, bit for bit
#   dead_rank  rank 1 is SIGKILLed mid-run: rank 0 fails with a clear error well within --timeout-s
#   hung_rank  rank 1 stops (SIGSTOP): rank 0 fails after about --timeout-s instead of hanging
#   bad_input  world size != workers, ranks with different schedules, a missing data set: exit 2
#   nan_loss   a NaN loss stops every rank (exit 1); the last checkpoint stays valid and resumes
#   never_joins  rank 1 of 2 is never started: rank 0 fails within about --timeout-s with one line
#   corrupt_checkpoint  flipped bytes in a checkpoint: --resume refuses it (exit 2, one line), and a stray
#              checkpoint name in the run folder is ignored
#   disk_full  a file system that fills (RLIMIT_FSIZE with SIGXFSZ ignored: each write past the limit fails
#              with EFBIG, as a full disk's with ENOSPC) while a checkpoint, model.pt or a run file is written:
#              exit 1 with one line, the previous checkpoint intact and resumable, no temporary left, and
#              temporaries of an earlier crash removed when a run starts or resumes
#   loopback_only  every TCP socket of a local --nproc run (listening or connected), sampled from its start into
#              its rounds, is bound to loopback; its store is a file in a private folder (mode 0700) that is
#              gone when the run is stopped
#   torchrun   torchrun --no-python runs the binary unchanged, with its agent store and with --standalone
#              (skipped, status 77, without Debian's python3-torch)
#   warmup     --local-sgd-warmup-rounds 2 of 4 on 2 ranks: bytes equal core's in every phase, the schedule
#              marks the warm-up rounds, and simulating it prints both phases
#   imagefolder  --dataset imagefolder on a small JPEG/PNG tree (MAKE_IMAGE_TREE writes it): 2 ranks, 2 rounds;
#              the schedule records the scanned size and classes; a file corrupted after the scan fails the
#              run (exit 1) with a line naming it
set -u
: "${RESIST:?set RESIST to the resist binary}"
D=$(mktemp -d)
trap 'kill -9 $(jobs -p) 2>/dev/null; rm -rf "$D"' EXIT
T=(--model preact_resnet_small --image-size 8 --dataset synthetic --train-size 256 --batch 16 --local-steps 3
   --lr 0.05 --threads 1 -q)
fail() { echo "FAIL: $*"; for f in "$D"/*.err; do [ -f "$f" ] && { echo "--- $f"; tail -5 "$f"; }; done; exit 1; }
expect_rc() { [ "$1" -eq "$2" ] || fail "$3: exit status $1, expected $2"; }
json_field() { sed -n "s/.*\"$2\": *\"\{0,1\}\([^\",]*\)\"\{0,1\}.*/\1/p" "$1" | head -1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Two ranks started by hand (as a launcher would), in the background: rank <r> <extra args...>
start_rank() {
  local r=$1; shift
  RANK=$r WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=$PORT "$RESIST" train "${T[@]}" --workers 2 "$@" \
    > "$D/rank$r.out" 2> "$D/rank$r.err" &
}

case "${1:-}" in
warmup)
  "$RESIST" train --nproc 2 "${T[@]}" --rounds 4 --local-sgd-warmup-rounds 2 --eval-every 1 --run-dir "$D/w" \
    > "$D/w.out" 2> "$D/w.err"
  expect_rc $? 0 "train with a local SGD warm-up"
  [ "$(json_field "$D/w/summary.json" bytes_match_core)" = true ] || fail "bytes differ from core's accounting"
  [ "$(grep -c '"protocol": "local_sgd"' "$D/w/schedule.json")" -eq 2 ] || fail "schedule should mark 2 warm-up rounds"
  [ "$(wc -l < "$D/w/eval.csv")" -eq 5 ] || fail "eval.csv should have 4 evaluations"
  "$RESIST" simulate --schedule "$D/w/schedule.json" > "$D/ws.out" 2> "$D/ws.err"
  expect_rc $? 0 "simulate the warm-up schedule"
  grep -q "local SGD warm-up: rounds 0-1, .*ResIST: rounds 2-3" "$D/ws.out" || fail "simulate should print both phases"
  ;;
nproc_run)
  "$RESIST" train --nproc 2 "${T[@]}" --rounds 4 --eval-every 2 --run-dir "$D/a" > "$D/a.out" 2> "$D/a.err"
  expect_rc $? 0 "train --nproc 2"
  for f in config.json schedule.json timeline.csv rounds.csv eval.csv model.pt summary.json; do
    [ -s "$D/a/$f" ] || fail "missing $f"
  done
  grep -q "test accuracy" "$D/a.out" || fail "no accuracy line"
  [ "$(json_field "$D/a/summary.json" bytes_match_core)" = true ] || fail "bytes differ from core's accounting"
  head -1 "$D/a/timeline.csv" | grep -q '^round,worker,phase,start_s,end_s,bytes_sent,bytes_received,label$' ||
    fail "timeline header"
  [ "$(wc -l < "$D/a/rounds.csv")" -eq 9 ] || fail "rounds.csv should have 4 rounds x 2 ranks"
  [ "$(wc -l < "$D/a/eval.csv")" -eq 3 ] || fail "eval.csv should have 2 evaluations"
  # Ranks end with their launcher (killed or interrupted) instead of training on as orphans.
  "$RESIST" train --nproc 2 "${T[@]}" --rounds 100000 --run-dir "$D/k" > /dev/null 2>&1 &
  lp=$!
  sleep 2
  kill $lp
  wait $lp
  sleep 1
  pgrep -f "run-dir $D/k" > /dev/null && fail "ranks outlived their launcher"
  # The same schedule from a file (the one the simulator replays) is the same run.
  "$RESIST" schedule "${T[@]:0:14}" --workers 2 --rounds 4 --out "$D/s.json" || fail "resist schedule"
  "$RESIST" train --nproc 2 --schedule "$D/s.json" --threads 1 -q --run-dir "$D/b" > /dev/null 2> "$D/b.err"
  expect_rc $? 0 "train --schedule"
  [ "$(json_field "$D/a/summary.json" params_hash)" = "$(json_field "$D/b/summary.json" params_hash)" ] ||
    fail "--schedule FILE trained different parameters"
  ;;
resume)
  R=(--nproc 2 "${T[@]}" --rounds 6 --checkpoint-every 2)
  "$RESIST" train "${R[@]}" --run-dir "$D/a" > /dev/null 2> "$D/a.err"
  expect_rc $? 0 "uninterrupted run"
  "$RESIST" train "${R[@]}" --run-dir "$D/b" --fault-die-at-round 4 --fault-rank 1 > /dev/null 2> "$D/b1.err"
  rc=$?
  [ $rc -ne 0 ] || fail "the killed run succeeded"
  [ -f "$D/b/checkpoint.r3.rank0.pt" ] && [ -f "$D/b/checkpoint.r3.rank1.pt" ] || fail "no checkpoint of round 3"
  [ ! -f "$D/b/checkpoint.r1.rank0.pt" ] || fail "older checkpoint not removed"
  "$RESIST" train "${R[@]}" --run-dir "$D/b" --resume > /dev/null 2> "$D/b2.err"
  expect_rc $? 0 "resumed run"
  a=$(json_field "$D/a/summary.json" params_hash)
  b=$(json_field "$D/b/summary.json" params_hash)
  [ -n "$a" ] && [ "$a" = "$b" ] || fail "resumed parameters $b differ from uninterrupted $a"
  [ "$(wc -l < "$D/b/rounds.csv")" -eq 13 ] || fail "resumed rounds.csv should hold 6 rounds x 2 ranks"
  ;;
ist_resume)
  # IST on 2 ranks: bytes equal core's; a run killed mid-way and resumed (every rank's slice then comes from
  # rank 0's checkpoint) ends bit-identical to an uninterrupted one.
  I=(--nproc 2 --model mlp_fmnist --in-channels 1 --image-size 8 --dataset synthetic --train-size 256 --batch 16
     --local-steps 3 --lr 0.05 --threads 1 -q --protocol ist --rounds 6 --checkpoint-every 2)
  "$RESIST" train "${I[@]}" --run-dir "$D/a" > "$D/a.out" 2> "$D/a.err"
  expect_rc $? 0 "uninterrupted IST run"
  [ "$(json_field "$D/a/summary.json" bytes_match_core)" = true ] || fail "IST bytes differ from core's accounting"
  grep -q "test accuracy" "$D/a.out" || fail "no accuracy line"
  "$RESIST" train "${I[@]}" --run-dir "$D/b" --fault-die-at-round 4 --fault-rank 1 > /dev/null 2> "$D/b1.err"
  [ $? -ne 0 ] || fail "the killed IST run succeeded"
  "$RESIST" train "${I[@]}" --run-dir "$D/b" --resume > /dev/null 2> "$D/b2.err"
  expect_rc $? 0 "resumed IST run"
  a=$(json_field "$D/a/summary.json" params_hash)
  b=$(json_field "$D/b/summary.json" params_hash)
  [ -n "$a" ] && [ "$a" = "$b" ] || fail "resumed IST parameters $b differ from uninterrupted $a"
  ;;
dead_rank)
  PORT=$(free_port)
  t0=$(date +%s)
  start_rank 0 --rounds 40 --timeout-s 20 --run-dir "$D/d"; p0=$!
  start_rank 1 --rounds 40 --timeout-s 20 --run-dir "$D/d" --fault-die-at-round 2 --fault-rank 1; p1=$!
  wait $p0; rc0=$?
  t1=$(date +%s)
  wait $p1; rc1=$?
  [ $rc1 -eq 137 ] || fail "rank 1 should have been killed (status $rc1)"
  [ $rc0 -ne 0 ] || fail "rank 0 succeeded without its peer"
  [ $((t1 - t0)) -lt 20 ] || fail "rank 0 took $((t1 - t0)) s to notice, timeout is 20 s"
  grep -q "another rank died" "$D/rank0.err" || fail "rank 0's message does not say a rank died"
  ;;
hung_rank)
  PORT=$(free_port)
  start_rank 0 --rounds 40 --timeout-s 4 --run-dir "$D/h"; p0=$!
  start_rank 1 --rounds 40 --timeout-s 4 --run-dir "$D/h" --fault-hang-at-round 2 --fault-rank 1; p1=$!
  t0=$(date +%s)
  wait $p0; rc0=$?
  t1=$(date +%s)
  kill -9 $p1 2>/dev/null
  [ $rc0 -ne 0 ] || fail "rank 0 succeeded without its peer"
  [ $((t1 - t0)) -lt 40 ] || fail "rank 0 took $((t1 - t0)) s with a 4 s timeout"
  grep -q "failed" "$D/rank0.err" || fail "rank 0 gave no error"
  ;;
bad_input)
  "$RESIST" train --nproc 2 --workers 3 "${T[@]}" --rounds 2 --run-dir "$D/w" > /dev/null 2> "$D/w.err"
  expect_rc $? 2 "--nproc 2 --workers 3"
  grep -q "one rank per worker" "$D/w.err" || fail "world size message"
  RANK=0 WORLD_SIZE=1 "$RESIST" train "${T[@]}" --workers 2 --rounds 2 --run-dir "$D/w1" > /dev/null 2> "$D/w1.err"
  expect_rc $? 2 "1 rank, 2 workers"
  grep -q "the job has 1 ranks but the schedule has 2 workers" "$D/w1.err" || fail "env world size message"
  PORT=$(free_port)
  start_rank 0 --rounds 2 --seed 1 --run-dir "$D/s0" --timeout-s 30; p0=$!
  start_rank 1 --rounds 2 --seed 2 --run-dir "$D/s1" --timeout-s 30; p1=$!
  wait $p0; rc0=$?
  wait $p1; rc1=$?
  expect_rc $rc0 2 "rank 0 with another schedule"
  expect_rc $rc1 2 "rank 1 with another schedule"
  grep -q "holds schedule" "$D/rank0.err" || fail "schedule mismatch message"
  "$RESIST" train --nproc 2 --model preact_resnet_small --dataset cifar10 --data-dir "$D/none" --rounds 1 \
    --run-dir "$D/c" > /dev/null 2> "$D/c.err"
  expect_rc $? 2 "missing CIFAR-10"
  grep -q "cifar-10-binary.tar.gz" "$D/c.err" || fail "missing-data message does not say how to get it"
  ;;
nan_loss)
  N=(--nproc 2 "${T[@]}" --rounds 6 --checkpoint-every 2 --run-dir "$D/n")
  "$RESIST" train "${N[@]}" --fault-nan-at-round 3 > /dev/null 2> "$D/n.err"
  expect_rc $? 1 "NaN loss"
  grep -q "NaN" "$D/n.err" || fail "no NaN message"
  grep -q "checkpoint of round 1" "$D/n.err" || fail "message does not name the intact checkpoint"
  [ -f "$D/n/checkpoint.r1.rank0.pt" ] || fail "checkpoint of round 1 gone"
  "$RESIST" train "${N[@]}" --resume > /dev/null 2> "$D/n2.err"
  expect_rc $? 0 "resume after NaN"
  ;;
never_joins)
  PORT=$(free_port)
  t0=$(date +%s)
  start_rank 0 --rounds 2 --timeout-s 5 --run-dir "$D/j"; p0=$!
  wait $p0; rc0=$?
  t1=$(date +%s)
  expect_rc $rc0 1 "rank 0 alone"
  [ $((t1 - t0)) -lt 15 ] || fail "rank 0 took $((t1 - t0)) s with a 5 s timeout"
  grep -q "1 of 2 ranks joined" "$D/rank0.err" || fail "rank 0's message does not say who joined"
  [ "$(wc -l < "$D/rank0.err")" -le 2 ] || fail "more than 2 lines: $(cat "$D/rank0.err")"
  [ ! -e "$D/j" ] || fail "the failed run left its run folder behind"
  ;;
corrupt_checkpoint)
  R=(--nproc 2 "${T[@]}" --rounds 4 --checkpoint-every 2 --run-dir "$D/c")
  "$RESIST" train "${R[@]}" > /dev/null 2> "$D/c1.err"
  expect_rc $? 0 "run with checkpoints"
  f="$D/c/checkpoint.r3.rank1.pt"
  [ -f "$f" ] || fail "no checkpoint of round 3"
  touch "$D/c/checkpoint.r99999999999.rank0.pt" "$D/c/checkpoint.rX.rank0.pt" # stray names: ignored
  cp "$f" "$D/saved.pt"
  size=$(stat -c %s "$f")
  # Flip bytes in the middle of the file: parameter data (the archive's largest part).
  printf '\xde\xad\xbe\xef' | dd of="$f" bs=1 seek=$((size / 2)) conv=notrunc status=none
  "$RESIST" train "${R[@]}" --resume > /dev/null 2> "$D/c2.err"
  expect_rc $? 2 "resume from a corrupted checkpoint"
  grep -Eq "corrupted|cannot read checkpoint" "$D/c2.err" || fail "message does not say the checkpoint is bad"
  [ "$(wc -l < "$D/c2.err")" -le 2 ] || fail "more than 2 lines: $(cat "$D/c2.err")"
  cp "$D/saved.pt" "$f"
  "$RESIST" train "${R[@]}" --resume > /dev/null 2> "$D/c3.err"
  expect_rc $? 0 "resume from the intact checkpoint (stray names ignored)"
  ;;
disk_full)
  F=(--nproc 2 "${T[@]}" --rounds 6 --checkpoint-every 2 --run-dir "$D/f")
  limited() { ( ulimit -f "$1"; trap '' XFSZ; shift; exec "$RESIST" train "$@" ); } # limit in KiB
  no_temporaries() { ! ls "$1" | grep -q '\.tmp\.' || fail "$2: temporaries left: $(ls "$1" | grep '\.tmp\.')"; }
  one_line() { [ "$(wc -l < "$1")" -eq 1 ] || fail "$2: not one line: $(head -c 600 "$1")"; }
  "$RESIST" train "${F[@]}" --fault-die-at-round 4 --fault-rank 1 > /dev/null 2> "$D/f1.err"
  [ $? -ne 0 ] || fail "the killed run succeeded"
  cp "$D/f/checkpoint.r3.rank0.pt" "$D/r3.rank0" && cp "$D/f/checkpoint.r3.rank1.pt" "$D/r3.rank1" ||
    fail "no checkpoint of round 3"
  # What a process killed mid-write leaves behind (and a name that is not ours, which must stay).
  touch "$D/f/checkpoint.r5.rank0.pt.tmp.12345" "$D/f/checkpoint.r5.rank1.pt.tmp.Ab3dEf" \
        "$D/f/model.pt.tmp.777" "$D/f/rounds.csv.tmp.x1Y2z3" "$D/f/notes.txt.tmp.1"
  # Checkpoints (3.3 MB each) no longer fit; the run files (a few KB) do.
  limited 1024 "${F[@]}" --resume > /dev/null 2> "$D/f2.err"
  expect_rc $? 1 "checkpoint on a full disk"
  one_line "$D/f2.err" "checkpoint on a full disk"
  grep -q "File too large" "$D/f2.err" || fail "the message does not say the write failed: $(cat "$D/f2.err")"
  grep -q "checkpoint of round 3 is intact" "$D/f2.err" || fail "the message does not name the intact checkpoint"
  cmp -s "$D/f/checkpoint.r3.rank0.pt" "$D/r3.rank0" && cmp -s "$D/f/checkpoint.r3.rank1.pt" "$D/r3.rank1" ||
    fail "the checkpoint of round 3 changed"
  [ -f "$D/f/notes.txt.tmp.1" ] || fail "a file that is not the run's was removed"
  rm "$D/f/notes.txt.tmp.1"
  no_temporaries "$D/f" "checkpoint on a full disk"
  "$RESIST" train "${F[@]}" --resume > /dev/null 2> "$D/f3.err"
  expect_rc $? 0 "resume once there is space"
  [ "$(wc -l < "$D/f/rounds.csv")" -eq 13 ] || fail "the resumed rounds.csv should hold 6 rounds x 2 ranks"
  no_temporaries "$D/f" "resumed run"
  # model.pt (rank 0, after the last round, no checkpoints).
  limited 1024 --nproc 2 "${T[@]}" --rounds 2 --run-dir "$D/m" > /dev/null 2> "$D/m.err"
  expect_rc $? 1 "model.pt on a full disk"
  one_line "$D/m.err" "model.pt on a full disk"
  grep -q "model.pt' failed: File too large" "$D/m.err" || fail "model.pt message: $(cat "$D/m.err")"
  [ ! -e "$D/m/model.pt" ] || fail "a partial model.pt"
  no_temporaries "$D/m" "model.pt on a full disk"
  # The run files: schedule.json (4 KB for 6 rounds) does not fit in 2 KB; config.json (1 KB) does.
  limited 2 --nproc 2 "${T[@]}" --rounds 6 --run-dir "$D/c" > /dev/null 2> "$D/c.err"
  expect_rc $? 1 "run files on a full disk"
  one_line "$D/c.err" "run files on a full disk"
  grep -q "schedule.json' failed: File too large" "$D/c.err" || fail "run file message: $(cat "$D/c.err")"
  no_temporaries "$D/c" "run files on a full disk"
  ;;
loopback_only)
  PY=/usr/bin/python3; [ -x $PY ] || PY=python3 # Debian's: starts in 0.05 s, a pyenv shim in 2 s under load
  "$RESIST" train --nproc 2 "${T[@]}" --rounds 100000 --run-dir "$D/l" > /dev/null 2> "$D/l.err" &
  lp=$!
  : > "$D/sockets.txt"
  for i in $(seq 1 300); do # from the launcher's start through the rendezvous into the rounds (at most 60 s)
    kill -0 $lp 2> /dev/null || fail "the run ended early: $(cat "$D/l.err")"
    $PY "$(dirname "$0")/listen_sockets.py" $lp >> "$D/sockets.txt"
    [ -f "$D/l/config.json" ] && [ "$(grep -c ESTABLISHED "$D/sockets.txt")" -ge 20 ] && break # rounds running
    sleep 0.1
  done
  [ "$(pgrep -P $lp | wc -l)" -eq 2 ] || fail "expected 2 ranks under the launcher"
  sort -u "$D/sockets.txt" > "$D/sockets_u.txt"
  grep -q ESTABLISHED "$D/sockets_u.txt" || fail "no TCP socket of the run seen (Gloo's pairs expected): the check saw nothing"
  # Every socket, listening (the store's, Gloo's while it connects) or connected (Gloo's pairs), on loopback.
  awk '$3 !~ /^127\./ && $3 != "::1"' "$D/sockets_u.txt" > "$D/exposed.txt"
  [ ! -s "$D/exposed.txt" ] || fail "sockets beyond loopback (pid state address port): $(cat "$D/exposed.txt")"
  # The store: a file in a private folder, gone once the launcher is stopped.
  r0=$(pgrep -P $lp | head -1)
  store=$(tr '\0' '\n' < "/proc/$r0/environ" | sed -n 's/^RESIST_STORE_FILE=//p')
  [ -n "$store" ] && [ -f "$store" ] || fail "no store file ($store)"
  [ "$(stat -c %a "$(dirname "$store")")" = 700 ] || fail "the store's folder is not private"
  kill $lp
  wait $lp
  [ ! -e "$(dirname "$store")" ] || fail "the store's folder outlived the run"
  ;;
torchrun)
  /usr/bin/python3 -c 'import torch.distributed.run' 2> /dev/null || { echo "skip: no python3-torch"; exit 77; }
  TR=(/usr/bin/python3 "$(dirname "$0")/torchrun_compat.py" --nproc_per_node 2)
  # Static rendezvous: the agent hosts the store (TORCHELASTIC_USE_AGENT_STORE=True), every rank a client.
  "${TR[@]}" --master_port "$(free_port)" --no_python "$RESIST" train "${T[@]}" --rounds 2 --run-dir "$D/t1" \
    > "$D/t1.out" 2> "$D/t1.err"
  expect_rc $? 0 "torchrun (agent store)"
  grep -q '"launcher": "torchrun"' "$D/t1/config.json" || fail "not detected as torchrun"
  grep -q "test accuracy" "$D/t1.out" || fail "no accuracy line under torchrun"
  # --standalone: c10d rendezvous, no agent store, rank 0 serves.
  "${TR[@]}" --standalone --no_python "$RESIST" train "${T[@]}" --rounds 2 --run-dir "$D/t2" > /dev/null 2> "$D/t2.err"
  expect_rc $? 0 "torchrun --standalone"
  ;;
imagefolder)
  : "${MAKE_IMAGE_TREE:?set MAKE_IMAGE_TREE to the make_image_tree binary}"
  "$MAKE_IMAGE_TREE" "$D/img" || fail "make_image_tree"
  I=(--model preact_resnet_small --dataset imagefolder --data-dir "$D/img" --image-size 16 --batch 4 --local-steps 2
     --lr 0.05 --threads 1 -q)
  "$RESIST" train --nproc 2 "${I[@]}" --rounds 2 --run-dir "$D/i" > "$D/i.out" 2> "$D/i.err"
  expect_rc $? 0 "train --dataset imagefolder"
  grep -q "test accuracy" "$D/i.out" || fail "no accuracy line"
  grep -q '"train_size": 8' "$D/i/schedule.json" || fail "the schedule does not record the 8 scanned images"
  grep -q '"classes": 3' "$D/i/config.json" || fail "the config does not record the 3 class folders"
  [ "$(wc -l < "$D/i/eval.csv")" -eq 2 ] || fail "eval.csv should have 1 evaluation"
  grep -q ',6,' "$D/i/eval.csv" || fail "the evaluation should count the 6 val images"
  # A file that still has its JPEG signature but does not decode: found mid-run, exit 1, named.
  printf '\xff\xd8\xff\xe0 not a JPEG body' > "$D/img/train/bee/b1.jpg"
  "$RESIST" train --nproc 2 "${I[@]}" --rounds 2 --run-dir "$D/j" > /dev/null 2> "$D/j.err"
  expect_rc $? 1 "a corrupt image mid-run"
  grep -q "b1.jpg" "$D/j.err" || fail "the error does not name the corrupt file"
  ;;
*)
  echo "usage: train_cli.sh nproc_run|resume|ist_resume|dead_rank|hung_rank|bad_input|nan_loss|never_joins|corrupt_checkpoint|disk_full|loopback_only|torchrun|imagefolder"; exit 2 ;;
esac
echo "ok: $1"
