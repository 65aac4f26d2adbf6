#!/usr/bin/env bash
# resist profile and resist validate end to end, on a tiny synthetic 2-rank run (RESIST=<binary>):
# a layer profile and a --comm platform are written and read back by simulate; validate prints the
# comparison (JSON keys, one row per round), writes validation.csv; a run directory whose schedule does not
# match its config, a missing one, or a profile of another model give exit 2 with one line naming them.
set -u
: "${RESIST:?set RESIST to the resist binary}"
D=$(mktemp -d)
trap 'rm -rf "$D"' EXIT
fail() { echo "FAIL: $*"; for f in "$D"/*.err; do [ -f "$f" ] && { echo "--- $f"; tail -5 "$f"; }; done; exit 1; }
M=(--model preact_resnet_small --image-size 8 --dataset synthetic --train-size 256 --batch 16)

"$RESIST" train --nproc 2 "${M[@]}" --local-steps 3 --rounds 3 --lr 0.05 --threads 1 --test-size 64 -q \
  --run-dir "$D/run" > "$D/train.out" 2> "$D/train.err" || fail "train"
"$RESIST" profile "${M[@]}" --threads 1 --repeats 2 --warmup 1 --test-size 64 -q --out "$D/run/profile.csv" \
  > "$D/profile.out" 2> "$D/profile.err" || fail "profile"
grep -q '^# resist profile v1' "$D/run/profile.csv" || fail "profile header"
grep -q '^layer3.1.conv2,16,' "$D/run/profile.csv" || fail "profile rows use core's layer names"
grep -q 'startup_includes_rendezvous=0' "$D/run/profile.csv" || fail "a 1-rank profile has no rendezvous"
# As many profiling ranks as the run has: they meet as the trainer's ranks do, and @startup says so.
"$RESIST" profile "${M[@]}" --threads 1 --ranks 2 --repeats 2 --warmup 1 --test-size 64 -q --out "$D/p2.csv" \
  > "$D/p2.out" 2> "$D/p2.err" || fail "profile --ranks 2"
grep -q 'startup_includes_rendezvous=1' "$D/p2.csv" || fail "a 2-rank profile times the rendezvous"
grep -q 'step_wall_cv=[0-9]' "$D/p2.csv" || fail "a 2-rank profile measures the ranks' step spread"
grep -q 'speed_probe_cpu_s=[0-9.]*;[0-9.]*' "$D/p2.csv" || fail "a profile probes the core's speed at start and end"
python3 - "$D/run/summary.json" <<'PY' || fail "summary.json startup parts"
import json, sys
s = json.load(open(sys.argv[1]))
parts = s["startup_parts_s"]
assert {"data", "rendezvous", "network", "run_files"} <= set(parts), parts
assert abs(sum(parts.values()) - s["startup_s"]) < 0.05, (parts, s["startup_s"])
probes = s["speed_probe_cpu_s"]  # every rank's, after its rounds
assert len(probes) == 2 and all(p > 0 for p in probes), probes
PY
"$RESIST" profile --comm --nproc 2 --sizes 4K,64K --repeats 2 -q --out "$D/run/platform.toml" \
  > "$D/comm.out" 2> "$D/comm.err" || fail "profile --comm"
grep -q '^cores_per_node = ' "$D/run/platform.toml" || fail "platform has cores_per_node"
grep -q '^allreduce,2,4096,' "$D/run/platform.comm.csv" || fail "comm samples"
grep -qE '^group_create_measured_s = \[[0-9.e-]+\]$' "$D/run/platform.toml" || fail "process groups as measured"
"$RESIST" simulate "${M[@]}" --workers 2 --rounds 3 --local-steps 3 --protocols resist --platform "$D/run/platform.toml" \
  --profile "$D/run/profile.csv" --algorithm c10d --threads 1 > "$D/sim.out" 2> "$D/sim.err" || fail "simulate --profile"

"$RESIST" validate --run-dir "$D/run" --format json --no-plot > "$D/v.json" 2> "$D/v.err" || fail "validate"
python3 - "$D/v.json" <<'PY' || fail "validate JSON"
import json, sys
d = json.load(open(sys.argv[1]))
s = d["summary"]
for k in ("median_round_error_pct", "p90_round_error_pct", "max_round_error_pct", "total_error_pct"):
    assert isinstance(s[k], (int, float)), k
assert len(d["rounds"]) == 3, d["rounds"]
for r in d["rounds"]:
    assert r["predicted"]["total_s"] > 0 and r["measured"]["total_s"] > 0, r
assert [p["name"] for p in d["parts"]] == ["rounds", "startup", "evaluation", "total"], d["parts"]
PY
[ "$(grep -c '^round,' "$D/run/validation.csv")" -eq 3 ] || fail "validation.csv rows"
# Time to given targets: one entry each, reached exactly when the run's evaluation is at or above it.
"$RESIST" validate --run-dir "$D/run" --format json --no-plot --target-accuracy 5,50,100 > "$D/vt.json" 2> "$D/vt.err" \
  || fail "validate --target-accuracy"
python3 - "$D/vt.json" "$D/run/eval.csv" <<'PY' || fail "validate --target-accuracy JSON"
import csv, json, sys
t = json.load(open(sys.argv[1]))["time_to_accuracy"]
acc = 100 * max(float(r["accuracy"]) for r in csv.DictReader(open(sys.argv[2])))
assert [e["target_pct"] for e in t] == [5, 50, 100], t
for e in t:
    assert e["reached"] == (acc >= e["target_pct"]), (e, acc)
    if e["reached"]:
        assert e["measured_s"] > 0 and e["predicted_s"] > 0, e
PY
"$RESIST" validate --run-dir "$D/run" --no-plot > "$D/v.txt" 2>&1 || fail "validate table"
grep -q 'round error: median' "$D/v.txt" || fail "validate summary line"
# The speed probe: the run's core against the profile's, a factor on every worker.
"$RESIST" validate --run-dir "$D/run" --format json --no-plot --speed-probe > "$D/vp.json" 2> "$D/vp.err" || fail "validate --speed-probe"
python3 - "$D/vp.json" "$D/v.json" <<'PY' || fail "validate --speed-probe JSON"
import json, sys
p, d = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
assert 0.2 < p["speed_factor"] < 5 and d["speed_factor"] == 1, (p["speed_factor"], d["speed_factor"])
assert d["step_cv_from"] == "platform", d["step_cv_from"]  # a 1-rank profile has no spread among ranks
PY
"$RESIST" validate --run-dir "$D/run" --profile "$D/p2.csv" --format json --no-plot > "$D/v2.json" 2> "$D/v2.err" || fail "validate, 2-rank profile"
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['step_cv_from']=='profile' and d['step_cv']>=0, d" "$D/v2.json" \
  || fail "a 2-rank profile's step spread is used"

# Bad input: exit 2, one line, naming what is wrong.
expect2() {
  local what=$1; shift
  "$@" > "$D/bad.out" 2> "$D/bad.err"
  local rc=$?
  [ $rc -eq 2 ] || fail "$what: exit $rc, expected 2"
  [ "$(wc -l < "$D/bad.err")" -eq 1 ] || fail "$what: $(wc -l < "$D/bad.err") lines of error"
}
"$RESIST" train --nproc 2 "${M[@]}" --local-steps 3 --rounds 2 --seed 7 --threads 1 --test-size 64 -q \
  --run-dir "$D/other" > /dev/null 2>&1 || fail "second train"
cp -r "$D/run" "$D/mixed" && cp "$D/other/schedule.json" "$D/mixed/schedule.json"
expect2 "mismatched run directory" "$RESIST" validate --run-dir "$D/mixed" --no-plot
h1=$(sed -n 's/.*"schedule_hash": "\([^"]*\)".*/\1/p' "$D/run/config.json" | head -1)
h2=$(sed -n 's/.*"schedule_hash": "\([^"]*\)".*/\1/p' "$D/other/config.json" | head -1)
grep -q "$h1" "$D/bad.err" && grep -q "$h2" "$D/bad.err" || fail "the mismatch names both hashes: $(cat "$D/bad.err")"
expect2 "missing run directory" "$RESIST" validate --run-dir "$D/nowhere"
grep -q "nowhere" "$D/bad.err" || fail "names the missing directory"
"$RESIST" profile --model preact_resnet_small --image-size 16 --dataset synthetic --train-size 64 --batch 16 \
  --threads 1 --repeats 1 --warmup 0 -q --out "$D/p16.csv" > /dev/null 2>&1 || fail "profile 16"
expect2 "profile of another shape" "$RESIST" validate --run-dir "$D/run" --profile "$D/p16.csv" --no-plot
grep -q "image_size=16" "$D/bad.err" || fail "names the shape: $(cat "$D/bad.err")"
expect2 "bad --gpu-sharing" "$RESIST" validate --run-dir "$D/run" --gpu-sharing sometimes --no-plot
grep -q "sometimes" "$D/bad.err" || fail "names the value: $(cat "$D/bad.err")"
# Checked before anything is measured: a run directory without a profile gets none written.
cp -r "$D/run" "$D/noprof" && rm "$D/noprof/profile.csv" "$D/noprof/validation.csv"
expect2 "bad --step-variation" "$RESIST" validate --run-dir "$D/noprof" --step-variation wild --no-plot
grep -q "wild" "$D/bad.err" || fail "names the value: $(cat "$D/bad.err")"
[ ! -e "$D/noprof/profile.csv" ] && [ ! -e "$D/noprof/validation.csv" ] || fail "bad input wrote into the run directory"
sed 's/ speed_probe_cpu_s=[^ ]*//' "$D/run/profile.csv" > "$D/noprobe.csv"
expect2 "--speed-probe without a probe" "$RESIST" validate --run-dir "$D/run" --profile "$D/noprobe.csv" --speed-probe --no-plot
grep -q "noprobe.csv" "$D/bad.err" || fail "names the profile: $(cat "$D/bad.err")"
echo "validate_cli: ok"
