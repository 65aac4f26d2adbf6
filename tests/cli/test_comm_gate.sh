#!/usr/bin/env bash
# resist comm --check BASELINE: the communication gate. A baseline written by `resist comm --format json`
# passes against itself (exit 0); a byte count that grew fails --fail-on increase (exit 3, one stderr line
# naming the row); one that shrank passes increase and fails change; a row in only one of the two fails;
# --tolerance lets small changes pass; a baseline for other settings is bad input (exit 2). Run by CTest
# (comm_gate, label core).
set -u
R=${RESIST:?set RESIST to the resist binary}
PY=/usr/bin/python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

G=(--model preact_resnet_small --protocol resist,local_sgd,data_parallel --workers 2,4 --min-depth 0,1 --rounds 5)

# expect NAME RC NEEDLE ARGS...: exit RC; NEEDLE ('' for none) in stderr, which has at most one line (two
# for a flag CLI11 refuses: it adds "Run with --help"); bad input prints nothing on stdout
expect() {
  local name=$1 want=$2 needle=$3; shift 3
  "$R" comm "$@" >"$tmp/out" 2>"$tmp/err"; local rc=$?
  if [ "$rc" -ne "$want" ]; then bad "$name: exit $rc, expected $want: $(head -c 300 "$tmp/err")"; return; fi
  if [ -n "$needle" ] && ! grep -q -- "$needle" "$tmp/err"; then bad "$name: stderr lacks '$needle': $(cat "$tmp/err")"; return; fi
  local most=1
  [ "$want" -eq 2 ] && most=2
  if [ "$(grep -c '' "$tmp/err")" -gt $most ]; then bad "$name: more than $most line(s) on stderr: $(cat "$tmp/err")"; return; fi
  if [ "$want" -eq 2 ] && [ -s "$tmp/out" ]; then bad "$name: bad input wrote to stdout"; return; fi
  pass=$((pass + 1))
}

# edit NAME EXPR: a copy of the baseline with EXPR applied to its document d
edit() {
  $PY - "$tmp/base.json" "$tmp/$1.json" "$2" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
def row(protocol, workers, min_depth):
    return next(r for r in d["rows"] if (r["protocol"], r["workers"], r["min_depth"]) == (protocol, workers, min_depth))
exec(sys.argv[3])
json.dump(d, open(sys.argv[2], "w"))
PY
}

"$R" comm "${G[@]}" --format json >"$tmp/base.json" || bad "writing the baseline"
# the same configuration passes, in every output format; the table says so
expect "same config" 0 "" "${G[@]}" --check "$tmp/base.json"
grep -q "gate passed: 8 rows" "$tmp/out" && pass=$((pass + 1)) || bad "same config: no 'gate passed: 8 rows' line: $(tail -2 "$tmp/out")"
expect "same config, change" 0 "" "${G[@]}" --check "$tmp/base.json" --fail-on change
expect "same config, json" 0 "" "${G[@]}" --check "$tmp/base.json" --format json
$PY -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['passed'] and d['rows'] == 8 and d['rows_failed'] == 0 and len(d['lines']) == 24" "$tmp/out" &&
  pass=$((pass + 1)) || bad "same config: json report shape"
expect "same config, csv" 0 "" "${G[@]}" --check "$tmp/base.json" --format csv

# this run moves more bytes than the baseline (the baseline's count lowered): increase fails
edit lower 'row("resist", 4, 1)["bytes_per_run"] -= 1000'
expect "increase" 3 "resist workers=4 min_depth=1: bytes_per_run" "${G[@]}" --check "$tmp/lower.json"
grep -E '^resist +4 +1 +bytes_per_run .* 1000 .* increase +FAIL' "$tmp/out" >/dev/null && pass=$((pass + 1)) ||
  bad "increase: no FAIL line in the table: $(cat "$tmp/out")"
expect "increase, change" 3 "1 of 8 rows failed --fail-on change" "${G[@]}" --check "$tmp/lower.json" --fail-on change
expect "increase, json" 3 "" "${G[@]}" --check "$tmp/lower.json" --format json
$PY -c "import json,sys; d=json.load(open(sys.argv[1])); assert not d['passed'] and d['rows_failed'] == 1" "$tmp/out" &&
  pass=$((pass + 1)) || bad "increase: json report"
# ... within a tolerance it passes (1000 of 70 MB is 0.0014%)
expect "increase within tolerance" 0 "" "${G[@]}" --check "$tmp/lower.json" --tolerance 0.01
expect "increase beyond tolerance" 3 "" "${G[@]}" --check "$tmp/lower.json" --tolerance 0.001

# fewer bytes than the baseline: passes increase, fails change
edit higher 'row("local_sgd", 2, 0)["wire_bytes_per_round"] += 8'
expect "decrease, increase" 0 "" "${G[@]}" --check "$tmp/higher.json"
grep -qE '^local_sgd +2 +0 +wire_bytes_per_round .* -8 .* decrease +ok' "$tmp/out" && pass=$((pass + 1)) ||
  bad "decrease: not reported: $(cat "$tmp/out")"
expect "decrease, change" 3 "local_sgd workers=2 min_depth=0: wire_bytes_per_round" "${G[@]}" --check "$tmp/higher.json" --fail-on change

# a row in only one of the two fails, whatever --fail-on
edit fewer 'd["rows"].remove(row("data_parallel", 4, 0))'
expect "row only now" 3 "data_parallel workers=4 min_depth=0: not in the baseline" "${G[@]}" --check "$tmp/fewer.json"
expect "row only now, change" 3 "not in the baseline" "${G[@]}" --check "$tmp/fewer.json" --fail-on change
expect "row only in baseline" 3 "4 of 8 rows failed" --model preact_resnet_small --protocol resist,local_sgd,data_parallel \
  --workers 2 --min-depth 0,1 --rounds 5 --check "$tmp/base.json"
grep -qE '^data_parallel +4 +0 +row .* only in baseline +FAIL' "$tmp/out" && pass=$((pass + 1)) ||
  bad "row only in baseline: not reported: $(cat "$tmp/out")"

# bad input: exit 2, one line, nothing on stdout
expect "another model" 2 "for model preact_resnet_small, this run is resnet18" --model resnet18 --protocol local_sgd --check "$tmp/base.json"
expect "other settings: rounds" 2 "rounds 5, this run has 6" "${G[@]/5/6}" --check "$tmp/base.json"
expect "other settings: algorithm" 2 "algorithm ring, this run has star" "${G[@]}" --algorithm star --check "$tmp/base.json"
expect "other settings: classes" 2 "classes 10, this run has 100" "${G[@]}" --classes 100 --check "$tmp/base.json"
expect "no row in common" 2 "no row in common" --model preact_resnet_small --protocol local_sgd --workers 8 --rounds 5 --check "$tmp/base.json"
expect "unknown --fail-on" 2 "--fail-on 'decrease'" "${G[@]}" --check "$tmp/base.json" --fail-on decrease
expect "--fail-on without --check" 2 "" "${G[@]}" --fail-on change
expect "negative tolerance" 2 "--tolerance" "${G[@]}" --check "$tmp/base.json" --tolerance -1
expect "missing baseline" 2 "nosuch.json" "${G[@]}" --check "$tmp/nosuch.json"
"$R" comm "${G[@]}" --format csv >"$tmp/base.csv"
expect "csv baseline" 2 "malformed JSON" "${G[@]}" --check "$tmp/base.csv"
edit nosettings 'del d["settings"]'
expect "baseline without settings" 2 "no 'settings'" "${G[@]}" --check "$tmp/nosettings.json"
edit fraction 'row("resist", 2, 0)["bytes_per_round"] = 1.5'
expect "fractional bytes" 2 "'bytes_per_round' = 1.5" "${G[@]}" --check "$tmp/fraction.json"
edit negative 'row("resist", 2, 0)["bytes_per_run"] = -1'
expect "negative bytes" 2 "'bytes_per_run' = -1" "${G[@]}" --check "$tmp/negative.json"
edit twice 'd["rows"].append(d["rows"][0])'
expect "row twice" 2 "appears twice" "${G[@]}" --check "$tmp/twice.json"
[ -s "$tmp/base.json" ] && pass=$((pass + 1)) || bad "the baseline was changed"

echo "comm gate: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
