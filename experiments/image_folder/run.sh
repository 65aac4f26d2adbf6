#!/usr/bin/env bash
# The image-folder loader's decode rate (exec/README.md's table), reproducible: writes two trees of photo-like JPEGs
# (make_tree.py: 10 classes x 20, ImageNet's typical 500 x 375 and a 256 x 256 one) and times the trainer's loader
# alone on each (`resist profile --input-pipeline`, ResNet-50's 224 x 224 crops, batch 32, 1 thread, 6 batches),
# printing images per second (wall) and per CPU second (= per core: the simulator's input_img_per_s per core)
# with the load average. About a minute. Usage: [RESIST=path/to/resist] experiments/image_folder/run.sh [OUT]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
resist=$(realpath "${RESIST:-$root/build/bin/resist}")
out=$(realpath -m "${1:-$root/experiments/image_folder/results}")
mkdir -p "$out"
for size in 500x375 256x256; do
  tree="$out/tree_$size"
  [ -d "$tree/train" ] || /usr/bin/python3 "$root/experiments/image_folder/make_tree.py" "$tree" --size "$size"
  echo "== $size; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
  "$resist" profile --input-pipeline --model resnet50 --dataset imagefolder --data-dir "$tree" --threads 1 \
    --batch 32 --repeats 6 | tee "$out/input_pipeline_$size.txt"
done
