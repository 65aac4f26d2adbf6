#!/usr/bin/env python3
"""Simulated nccl-tests bus bandwidth (resist bench allreduce) against network_busbw.csv.
usage: check_network.py [RESIST]   (default: $RESIST, else build/bin/resist)"""
import csv, io, os, subprocess, sys

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    resist = sys.argv[1] if len(sys.argv) > 1 and not sys.argv[1].startswith("--") else os.environ.get("RESIST", os.path.join(HERE, "..", "..", "build", "bin", "resist"))
    lines = [l for l in open(os.path.join(HERE, "network_busbw.csv")) if not l.startswith("#") and l.strip()]
    print("platform,workers,algorithm,bytes,measured_busbw,simulated_busbw,chosen,error_pct,role,source")
    errs, beyond = [], []
    for line in lines[1:]:
        # the platform may be a parametric spec with commas: the last six fields are fixed
        cells = line.rstrip("\n").split(",")
        platform, (workers, algo, size, busbw, role, source) = ",".join(cells[:-6]), cells[-6:]
        out = subprocess.run([resist, "bench", "allreduce", "--platform", platform, "-n", workers, "--algorithm",
                              algo, "-b", size, "-e", size, "--format", "csv"], check=True, capture_output=True,
                             text=True).stdout
        row = list(csv.DictReader(io.StringIO(out)))[0]
        sim = float(row["busbw_GBps"])
        err = 100 * (sim - float(busbw)) / float(busbw)
        if role == "held_out":
            errs.append(abs(err))
        elif role == "beyond_model":
            beyond.append(err)
        print(f'"{platform}",{workers},{algo},{size},{busbw},{sim:.0f},{row["algorithm"]},{err:+.1f},{role},{source}')
    print(f"\nheld out: {len(errs)} points, mean |error| {sum(errs) / len(errs):.1f}%, max {max(errs):.1f}%")
    if beyond:
        print(f"beyond the model: {len(beyond)} points, errors "
              + ", ".join(f"{e:+.1f}%" for e in beyond))


if __name__ == "__main__":
    main()
