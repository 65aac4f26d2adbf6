#!/usr/bin/env bash
# One local SGD step of resist train vs the same step in Debian's PyTorch, 1 and 2 threads.
# Expected: ratio ours / PyTorch about 1 (the same LibTorch kernels; no slower). Prints one JSON line each.
# Usage: experiments/train_speed/run.sh   ([RESIST=path/to/resist], default build/bin/resist)
set -euo pipefail
RESIST=$(realpath -m "${RESIST:-$(dirname "$0")/../../build/bin/resist}") # before the cd: a relative RESIST is the caller's
cd "$(dirname "$0")/../.."
for t in 1 2; do
  /usr/bin/python3 experiments/train_speed/bench.py --resist "$RESIST" --threads "$t" --steps 20 --repeats 3
done
