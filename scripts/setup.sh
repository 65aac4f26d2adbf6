#!/usr/bin/env bash
# Sourced by run.sh and test.sh: installs what is missing from Debian's archive (bookworm), then
# configures and builds into build/. Safe to run again: installed packages and a built tree are kept.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

RESIST_PACKAGES=(
  build-essential cmake pkg-config git
  libfmt-dev libcli11-dev catch2 nlohmann-json3-dev libtomlplusplus-dev libxxhash-dev zlib1g-dev
  libsimgrid-dev                      # sim/
  libtorch-dev libgloo-dev            # exec/ (CPU LibTorch 1.13 + Gloo headers for c10d)
  libturbojpeg0-dev libpng-dev        # exec/: --dataset imagefolder decodes JPEG and PNG
  dataset-fashion-mnist               # the real data set that ships with Debian
  python3 python3-matplotlib python3-pandas  # Debian's /usr/bin/python3: tests, plots, python/ (DataFrames)
)

# test.sh adds python3-torch: the torchrun test runs `torchrun --no-python resist train` (skipped without it).
RESIST_PACKAGES+=(${RESIST_EXTRA_PACKAGES:-})

missing=()
for p in "${RESIST_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

jobs=$(nproc 2>/dev/null || echo 2)
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DRESIST_BUILD_TESTS=ON > build.log 2>&1 || { cat build.log; exit 1; }
grep 'resist:' build.log || true
cmake --build build -j"$jobs" >> build.log 2>&1 || { tail -50 build.log; exit 1; }
echo "setup: built build/bin/resist"
