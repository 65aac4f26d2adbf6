#!/usr/bin/env bash
# Quick start, command 2: the same set-up as run.sh, then the whole test suite (CTest: core, sim, exec).
set -euo pipefail
RESIST_EXTRA_PACKAGES="python3-torch" source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
ctest --test-dir build --output-on-failure --timeout 900
