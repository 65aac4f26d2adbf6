#!/usr/bin/python3
"""Data parallel across nodes: MLPerf ResNet-50 scaling efficiency (per-GPU throughput on N nodes over 1 node,
same per-GPU batch) against `resist simulate --protocols data_parallel`, on platforms described from the
systems' datasheets (ddp_multinode.csv). Fits ddp_step_cv_net (sim/platform.hpp) on the `fit` row by bisection
and reports every row's error in efficiency points, with and without it.
Usage: /usr/bin/python3 fit_ddp_multinode.py [RESIST]   (default: $RESIST, else build/bin/resist)"""
import csv, io, os, subprocess, sys

HERE = os.path.dirname(os.path.abspath(__file__))
IB = "nccl_net_latency_s=30e-6,nccl_chunk_net_s=10e-6,collective_latency_s=30e-6,group_create_s=0.01,group_init_s=1.02"
PLATFORMS = {  # the systems' datasheets (Dell/systems/*.json), as parametric platforms
    "XE8545-40GB": "parametric:gpus_per_node=4,gpu=A100_40GB,intra_bw_GBps=300,intra_efficiency=0.822,"
                   "intra_latency_us=1,nic_bw_GBps=25,nic_efficiency=0.96,nics_per_node=2,inter_latency_us=2.5,"
                   "topology=fat-tree," + IB,
    "XE8545-80GB": "parametric:gpus_per_node=4,gpu=A100,intra_bw_GBps=300,intra_efficiency=0.822,intra_latency_us=1,"
                   "nic_bw_GBps=25,nic_efficiency=0.96,nics_per_node=2,inter_latency_us=2.5,topology=fat-tree," + IB,
    # PCIe gen4 x16 (32 GB/s) per GPU at the NICs' efficiency; EDR 100 Gb/s.
    "R750xa": "parametric:gpus_per_node=4,gpu=A100,intra_link=pcie,intra_bw_GBps=32,intra_efficiency=0.96,"
              "intra_latency_us=2,nic_bw_GBps=12.5,nic_efficiency=0.96,nics_per_node=1,inter_latency_us=2.5,"
              "topology=fat-tree," + IB,
}


def per_gpu(resist, r, cv_net):
    workers = int(r["gpus_per_node"]) * int(r["nodes"])
    batch = r["batch"]
    out = subprocess.run([resist, "simulate", "--model", "resnet50", "--dataset", "synthetic", "--train-size",
                          str(int(batch) * 20), "--epochs", "1", "--protocols", "data_parallel", "--workers",
                          str(workers), "--batch", batch, "--precision", "fp16", "--fusion", "conv_bn",
                          "--platform", PLATFORMS[r["system"]], "--platform-param", f"ddp_step_cv_net={cv_net}",
                          "--format", "csv"], check=True, capture_output=True, text=True).stdout
    total = float(list(csv.DictReader(io.StringIO(out)))[0]["total_s"])
    return int(batch) * 20 / total  # images per worker (each worker's epoch: 20 steps)


def efficiencies(resist, rows, cv_net):
    ref = {r["system"]: per_gpu(resist, r, cv_net) for r in rows if r["role"] == "ref"}
    return {id(r): 100 * per_gpu(resist, r, cv_net) / ref[r["system"]] for r in rows if r["role"] != "ref"}


def measured(rows, r):
    ref = next(x for x in rows if x["system"] == r["system"] and x["role"] == "ref")
    per = lambda x: float(x["img_per_s"]) / (int(x["gpus_per_node"]) * int(x["nodes"]))
    return 100 * per(r) / per(ref)


def main():
    resist = sys.argv[1] if len(sys.argv) > 1 and not sys.argv[1].startswith("--") else os.environ.get("RESIST", os.path.join(HERE, "..", "..", "build", "bin", "resist"))
    rows = list(csv.DictReader(l for l in open(os.path.join(HERE, "ddp_multinode.csv")) if not l.startswith("#")))
    fit = next(r for r in rows if r["role"] == "fit")
    lo, hi = 0.0, 0.3
    for _ in range(20):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if efficiencies(resist, [x for x in rows if x["system"] == fit["system"]], mid)[id(fit)] > measured(rows, fit) else (lo, mid)
    cv = round((lo + hi) / 2, 4)
    print(f"fitted: ddp_step_cv_net = {cv} (on {fit['system']} {fit['nodes']} nodes)")
    with_cv, without = efficiencies(resist, rows, cv), efficiencies(resist, rows, 0)
    print("\nsystem,nodes,gpus,batch,measured_efficiency_pct,simulated_pct,error_points,without_cv_net_pct,role")
    errs = []
    for r in rows:
        if r["role"] == "ref":
            continue
        m, s, b = measured(rows, r), with_cv[id(r)], without[id(r)]
        if r["role"] == "held_out":
            errs.append(abs(s - m))
        print(f"{r['system']},{r['nodes']},{int(r['gpus_per_node']) * int(r['nodes'])},{r['batch']},{m:.1f},{s:.1f},"
              f"{s - m:+.1f},{b:.1f},{r['role']}")
    errs.sort()
    print(f"\nheld out: {len(errs)} points, median |error| {errs[len(errs) // 2]:.1f} points, max {errs[-1]:.1f}")


if __name__ == "__main__":
    main()
