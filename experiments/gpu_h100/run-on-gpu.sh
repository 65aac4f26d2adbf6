#!/usr/bin/env bash
# On a GPU machine with a CUDA PyTorch 2.x in python3, CMake and a compiler, none of our Debian packages and
# no network (../shared/reference/device-build.md): unpack the carried .debs into a prefix (never into /),
# build the trainer (exec only: SimGrid stays home) against PyTorch's LibTorch with NCCL, run the [gpu]
# tests, then measure, writing everything to one folder:
#   experiments/gpu_h100/run-on-gpu.sh [OUT]          (OUT defaults to $OUT, else gpu-results)
# Environment: BUDGET_S (default 560): seconds the whole script may take; phases that would not fit are
# skipped and say so. PHASES (default "all"): a subset of build gputests bench r50 profiles nccl vruns
# cputests (the facts about the machine are always taken). PROFILE_MODELS (profiles), VREPEATS,
# VPROTOCOLS, VPRECISION, VSOLO, VPROFILE_R2 (vruns), R50_PRECISIONS (r50), CPUTESTS (cputests: test
# files, default all): see those phases. A carried build-gpu (bin.tar.gz of an earlier run, unpacked at the
# repository root: build-gpu/bin/{resist,resist-torch,test_exec}) skips the build.
# What comes back in OUT: log.txt, results.tar.gz (every measurement: profiles, bench JSON, run
# directories, GPU clocks, versions), bin.tar.gz (the stripped binaries, to carry into the next run).
# experiments/gpu_h100/README.md says what each measurement is for and how it is compared at home.
set -uo pipefail
cd "$(dirname "$0")/../.."
RES=${1:-${OUT:-gpu-results}}
mkdir -p "$RES"
W=$(mktemp -d)                     # the measurements; tarred into RES at the end
exec > >(tee "$RES/log.txt") 2>&1
T0=$(date +%s)
DEADLINE=$((T0 + ${BUDGET_S:-560}))
PHASES=" ${PHASES:-all} "
left() { echo $((DEADLINE - $(date +%s))); }
want() { [[ $PHASES == *" all "* || $PHASES == *" $1 "* ]]; }
# fits NAME SECONDS: true when the phase is wanted and SECONDS remain (plus 25 s for packing up)
fits() { want "$1" || return 1; if (($(left) < $2 + 25)); then echo "== skip $1: $(left) s left, needs $2"; return 1; fi; echo "== $1 ($(left) s left)"; }
finish() {
  nvidia-smi --query-gpu=name,clocks.sm,clocks.max.sm,clocks.mem,temperature.gpu,power.draw --format=csv > "$W/gpu_after.csv" 2>&1
  echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)" | tee "$W/loadavg_end.txt"
  tar -C "$W" --exclude='*.pt' -czf "$RES/results.tar.gz" . && echo "results: $(du -h "$RES/results.tar.gz" | cut -f1)"
  if [[ -x build-gpu/bin/resist && ! -f build-gpu/.carried ]]; then
    # resist runs train and profile through resist-torch: both travel (as build-gpu/bin/, ready to carry).
    mkdir -p build-gpu/stripped/build-gpu/bin
    for b in resist resist-torch test_exec; do strip -o build-gpu/stripped/build-gpu/bin/$b build-gpu/bin/$b; done
    tar -C build-gpu/stripped -czf "$RES/bin.tar.gz" build-gpu && echo "bin: $(du -h "$RES/bin.tar.gz" | cut -f1)"
  fi
  echo "== end after $(($(date +%s) - T0)) s"
}
trap finish EXIT

# --- facts: the GPU, its clocks, the software
nvidia-smi --query-gpu=name,clocks.sm,clocks.max.sm,clocks.mem,driver_version,temperature.gpu,power.draw --format=csv > "$W/gpu.csv" 2>&1
cat "$W/gpu.csv"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)" | tee "$W/loadavg_start.txt"
python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, "cudnn", torch.backends.cudnn.version(), "nccl", torch.cuda.nccl.version())' | tee "$W/versions.txt"
{ g++ --version | head -1; cmake --version | head -1; ninja --version; nproc; } 2>&1 | tee -a "$W/versions.txt"
TORCH_PREFIX=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')
TORCH_INC=$(python3 -c 'import torch, os; print(os.path.join(os.path.dirname(torch.__file__), "include"))')
echo "torch include: $(ls "$TORCH_INC" | tr '\n' ' ')"
echo "std::filesystem functions libtorch.so exports: $(nm -D --defined-only "$(dirname "$TORCH_INC")/lib/libtorch.so" 2>/dev/null | grep -c 'St10filesystem')"

# --- deps: Debian's dev packages into a prefix. Gloo's headers only when PyTorch ships none (its own
# Gloo is compiled into libtorch_cpu; headers of another version might not match it; 2.11's wheel ships
# none). They go in with -I, not -isystem: GCC searches -I folders first, so Debian's fmt 9 wins over the
# fmt PyTorch ships, which libfmt.so.9 would not match.
DEPS=/tmp/resist-deps
mkdir -p "$DEPS"
for f in .debs/*.deb; do
  [[ $f == *libgloo-dev* && -f $TORCH_INC/gloo/algorithm.h ]] && continue
  dpkg -x "$f" "$DEPS"
done
export LD_LIBRARY_PATH="$DEPS/usr/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}"
R=build-gpu/bin/resist
[[ -x $R ]] && touch build-gpu/.carried

if [[ ! -x $R ]] && fits build 200; then
  GEN=(); command -v ninja > /dev/null && GEN=(-G Ninja)
  cmake -S . -B build-gpu "${GEN[@]}" -DCMAKE_BUILD_TYPE=Release -DRESIST_BUILD_SIM=OFF -DRESIST_BUILD_TESTS=ON \
    -DCMAKE_PREFIX_PATH="$TORCH_PREFIX;$DEPS/usr" -DCMAKE_CXX_FLAGS="-I$DEPS/usr/include" \
    -DCMAKE_LIBRARY_PATH="$DEPS/usr/lib/x86_64-linux-gnu" > "$W/cmake.txt" 2>&1
  grep -E 'resist:|Error|error' "$W/cmake.txt"
  tb=$(date +%s)
  # -k 0: every compile error in one go (a GPU run is too dear to learn them one at a time)
  if ! timeout $(($(left) - 60)) cmake --build build-gpu -j"$(nproc)" -- -k 0 > "$W/build.txt" 2>&1; then
    grep -E 'error|Error' "$W/build.txt" | head -60
    echo "build FAILED"; exit 1
  fi
  echo "built in $(($(date +%s) - tb)) s"
fi
[[ -x $R ]] || { echo "no binary"; exit 1; }

if fits gputests 60; then # one run, XML: every check and warning (a skip says "no CUDA device") is in it
  timeout 120 build-gpu/bin/test_exec "[gpu]" -r xml -s -d yes > "$W/gpu_tests.xml" 2>&1; echo "[gpu] tests: exit $?"
  grep -q "test skipped" "$W/gpu_tests.xml" && echo "[gpu] tests SKIPPED: test_exec sees no CUDA"
  grep -m1 "<OverallResults " "$W/gpu_tests.xml"
fi

M=(--model preact_resnet101_cifar --dataset synthetic --train-size 2560 --device cuda)
if fits bench 120; then
  for p in fp32 tf32 bf16 fp16; do
    for mf in nchw channels_last; do
      timeout 60 "$R" train "${M[@]}" --batch 128 --precision "$p" --memory-format $mf --bench-steps 20 \
        > "$W/bench_ours_${p}_$mf.json" 2>&1
      echo "ours $p $mf: $(tail -1 "$W/bench_ours_${p}_$mf.json")"
    done
  done
  timeout 90 python3 experiments/gpu_h100/torch_step.py > "$W/bench_pytorch.json" 2>&1; cat "$W/bench_pytorch.json"
fi

if fits r50 120; then
  PYTHONUNBUFFERED=1 timeout 150 python3 experiments/gpu_h100/torch_resnet50.py 256 ${R50_PRECISIONS:-fp32 tf32 bf16 fp16} \
    > "$W/torch_resnet50_b256.jsonl" 2>&1
  cat "$W/torch_resnet50_b256.jsonl"
fi

# Per-layer profiles as `resist train` runs by default (--memory-format auto: channels-last in tf32/bf16).
# PROFILE_MODELS: "preact_resnet101_cifar:128" and/or "resnet50:256" (ImageNet shape, synthetic data).
if fits profiles 120; then
  mkdir -p "$W/profiles"
  for mb in ${PROFILE_MODELS:-preact_resnet101_cifar:128}; do
    model=${mb%%:*} batch=${mb##*:}
    for p in fp32 tf32 bf16; do
      (($(left) < 60)) && { echo "profile $model $p: not run (time)"; continue; }
      f="$W/profiles/h100_${model}_${p}_b$batch.csv"
      timeout 150 "$R" profile --model "$model" --dataset synthetic --train-size $((batch * 4)) --device cuda \
        --batch "$batch" --precision "$p" --repeats 20 --warmup 5 --test-size 200 -q --out "$f" > "$W/profile_${model}_$p.txt" 2>&1
      echo "profile $model $p: exit $? $(wc -l < "$f" 2>/dev/null) lines"
    done
  done
fi

if fits nccl 40; then # one rank: NCCL refuses two ranks on one GPU; this builds the NCCL world group
  timeout 60 "$R" train --nproc 1 --backend nccl --protocol data_parallel "${M[@]}" --batch 128 --rounds 2 \
    --local-steps 5 --test-size 500 --run-dir "$W/run_nccl1" -q > "$W/run_nccl1.txt" 2>&1
  echo "nccl 1 rank: exit $?"; tail -2 "$W/run_nccl1.txt"
fi

# For `resist validate` at home (experiments/gpu_h100/compare.py): Gloo among 2 local ranks (the platform's
# network), a profile of one rank alone on the GPU (validate models the ranks time-sharing it), and runs of
# every protocol on 2 ranks. VPRECISION (default fp32): the runs' and profile's precision (memory format:
# auto). VSOLO=1: also 1-worker local SGD runs (the profile against a run with the GPU to itself).
# VPROFILE_R2=1: also a profile by 2 processes at once (the earlier way to capture sharing).
if fits vruns 150; then
  VP=${VPRECISION:-fp32}
  timeout 90 "$R" profile --comm --nproc 2 --repeats 5 -q --out "$W/h100_gloo_r2.toml" > "$W/comm_profile.txt" 2>&1
  echo "comm profile: exit $?"
  timeout 60 "$R" profile "${M[@]}" --batch 128 --precision "$VP" --repeats 20 --warmup 5 --test-size 1000 -q \
    --out "$W/vprofile_${VP}_b128.csv" > "$W/vprofile.txt" 2>&1
  echo "profile: exit $?"
  if [[ ${VPROFILE_R2:-0} == 1 ]]; then
    timeout 90 "$R" profile "${M[@]}" --batch 128 --precision "$VP" --repeats 20 --warmup 5 --test-size 1000 -q \
      --ranks 2 --out "$W/vprofile_${VP}_b128_r2.csv" > "$W/vprofile_r2.txt" 2>&1
    echo "profile, 2 ranks: exit $?"
  fi
  tag=; [[ $VP != fp32 ]] && tag=_$VP
  # VREPEATS: runs per protocol, interleaved (rep 1 of each protocol, then rep 2, ...), so a slow spell
  # of the machine does not fall on one protocol alone.
  for rep in $(seq 1 "${VREPEATS:-1}"); do
    runs=(); for proto in ${VPROTOCOLS:-resist local_sgd data_parallel}; do runs+=("$proto:2"); done
    [[ ${VSOLO:-0} == 1 ]] && runs+=("local_sgd:1")
    for pw in "${runs[@]}"; do
      proto=${pw%%:*} n=${pw##*:}
      d=v_$proto$tag; ((n == 1)) && d=v_${proto}${tag}_solo; ((${VREPEATS:-1} > 1)) && d=${d}_r$rep
      (($(left) < 70)) && { echo "$d: not run (time)"; continue; }
      timeout 120 "$R" train --nproc "$n" --workers "$n" --backend gloo --protocol "$proto" "${M[@]}" --batch 128 \
        --precision "$VP" --rounds 8 --local-steps 20 --test-size 1000 --run-dir "$W/$d" -q > "$W/$d.txt" 2>&1
      echo "$d: exit $?"; tail -1 "$W/$d.txt"
    done
  done
fi

if fits cputests 60; then
  # One process per test file ([#file] tags), so a crash names its file and the others still run.
  for f in ${CPUTESTS:-tests/exec/test_*.cpp}; do
    t=$(basename "$f" .cpp)
    (($(left) < 40)) && { echo "$t: not run (time)"; continue; }
    timeout $(($(left) - 30)) build-gpu/bin/test_exec -# "[#$t]~[gpu]" > "$W/cpu_$t.txt" 2>&1
    rc=$?; echo "$t: exit $rc, $(grep -E '^(All tests passed|test cases:)' "$W/cpu_$t.txt" | head -1)"
    ((rc != 0)) && grep -B3 -A12 -E 'FAILED|SIGSEGV|fatal error' "$W/cpu_$t.txt" | head -40
    if ((rc == 139)) && command -v cuda-gdb > /dev/null; then # where it crashed
      timeout 60 cuda-gdb -batch -ex run -ex bt --args build-gpu/bin/test_exec -# "[#$t]~[gpu]" 2>&1 | grep -E '^#|signal' | head -25
    fi
  done
fi
