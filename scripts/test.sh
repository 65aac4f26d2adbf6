#!/usr/bin/env bash
# Quick start, command 2: the same set-up as run.sh, then the whole test suite (CTest: core, sim, exec,
# bad_input), then the hardening stages:
#   - an ASan + UBSan build (clang; core, sim and the CLI, no LibTorch, to stay within CI's time) that runs
#     the core, sim and bad-input tests: any sanitizer finding fails the test;
#   - a smoke run of every libFuzzer target over its seed corpus (tests/fuzz/README.md).
set -euo pipefail
RESIST_EXTRA_PACKAGES="python3-torch python3-torchvision clang" source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
ctest --test-dir build --output-on-failure --timeout 900 -LE bad_input
# The bad-input cases are short, independent processes: in parallel.
ctest --test-dir build --output-on-failure --timeout 900 -L bad_input -j"$jobs"

echo "test: ASan + UBSan build (build-san/)"
CC=clang CXX=clang++ cmake -S . -B build-san -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" -DRESIST_BUILD_TESTS=ON -DRESIST_BUILD_EXEC=OFF \
  -DRESIST_FUZZ=ON > build-san.log 2>&1 || { cat build-san.log; exit 1; }
cmake --build build-san -j"$jobs" >> build-san.log 2>&1 || { tail -50 build-san.log; exit 1; }
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
ctest --test-dir build-san -L 'core|sim' --output-on-failure --timeout 600 -j"$jobs"

echo "test: fuzz smoke runs (tests/fuzz)"
for target in schedule config platform csv idx cifar; do
  ( cd build-san && ../tests/fuzz/run.sh . "$target" -runs=20000 -max_total_time=15 > "fuzz_$target.log" 2>&1 ) ||
    { tail -30 "build-san/fuzz_$target.log"; echo "fuzz smoke run of $target failed"; exit 1; }
  grep -h '^Done' "build-san/fuzz_$target.log" | sed "s/^/fuzz $target: /"
done
