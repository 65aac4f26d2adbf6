#!/usr/bin/env bash
# On this (Debian) machine: download the .deb files a GPU machine without network needs to build the trainer
# against its own CUDA PyTorch 2.x, into .debs/ (git-ignored). About 2 MB. Then carry .debs with the tree and
# run experiments/gpu_h100/run-on-gpu.sh there.
set -euo pipefail
cd "$(dirname "$0")/../.."
exclude=$(git rev-parse --git-path info/exclude) # also in a worktree, where .git is a file
mkdir -p "$(dirname "$exclude")"
grep -qx '/.debs/' "$exclude" 2>/dev/null || echo '/.debs/' >> "$exclude"
mkdir -p .debs && cd .debs
apt-get download libfmt-dev libfmt9 libcli11-dev nlohmann-json3-dev libtomlplusplus-dev libtomlplusplus3 \
  libxxhash-dev libxxhash0 catch2 libgloo-dev zlib1g-dev libturbojpeg0-dev libturbojpeg0 libpng-dev libpng16-16
ls -la
