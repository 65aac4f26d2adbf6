"""resist from Python: each function runs the `resist` binary with --format json and returns a pandas DataFrame.

    import resist
    sim = resist.simulate(model="resnet50", dataset="imagenet", workers=32, platform="hgx_h100_ndr",
                          protocols=["resist", "data_parallel"], epochs=90, min_depth=2)
    sim[["protocol", "total_s", "per_round_s"]]

Keyword arguments become flags (local_steps=50 -> --local-steps 50; a list -> comma-separated; True -> a bare
flag; False / None -> left out). The run's context (model, platform, epochs ...) rides along in `df.attrs`.
A bad argument raises ResistError with resist's own one-line message. The binary is $RESIST, else the
repository's build/bin/resist, else `resist` on PATH.
"""
import json
import os
import shutil
import subprocess

import pandas as pd

__all__ = ["ResistError", "binary", "run_json", "model", "comm", "simulate", "sweep", "validate"]


class ResistError(RuntimeError):
    """resist exited non-zero: `returncode` 2 for bad input, 1 for a failure; the message is its stderr."""

    def __init__(self, message, returncode):
        super().__init__(message)
        self.returncode = returncode


def binary():
    """Path of the resist binary used."""
    env = os.environ.get("RESIST")
    if env:
        return env
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "build", "bin", "resist")
    if os.access(here, os.X_OK):
        return os.path.normpath(here)
    found = shutil.which("resist")
    if not found:
        raise ResistError("no resist binary: set RESIST, or build it (scripts/setup.sh)", 2)
    return found


def _flags(options):
    args = []
    for key, value in options.items():
        if value is None or value is False:
            continue
        flag = "--" + key.replace("_", "-")
        if value is True:
            args.append(flag)
        elif isinstance(value, (list, tuple)):
            args += [flag, ",".join(str(v) for v in value)]
        else:
            args += [flag, str(value)]
    return args


def run_json(command, *args, **options):
    """Runs `resist COMMAND ARGS --flags --format json` and returns the parsed JSON (raises ResistError)."""
    cmd = [binary(), command, *map(str, args), *_flags(options), "--format", "json"]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        lines = [l for l in p.stderr.splitlines() if l.strip() and not l.startswith(("sweep [", "simulate ["))]
        raise ResistError(lines[-1] if lines else f"resist {command} exited {p.returncode}", p.returncode)
    return json.loads(p.stdout)


def _frame(rows, context):
    df = pd.DataFrame(rows)
    df.attrs.update(context)
    return df


def model(name, **options):
    """One row per block (parameters, MACs, bytes); the network's totals in attrs."""
    j = run_json("model", model=name, **options)
    return _frame(j.pop("blocks"), j)


def comm(**options):
    """One row per protocol x workers: bytes per round and per run."""
    j = run_json("comm", **options)
    return _frame(j.pop("rows"), j)


def simulate(**options):
    """One row per protocol: predicted seconds (total, per round, compute, communication) and speedups; the
    simulated context (model, platform, workers, epochs and their convention, notes) in attrs. With
    accuracy_curve=..., attrs["time_to_accuracy"] is a DataFrame of the time to each target."""
    j = run_json("simulate", **options)
    rows = j.pop("results")
    if "time_to_accuracy" in j:
        j["time_to_accuracy"] = pd.DataFrame(j["time_to_accuracy"])
    df = _frame(rows, j)
    for key in ("model", "platform", "workers"):
        if key in j and key not in df.columns:
            df.insert(0, key, j[key])
    return df


def sweep(**options):
    """One row per grid point (platform x bandwidth x workers x l x protocol)."""
    j = run_json("sweep", no_progress=True, **options)
    return _frame(j, {})


def validate(run_dir, **options):
    """One row per round of a `resist train` run: predicted and measured seconds per phase; the whole-run parts,
    the summary and the time to accuracy in attrs."""
    j = run_json("validate", run_dir=run_dir, no_plot=True, **options)
    rows = []
    for r in j.pop("rounds"):
        row = {k: v for k, v in r.items() if not isinstance(v, dict)}
        for side in ("predicted", "measured"):
            for k, v in r.get(side, {}).items():
                row[f"{side}_{k}"] = v
        rows.append(row)
    if "parts" in j:
        j["parts"] = pd.DataFrame(j["parts"])
    return _frame(rows, j)
