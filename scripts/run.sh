#!/usr/bin/env bash
# Quick start, command 1: install what is missing, build, and run the main job on its embedded default:
# the paper's communication table recomputed from first principles next to the published numbers.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
echo
build/bin/resist paper
