#!/usr/bin/env bash
# The resist CLI's contract: JSON shapes scripts rely on, exit code 2 with one message naming the
# offending value on bad input, and nothing written when a command fails. Run by CTest (cli_contract).
set -u
R=${RESIST:?set RESIST to the resist binary}
PY=/usr/bin/python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

# expect_input_error NAME NEEDLE ARGS...: exit 2, one stderr line containing NEEDLE, no stdout
expect_input_error() {
  local name=$1 needle=$2; shift 2
  "$R" "$@" >"$tmp/out" 2>"$tmp/err"; local rc=$?
  if [ $rc -ne 2 ]; then bad "$name: exit $rc, expected 2"; return; fi
  if ! grep -q -- "$needle" "$tmp/err"; then bad "$name: stderr lacks '$needle': $(cat "$tmp/err")"; return; fi
  if [ -s "$tmp/out" ]; then bad "$name: wrote to stdout"; return; fi
  ok
}

# --version: the release, the commit the build was configured from and the parts built; exit 0
"$R" --version >"$tmp/v" 2>&1 && grep -Eq '^resist [0-9]+\.[0-9]+\.[0-9]+ \(commit ([0-9a-f]+|unknown); parts: core' "$tmp/v" \
  && ok || bad "--version: $(cat "$tmp/v")"

# JSON shapes
"$R" model --model resnet18 --format json >"$tmp/m.json" || bad "model json exit"
$PY - "$tmp/m.json" <<'PY' && ok || bad "model json shape"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["model"] == "resnet18" and d["params"] == 11689512 and isinstance(d["forward_macs"], int)
assert isinstance(d["layers"], list) and len(d["layers"]) > 20 and "params" in d["layers"][0]
PY
"$R" comm --model preact_resnet101_cifar --classes 100 --workers 2,4,8 --min-depth 0 \
  --protocol resist,local_sgd --format json >"$tmp/c.json" || bad "comm json exit"
$PY - "$tmp/c.json" <<'PY' && ok || bad "comm json shape"
import json, sys
rows = json.load(open(sys.argv[1]))["rows"]
assert len(rows) == 6
for r in rows:
    assert {"protocol", "workers", "min_depth", "bytes_per_round"} <= r.keys()
    assert isinstance(r["bytes_per_round"], int)
lsgd = {r["workers"]: r["bytes_per_round"] for r in rows if r["protocol"] == "local_sgd"}
assert abs(lsgd[8] / 1e9 - 2.649) < 0.001
PY

# bad input: exit 2, the value named, nothing on stdout
expect_input_error "unknown model" "resnet9000" model --model resnet9000
expect_input_error "zero workers" "--workers 0" comm --workers 0
expect_input_error "too many workers" "--workers 23" comm --workers 23 --min-depth 0
expect_input_error "min depth too large" "--min-depth 23" comm --workers 2 --min-depth 23
expect_input_error "unknown protocol" "foo" comm --protocol foo
expect_input_error "unknown format" "yaml" comm --format yaml
printf 'workers = [\n' >"$tmp/bad.toml"
expect_input_error "malformed TOML config" "malformed TOML" comm --config "$tmp/bad.toml"
printf '{"workers": [2' >"$tmp/bad.json"
expect_input_error "malformed JSON config" "malformed JSON" comm --config "$tmp/bad.json"
printf 'wrkers = 3\n' >"$tmp/typo.toml"
expect_input_error "unknown config key" "wrkers" comm --config "$tmp/typo.toml"

# a config file stands in for flags; explicit flags win
printf 'workers = [4]\nmin-depth = [6]\nclasses = 100\nprotocol = ["resist"]\n' >"$tmp/run.toml"
"$R" comm --config "$tmp/run.toml" --format json >"$tmp/cfg.json" || bad "config run exit"
$PY -c "import json,sys; r=json.load(open('$tmp/cfg.json'))['rows']; assert len(r)==1 and abs(r[0]['bytes_per_round']/1e9-0.720)<0.001" && ok || bad "config values"

# schedule: nothing half-written on failure; byte-identical; hash checked
"$R" schedule --workers 99 --out "$tmp/s.json" 2>/dev/null; rc=$?
[ $rc -eq 2 ] && [ ! -e "$tmp/s.json" ] && ok || bad "failed schedule left a file or wrong exit $rc"
"$R" schedule --rounds 10 --workers 4 --out "$tmp/a.json" && "$R" schedule --rounds 10 --workers 4 >"$tmp/b.json" || bad "schedule exit"
cmp -s "$tmp/a.json" "$tmp/b.json" && ok || bad "schedule not byte-identical"
"$R" schedule --check --out "$tmp/a.json" >/dev/null && ok || bad "schedule --check on a good file"
sed 's/"steps": 50/"steps": 49/' "$tmp/a.json" >"$tmp/t.json"
expect_input_error "tampered schedule" "hash mismatch" schedule --check --out "$tmp/t.json"

# simulate --step-spread: the ranks' spread makes data parallel and local-step rounds wait (never faster)
sim_total() { "$R" simulate --model preact_resnet_small --workers 4 --rounds 3 --local-steps 5 --protocols "$1" \
  --platform parametric:nodes=1,gpus_per_node=4 --format json "${@:2}" |
  $PY -c "import json,sys; print(json.load(sys.stdin)['results'][0]['total_s'])"; }
# (A build without SimGrid has no simulate: this part is then skipped, so the test stays a core one.)
"$R" simulate --help >/dev/null 2>&1 && for p in data_parallel local_sgd; do
  a=$(sim_total $p --step-spread none) && b=$(sim_total $p --step-spread 0.05) && c=$(sim_total $p --step-spread 0.2) ||
    bad "simulate --step-spread $p exit"
  $PY -c "import sys; a,b,c=map(float,sys.argv[1:]); assert a < b < c, (a,b,c)" "$a" "$b" "$c" && ok ||
    bad "simulate --step-spread $p: none $a, 0.05 $b, 0.2 $c not increasing"
done

"$R" --help >/dev/null && ok || bad "--help exit"
"$R" partition --workers 4 --min-depth 6 --format json | $PY -c "import json,sys; d=json.load(sys.stdin); assert d['slots']==24 and d['overlap']" && ok || bad "partition json"

echo "cli contract: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
