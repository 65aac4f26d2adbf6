#!/usr/bin/env bash
# resist simulate / sweep from the outside: exit codes (2 = bad input, one message naming the value),
# JSON shape, the trace file, the paper table. RESIST is the binary.
set -u
fail=0
check_exit() { # expected-code description command...
  local want=$1 what=$2; shift 2
  local err; err=$("$@" 2>&1 >/dev/null); local got=$?
  if [ "$got" != "$want" ]; then echo "FAIL $what: exit $got, wanted $want ($err)"; fail=1; fi
  if [ "$want" != 0 ] && [ "$(printf '%s\n' "$err" | grep -c 'resist: error')" != 1 ]; then
    echo "FAIL $what: expected one error line, got: $err"; fail=1; fi
}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
small=(--model preact_resnet_small --rounds 2 --local-steps 2 --workers 4)
check_exit 2 "missing platform file" "$RESIST" simulate "${small[@]}" --platform "$tmp/none.xml"
echo "<platform version=" > "$tmp/bad.xml"
check_exit 2 "malformed platform" "$RESIST" simulate "${small[@]}" --platform "$tmp/bad.xml"
check_exit 2 "too few hosts" "$RESIST" simulate "${small[@]}" --platform parametric:nodes=1,gpus_per_node=2
check_exit 2 "unknown GPU" "$RESIST" simulate "${small[@]}" --platform parametric:nodes=1,gpus_per_node=4 --gpu TPU
"$RESIST" schedule "${small[@]}" -o "$tmp/s.json"
sed -i 's/"steps": 2/"steps": 3/' "$tmp/s.json"
check_exit 2 "schedule hash mismatch" "$RESIST" simulate --schedule "$tmp/s.json" --platform parametric:gpus_per_node=4
check_exit 0 "good run" "$RESIST" simulate "${small[@]}" --platform parametric:gpus_per_node=4 --trace "$tmp/t.json"
out=$("$RESIST" simulate "${small[@]}" --platform parametric:gpus_per_node=4 --format json)
for key in protocol total_s compute_s comm_s overhead_s bytes; do
  printf '%s' "$out" | python3 -c "import json,sys; r=json.load(sys.stdin)['results']; assert all('$key' in x for x in r)" \
    || { echo "FAIL json: results lack $key"; fail=1; }
done
python3 -c "import json; t=json.load(open('$tmp/t.json')); assert any(e['ph']=='X' for e in t['traceEvents'])" \
  || { echo "FAIL trace"; fail=1; }
"$RESIST" sweep --model preact_resnet_small --rounds 2 --workers 2,4 --platforms parametric:gpus_per_node=2 \
  --bandwidths 1,10 --no-progress -o "$tmp/sweep.csv" || fail=1
[ "$(wc -l < "$tmp/sweep.csv")" = 9 ] || { echo "FAIL sweep rows: $(wc -l < "$tmp/sweep.csv")"; fail=1; }
exit $fail
