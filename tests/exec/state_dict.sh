#!/usr/bin/env bash
# Weights in and out as PyTorch state dicts, held against Debian's python3-torch / python3-torchvision
# (skipped, status 77, without them). RESIST=<binary>.
#   (a) a 2-rank ResIST run of resnet18 (32x32 synthetic images, stages 2-4 partitioned: the evaluation's branch
#       scale is folded into the export) exported with --export: torchvision's resnet18 loads it with
#       strict=True and computes the trainer's final logits on the same batch; --export-checkpoints writes one
#       per checkpoint
#   (b) torch.save(resnet18().state_dict()) starts a run (--init-from): the trainer's logits before the first
#       round equal torchvision's
#   (c) a state dict of another shape is refused before any work: exit 2, one line naming the first mismatch,
#       no run folder; a failed export leaves no file
set -u
: "${RESIST:?set RESIST to the resist binary}"
PY=/usr/bin/python3
CHECK="$(dirname "$0")/state_dict_check.py"
$PY -c 'import torch, torchvision' 2> /dev/null || { echo "skip: no python3-torch / python3-torchvision"; exit 77; }
D=$(mktemp -d)
trap 'rm -rf "$D"' EXIT
fail() { echo "FAIL: $*"; for f in "$D"/*.err; do [ -f "$f" ] && { echo "--- $f"; tail -5 "$f"; }; done; exit 1; }
T=(--model resnet18 --image-size 32 --classes 10 --dataset synthetic --train-size 128 --test-size 32 --batch 16 --local-steps 2
   --lr 0.02 --threads 1 -q)

# (a) export after training, and at every checkpoint
"$RESIST" train --nproc 2 "${T[@]}" --partition-stages 2,3,4 --rounds 2 --checkpoint-every 1 --export-checkpoints \
  --export "$D/a.pt" --export-logits "$D/a.logits.pt" --run-dir "$D/a" > /dev/null 2> "$D/a.err" || fail "train --export"
[ -s "$D/a/state_dict.r0.pt" ] && [ -s "$D/a/state_dict.r1.pt" ] || fail "--export-checkpoints wrote no state_dict.r<round>.pt"
ls "$D" "$D/a" | grep -q '\.tmp\.' && fail "a temporary file was left behind"
$PY "$CHECK" export "$D/a.pt" "$D/a.logits.pt" || fail "export"
$PY "$CHECK" export "$D/a/state_dict.r1.pt" "$D/a.logits.pt" > /dev/null || fail "the last checkpoint's export differs"

# (b) a torchvision state dict starts a run
$PY "$CHECK" save "$D/tv.pt" || fail "python could not save"
"$RESIST" train "${T[@]}" --rounds 1 --init-from "$D/tv.pt" --export-logits "$D/b.logits.pt" --run-dir "$D/b" \
  > /dev/null 2> "$D/b.err" || fail "train --init-from"
$PY "$CHECK" init "$D/tv.pt" "$D/b.logits.pt" || fail "init"
grep -q "\"init_from\": \"$D/tv.pt\"" "$D/b/config.json" || fail "config.json does not record --init-from"

# (c) a state dict of another model: one line naming the first mismatch, exit 2, no run folder
"$RESIST" train "${T[@]}" --in-channels 1 --rounds 1 --init-from "$D/tv.pt" --run-dir "$D/c" > "$D/c.out" 2> "$D/c.err"
rc=$?
[ $rc -eq 2 ] || fail "mismatched --init-from: exit $rc, expected 2"
[ "$(wc -l < "$D/c.err")" -eq 1 ] && grep -q "'conv1.weight' is \[64,3,7,7\], this model's is \[64,1,7,7\]" "$D/c.err" ||
  fail "mismatch message: $(cat "$D/c.err")"
[ ! -e "$D/c" ] || fail "a refused run created its folder"
"$RESIST" train --nproc 2 "${T[@]/resnet18/resnet34}" --rounds 1 --init-from "$D/tv.pt" --run-dir "$D/c2" \
  > /dev/null 2> "$D/c2.err"
rc=$?
[ $rc -eq 2 ] && [ ! -e "$D/c2" ] || fail "resnet34 from resnet18's state dict under --nproc 2: exit $rc"
grep -q "no 'layer1.2.conv1.weight'" "$D/c2.err" || fail "resnet34's message: $(cat "$D/c2.err")"
echo "ok"
