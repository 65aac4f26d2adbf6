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
# Parallel, resumable, sliced sweeps: the same rows in the same order (sim_wall_s, column 18, aside).
grid=(--model preact_resnet_small --rounds 2 --workers 2,4 --platforms parametric:gpus_per_node=2 --bandwidths 1,10
      --no-progress)
rows() { cut -d, -f1-17,19- "$1"; }
"$RESIST" sweep "${grid[@]}" --jobs 1 -o "$tmp/j1.csv" || fail=1
"$RESIST" sweep "${grid[@]}" --jobs 3 -o "$tmp/j3.csv" || fail=1
[ "$(rows "$tmp/j1.csv")" = "$(rows "$tmp/j3.csv")" ] || { echo "FAIL sweep --jobs 3 differs from --jobs 1"; fail=1; }
# A journal left by an interrupted run: two finished rows (one marked total_s 123) and a line cut short.
head -3 "$tmp/j1.csv" | awk -F, -v OFS=, 'NR == 2 { $9 = 123 } { print }' > "$tmp/r.csv.partial"
printf 'parametric:gpus_per_node=2,10,resi' >> "$tmp/r.csv.partial"
"$RESIST" sweep "${grid[@]}" --jobs 2 -o "$tmp/r.csv" || fail=1
[ "$(awk -F, 'NR == 2 { print $9 }' "$tmp/r.csv")" = 123 ] || { echo "FAIL resume: finished point simulated again"; fail=1; }
[ "$(rows "$tmp/r.csv" | sed -n '3,$p')" = "$(rows "$tmp/j1.csv" | sed -n '3,$p')" ] \
  || { echo "FAIL resume: other rows differ"; fail=1; }
[ ! -e "$tmp/r.csv.partial" ] || { echo "FAIL resume: journal left behind"; fail=1; }
# Two slices (as two Slurm array tasks would run them), then the merge: the whole grid in order.
"$RESIST" sweep "${grid[@]}" --slice 0/2 -o "$tmp/s0.csv" || fail=1
"$RESIST" sweep "${grid[@]}" --slice 1/2 -o "$tmp/s1.csv" || fail=1
[ "$(wc -l < "$tmp/s0.csv")" = 5 ] || { echo "FAIL slice 0/2 rows: $(wc -l < "$tmp/s0.csv")"; fail=1; }
"$RESIST" sweep --merge "$tmp/s1.csv,$tmp/s0.csv" -o "$tmp/merged.csv" || fail=1
[ "$(rows "$tmp/merged.csv")" = "$(rows "$tmp/j1.csv")" ] || { echo "FAIL merged slices differ from the whole sweep"; fail=1; }
check_exit 2 "slice out of range" "$RESIST" sweep "${grid[@]}" --slice 2/2
check_exit 2 "negative jobs" "$RESIST" sweep "${grid[@]}" --jobs -1
check_exit 2 "merge of a non-sweep file" "$RESIST" sweep --merge "$tmp/s.json" -o "$tmp/m2.csv"
[ ! -e "$tmp/m2.csv" ] || { echo "FAIL failed merge wrote its output"; fail=1; }
# bench train --per-layer: the rows' seconds add up to the step the summary reports (printed to 6 digits).
bt=(bench train --model preact_resnet_small --gpu H100 --precision bf16 --batch 64)
"$RESIST" "${bt[@]}" --format csv > "$tmp/bt.csv" || fail=1
"$RESIST" "${bt[@]}" --per-layer --format csv > "$tmp/bt_layers.csv" || fail=1
python3 - "$tmp/bt.csv" "$tmp/bt_layers.csv" <<'PY' || { echo "FAIL bench train --per-layer rows do not sum to the step"; fail=1; }
import csv, sys
step = float(next(csv.DictReader(open(sys.argv[1])))["step_s"])
rows = list(csv.DictReader(open(sys.argv[2])))
total = sum(float(r["forward_s"]) + float(r["backward_s"]) + float(r["update_s"]) for r in rows)
assert abs(total - step) <= 1e-5 * step, (total, step)
assert {r["bound_fwd"] for r in rows} <= {"compute", "memory", "fused"}
PY
check_exit 2 "bench train --per-layer, unknown precision" "$RESIST" "${bt[@]:0:6}" --precision fp8 --per-layer
# resist platforms: every built-in one listed with a description; one resolved with each key's source.
"$RESIST" platforms --format csv > "$tmp/platforms.csv" || fail=1
/usr/bin/python3 - "$tmp/platforms.csv" <<'PY' || { echo "FAIL platforms list"; fail=1; }
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
names = {r["platform"] for r in rows}
assert {"aws_p3_8xlarge", "dgx_a100_hdr", "hgx_h100_ndr", "aws_p5"} <= names, names
assert all(r["description"] for r in rows), rows
PY
"$RESIST" platforms --show parametric:gpus_per_node=4,nic_bw_GBps=25 --format csv > "$tmp/show.csv" || fail=1
/usr/bin/python3 - "$tmp/show.csv" <<'PY' || { echo "FAIL platforms --show"; fail=1; }
import csv, sys
rows = {r["key"]: r for r in csv.DictReader(open(sys.argv[1]))}
assert rows["gpus_per_node"]["value"] == "4" and rows["gpus_per_node"]["source"] == "file"
assert rows["nic_bw_GBps"]["value"] == "25" and rows["nic_bw_GBps"]["source"] == "file"
assert rows["gpu"]["source"] == "default" and rows["gpu"]["value"] == "V100"
assert rows["nccl_net_latency_s"]["source"] == "default"
PY
check_exit 2 "platforms --show unknown" "$RESIST" platforms --show nosuch
# bench allreduce --compare: a table written by nccl-tests, held side by side (ranks from its rank lines).
cat > "$tmp/perf.txt" <<'TXT'
#  Rank  0 Group  0 Pid   1 on node0 device  0 [0x07] NVIDIA H100 80GB HBM3
#  Rank  1 Group  0 Pid   2 on node0 device  1 [0x08] NVIDIA H100 80GB HBM3
#       size         count      type   redop    root     time   algbw   busbw #wrong     time   algbw   busbw #wrong
    16777216       4194304     float     sum      -1    52.10  322.02  322.02      0    52.00  322.6   322.6      0
   268435456      67108864     float     sum      -1    724.5  370.51  370.51      0    724.0  370.8   370.8      0
TXT
"$RESIST" bench allreduce --platform hgx_h100_ndr --compare "$tmp/perf.txt" --format csv > "$tmp/cmp.csv" || fail=1
/usr/bin/python3 - "$tmp/cmp.csv" <<'PY' || { echo "FAIL bench --compare"; fail=1; }
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
assert [int(r["size"]) for r in rows] == [16777216, 268435456], rows
assert [float(r["measured_busbw_GBps"]) for r in rows] == [322.02, 370.51]
assert all(float(r["simulated_busbw_GBps"]) > 0 for r in rows)
PY
# Events: failures every S seconds, ResIST elastic against data parallel restarted from checkpoints; the events
# written replay to the same times; a sweep with them costs more than without.
ev=(--model preact_resnet_small --rounds 8 --local-steps 2 --workers 4 --min-depth 1 --platform parametric:nodes=4,gpus_per_node=1)
"$RESIST" simulate "${ev[@]}" --protocols resist,data_parallel --failure-every-s 0.03 --restart-from-checkpoint data_parallel \
  --checkpoint-every 2 --fault-detect-s 0.002 --restart-s 0.004 --events-out "$tmp/ev.csv" --format json > "$tmp/ev1.json" \
  || { echo "FAIL simulate --failure-every-s"; fail=1; }
"$RESIST" simulate "${ev[@]}" --protocols resist,data_parallel --events "$tmp/ev.csv" --restart-from-checkpoint data_parallel \
  --checkpoint-every 2 --fault-detect-s 0.002 --restart-s 0.004 --format json > "$tmp/ev2.json" \
  || { echo "FAIL simulate --events (the written events)"; fail=1; }
/usr/bin/python3 - "$tmp/ev1.json" "$tmp/ev2.json" "$tmp/ev.csv" <<'PY' || { echo "FAIL events: lost time, policies or the replay of the written events"; fail=1; }
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
lost = {r["protocol"]: r for r in a["events"]["lost"]}
assert lost["resist"]["on_failure"] == "elastic" and lost["data_parallel"]["on_failure"] == "restart", lost
assert all(r["failures"] >= 1 and r["lost_s"] > 0 for r in lost.values()), lost
assert [r["total_s"] for r in a["results"]] == [r["total_s"] for r in b["results"]], (a["results"], b["results"])
assert open(sys.argv[3]).readline().strip() == "time_s,round,worker,event,factor,until_s"
PY
"$RESIST" sweep "${ev[@]:0:10}" --platforms parametric:nodes=4,gpus_per_node=1 --protocols resist --no-progress -o "$tmp/sw0.csv"
"$RESIST" sweep "${ev[@]:0:10}" --platforms parametric:nodes=4,gpus_per_node=1 --protocols resist --no-progress \
  --events "$tmp/ev.csv" -o "$tmp/sw1.csv" || { echo "FAIL sweep --events"; fail=1; }
/usr/bin/python3 - "$tmp/sw0.csv" "$tmp/sw1.csv" <<'PY' || { echo "FAIL sweep --events: no time lost"; fail=1; }
import csv, sys
t0, t1 = (float(next(csv.DictReader(open(p)))["total_s"]) for p in sys.argv[1:3])
assert t1 > t0, (t0, t1)
PY
# sweep --accuracy-curve: per point the time to each target and the speedup there; a curve belongs to one
# schedule, so a sweep over workers is refused. Rounds 1..4 reach 40, 55, 70, 80%.
printf 'round,acc_pct\n1,40\n2,55\n3,70\n4,80\n' > "$tmp/acc.csv"
acc=(--model preact_resnet_small --rounds 4 --local-steps 2 --workers 2 --platforms parametric:gpus_per_node=2
     --bandwidths 1,10 --protocols resist,local_sgd --no-progress --target-accuracy 50,75,90)
"$RESIST" sweep "${acc[@]}" --accuracy-curve resist="$tmp/acc.csv" --accuracy-curve local_sgd="$tmp/acc.csv" \
  -o "$tmp/acc_sweep.csv" || { echo "FAIL sweep --accuracy-curve"; fail=1; }
/usr/bin/python3 - "$tmp/acc_sweep.csv" <<'PY' || { echo "FAIL sweep --accuracy-curve columns"; fail=1; }
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
assert len(rows) == 4, len(rows)
for r in rows:
    assert r["time_to_90pct_s"] == "not reached", r
    # 50% at the evaluation after round 2, 75% after round 4 (the end of the run).
    assert float(r["time_to_75pct_s"]) <= float(r["total_s"]) * (1 + 1e-9), r
    assert 0 < float(r["time_to_50pct_s"]) < float(r["time_to_75pct_s"]), r
    if r["protocol"] == "local_sgd":
        assert float(r["speedup_at_50pct"]) == 1.0, r
    assert r["speedup_at_90pct"] == "-", r
PY
check_exit 2 "sweep --accuracy-curve over workers" "$RESIST" sweep "${acc[@]}" --workers 2,4 --accuracy-curve resist="$tmp/acc.csv"
check_exit 2 "sweep --accuracy-curve of a protocol not swept" "$RESIST" sweep "${acc[@]}" --accuracy-curve data_parallel="$tmp/acc.csv"
check_exit 2 "sweep --target-accuracy without a curve" "$RESIST" sweep "${acc[@]}"
# simulate --accuracy-curve over seeds: run directories of one config but the seed give the median and range;
# protocols over different seeds, or a run of another config, are refused.
seedrun=(--model preact_resnet_small --rounds 4 --local-steps 2 --workers 2)
for sd in 1 2 3; do
  for p in resist local_sgd; do
    mkdir -p "$tmp/$p$sd"
    "$RESIST" schedule "${seedrun[@]}" --protocol $p --seed $sd -o "$tmp/$p$sd/schedule.json" > /dev/null
    printf 'round,accuracy,loss,images,eval_s\n0,0.4,1,1,0\n1,0.%d,1,1,0\n3,0.8,1,1,0\n' $((4 + sd)) > "$tmp/$p$sd/eval.csv"
  done
done
"$RESIST" simulate "${seedrun[@]}" --protocols resist,local_sgd --platform parametric:gpus_per_node=2 --format json \
  --accuracy-curve "resist=$tmp/resist1,$tmp/resist2,$tmp/resist3" --target-accuracy 60 \
  --accuracy-curve "local_sgd=$tmp/local_sgd1,$tmp/local_sgd2,$tmp/local_sgd3" > "$tmp/seeds.json" \
  || { echo "FAIL simulate over seeds"; fail=1; }
/usr/bin/python3 - "$tmp/seeds.json" <<'PY' || { echo "FAIL simulate over seeds: median and range"; fail=1; }
import json, sys
rows = {r["protocol"]: r for r in json.load(open(sys.argv[1]))["time_to_accuracy"]}
r = rows["resist"]
# 60%: seed 1 (50% after 2 rounds, 80% after 4) at round 4, seeds 2 and 3 (60, 70%) at round 2.
assert (r["seeds"], r["seeds_reached"]) == (3, 3), r
assert r["min_s"] == r["median_s"] < r["max_s"], r
assert [s["seed"] for s in r["per_seed"]] == ["seed 1", "seed 2", "seed 3"], r
PY
check_exit 2 "seed sets differ" "$RESIST" simulate "${seedrun[@]}" --protocols resist,local_sgd \
  --platform parametric:gpus_per_node=2 --accuracy-curve "resist=$tmp/resist1,$tmp/resist2,$tmp/resist3" \
  --accuracy-curve "local_sgd=$tmp/local_sgd1,$tmp/local_sgd2"
"$RESIST" schedule --model preact_resnet_small --rounds 4 --local-steps 3 --workers 2 --seed 5 -o "$tmp/resist3/schedule.json" > /dev/null
check_exit 2 "a seed run of another config" "$RESIST" simulate "${seedrun[@]}" --protocols resist \
  --platform parametric:gpus_per_node=2 --accuracy-curve "resist=$tmp/resist1,$tmp/resist3"
exit $fail
