#!/usr/bin/env bash
# Runs one libFuzzer target over its seed corpus (tests/fuzz/corpus/<name>), with new inputs kept in
# <build>/fuzz/corpus/<name> so the checked-in seeds stay small.
#   tests/fuzz/run.sh BUILD_DIR NAME [libFuzzer flags...]
#   tests/fuzz/run.sh build-san schedule -max_total_time=600     # a 10-minute campaign
#   tests/fuzz/run.sh build-san schedule -runs=2000              # the CI smoke run
# Exit status: libFuzzer's (non-zero on a crash, leak, sanitizer finding or timeout; the input that did it
# is written as crash-* / timeout-* in the current folder).
set -euo pipefail
build=$1 name=$2
shift 2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
work="$build/fuzz/corpus/$name"
mkdir -p "$work"
exec "$build/fuzz/fuzz_$name" -rss_limit_mb=2048 -timeout=20 -max_len=65536 "$@" "$work" "$here/corpus/$name"
