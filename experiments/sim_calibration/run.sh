#!/usr/bin/env bash
# Calibration of the simulator's hardware models against published measurements, held apart from validation.
# Fits what each model fits (GPU efficiencies, DDP step variation) and reports the error on every published
# point, fitted and held out. Expected (README.md): single-GPU ResNet-50 held-out mean |error| 10.8% (FP32/TF32
# within 8.1%); MLPerf H100/H200 per GPU +2.6%, +0.3%, +5.1% (A100 -17.5%); nccl-tests busbw held-out mean
# 2.3% (max 9.4%; 23 points, 13 across nodes, up to 1,984 GPUs); DDP overhead held-out within 1 point (host input pipeline rates
# fitted per host on the AMP rows). About a minute on 2 cores (31 s on 2026-11-23, load average 2).
# Usage: [RESIST=path/to/resist] experiments/sim_calibration/run.sh   (default build/bin/resist; a path as
# the first argument still works)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
resist=${1:-${RESIST:-$here/../../build/bin/resist}}
echo "== GPU compute: ResNet-50 v1.5 single-GPU training throughput (fit_gpu.py; --write updates platforms/gpus.csv)"
python3 "$here/fit_gpu.py" "$resist" | tee "$here/gpu_fit.txt"
echo
echo "== the same with one tensor-core efficiency per GPU (the alternative, README section 1)"
python3 "$here/fit_gpu.py" "$resist" --tied | tee "$here/gpu_fit_tied.txt"
echo
echo "== the MLPerf rows at every fusion level (fusion_ablation.py)"
python3 "$here/fusion_ablation.py" "$resist" | tee "$here/fusion_ablation.txt"
echo
echo "== Network: nccl-tests all-reduce bus bandwidth (resist bench allreduce)"
python3 "$here/check_network.py" "$resist" | tee "$here/network_check.txt"
echo
echo "== Network at every size: published nccl-tests sweeps, 1 MiB - 16 GiB (check_sweeps.py; README section 2b)"
RESIST="$resist" /usr/bin/python3 "$here/check_sweeps.py" --out "$here/network_sweeps_simulated.csv" | tee "$here/network_sweeps_check.txt"
/usr/bin/python3 "$here/../../plots/allreduce_sweeps.py" "$here/network_sweeps_simulated.csv" "$here/network_sweeps.png"
echo
echo "== DDP: 1 -> 8 GPU overhead (resist simulate --protocols data_parallel)"
python3 "$here/fit_ddp.py" "$resist" | tee "$here/ddp_fit.txt"
echo
echo "== DDP across nodes: MLPerf ResNet-50 scaling efficiency at the 1-node per-GPU batch (fit_ddp_multinode.py)"
/usr/bin/python3 "$here/fit_ddp_multinode.py" "$resist" | tee "$here/ddp_multinode_fit.txt"
echo
echo "== figure: predicted against measured (plot_calibration.py, Debian's matplotlib)"
/usr/bin/python3 "$here/plot_calibration.py" "$here/calibration.png"
