#!/usr/bin/env bash
# One case of the bad-input suite: run_case.sh FIXTURES CASES NAME, RESIST=<binary>.
# The case's command (cases.txt: "name | expected exit status | part | command") runs in a fresh copy of the
# fixtures, where R is the resist binary, fifo is a named pipe and guard.txt / link_to_guard / a_dir must
# survive. Asserted: the exit status, at most 2 lines of output (stdout + stderr), that it ends within
# 60 s, and that no file was left behind, removed or replaced (type, size, content hash, link target).
set -u
: "${RESIST:?set RESIST to the resist binary}"
fixtures=$1 cases=$2 name=$3
line=$(grep -E "^$name *\|" "$cases" | head -1)
[ -n "$line" ] || { echo "FAIL: no case '$name' in $cases"; exit 1; }
expected=$(echo "$line" | cut -d'|' -f2 | tr -d ' ')
command=$(echo "$line" | cut -d"|" -f4-)
D=$(mktemp -d)
trap 'rm -rf "$D"' EXIT
cp -a "$fixtures/." "$D/"
cd "$D"
mkfifo fifo
snapshot() {
  find . -mindepth 1 -printf '%y %p %l %s\n' | sort
  find . -type f -exec md5sum {} + | sort -k2
}
before=$(snapshot)
R=$RESIST
# S: a run on 2 workers (its other flags are the defaults, so a case can set any of them once);
# T: a tiny run for the trainer (8x8 synthetic images, 3 rounds).
S="--model preact_resnet_small --workers 2"
T="--model preact_resnet_small --image-size 8 --dataset synthetic --train-size 64 --batch 16 --local-steps 2 --rounds 3 -q"
export R S T
timeout 60 bash -c "$command" > "$D/.out" 2>&1 < /dev/null
rc=$?
out=$(cat "$D/.out")
rm -f "$D/.out"
after=$(snapshot)
lines=$(printf '%s' "$out" | grep -c '' || true)
fail() { echo "FAIL [$name]: $*"; echo "command: $command"; echo "output ($lines lines):"; printf '%s\n' "$out" | head -30; exit 1; }
[ "$rc" -ne 124 ] || fail "did not end within 60 s"
[ "$rc" -eq "$expected" ] || fail "exit status $rc, expected $expected"
[ "$lines" -le 2 ] || fail "$lines lines of output, at most 2 expected"
if [ "$before" != "$after" ]; then
  fail "files changed: $(diff <(echo "$before") <(echo "$after") | grep '^[<>]' | head -5 | tr '\n' ' ')"
fi
[ "$(cat guard.txt)" = precious ] && [ -L link_to_guard ] && [ -p fifo ] && [ -d a_dir ] || fail "a guard file changed"
echo "ok [$name] exit $rc: $out"
