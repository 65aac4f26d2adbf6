#!/usr/bin/env bash
# On a GPU machine with a CUDA PyTorch 2.x in python3, CMake and a compiler, none of our Debian packages and
# no network (../shared/reference/device-build.md): unpack the carried .debs into a prefix (never into /),
# build the trainer (exec only: SimGrid stays home) against PyTorch's LibTorch with NCCL, run the [gpu]
# tests, then measure, writing everything to one folder:
#   exec/gpu/run-on-gpu.sh [OUT]          (OUT defaults to $OUT, else gpu-results)
# What it measures (issue "The trainer on GPUs"): per-layer profiles of preact_resnet101_cifar at batch 128
# in fp32, tf32 and bf16 (platforms/profiles/h100_<model>_<precision>_b<batch>.csv); one training step of
# ours against the same step in that machine's PyTorch; short ResIST and local SGD runs of
# preact_resnet101_cifar with 2 ranks time-sharing the GPU over Gloo (CUDA tensors), whose run directories
# come back for `resist validate` here; the GPU's clocks and the software versions.
# NOT YET RUN ON A GPU: written and checked on CPU only (no device was lent to the session that wrote it).
set -uo pipefail
cd "$(dirname "$0")/../.."
RES=${1:-${OUT:-gpu-results}}
mkdir -p "$RES"
exec > >(tee "$RES/log.txt") 2>&1
DEPS=/tmp/resist-deps
mkdir -p "$DEPS"
for f in .debs/*.deb; do dpkg -x "$f" "$DEPS"; done
TORCH_PREFIX=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')
nvidia-smi --query-gpu=name,clocks.sm,clocks.max.sm,clocks.mem,driver_version --format=csv > "$RES/gpu.csv" || true
python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, "cudnn", torch.backends.cudnn.version(), "nccl", torch.cuda.nccl.version())' > "$RES/versions.txt"
export LD_LIBRARY_PATH="$DEPS/usr/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}"
cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DRESIST_BUILD_SIM=OFF -DRESIST_BUILD_TESTS=ON \
  -DCMAKE_PREFIX_PATH="$TORCH_PREFIX;$DEPS/usr" -DCMAKE_CXX_FLAGS="-I$DEPS/usr/include" \
  -DCMAKE_LIBRARY_PATH="$DEPS/usr/lib/x86_64-linux-gnu" 2>&1 | tee "$RES/cmake.txt" | grep 'resist:'
cmake --build build-gpu -j"$(nproc)" > "$RES/build.txt" 2>&1 || { tail -40 "$RES/build.txt"; exit 1; }
R=build-gpu/bin/resist
build-gpu/bin/test_exec "[gpu]" > "$RES/gpu_tests.txt" 2>&1; echo "[gpu] tests: exit $?"
M=(--model preact_resnet101_cifar --dataset synthetic --train-size 2560 --device cuda)
mkdir -p "$RES/profiles"
for p in fp32 tf32 bf16; do
  "$R" profile "${M[@]}" --batch 128 --precision "$p" --repeats 20 --warmup 5 -q \
    --out "$RES/profiles/h100_preact_resnet101_cifar_${p}_b128.csv" > "$RES/profile_$p.txt" 2>&1
  "$R" train "${M[@]}" --batch 128 --precision "$p" --bench-steps 20 > "$RES/bench_ours_$p.json" 2>&1
done
python3 exec/gpu/torch_step.py > "$RES/bench_pytorch.json" 2>&1
for proto in resist local_sgd; do
  "$R" train --nproc 2 --backend gloo --protocol "$proto" "${M[@]}" --batch 128 --rounds 6 --local-steps 10 \
    --test-size 1000 --run-dir "$RES/run_$proto" -q > "$RES/run_$proto.txt" 2>&1
  cp "$RES/profiles/h100_preact_resnet101_cifar_fp32_b128.csv" "$RES/run_$proto/profile.csv"
done
echo "done: $RES (bring run_* back and run: resist validate --run-dir RUN --platform <a GPU platform>)"
