#!/usr/bin/python3
"""Tables of run_fmnist.sh's results: time to each target accuracy measured against predicted, per run and as the
median over seeds, and the same curves re-timed on other platforms. Standard library only.
Usage: summarize_fmnist.py RESULTS_DIR TARGETS (e.g. 80,84,86)"""
import csv, glob, json, os, statistics, sys

out, targets = sys.argv[1], [float(t) for t in sys.argv[2].split(",")]
PROTOCOLS = ["resist", "local_sgd", "data_parallel"]


def fmt(x, spec=".1f"):
    return "-" if x is None else format(x, spec)


def run_info(d):
    rows = list(csv.DictReader(open(os.path.join(d, "eval.csv"))))
    v = json.load(open(d + ".validate.json"))
    tta = {t["target_pct"]: t for t in v.get("time_to_accuracy", [])}
    whole = next((p for p in v["parts"] if p["name"] == "total"), v["parts"][-1])
    return {"final": 100 * float(rows[-1]["accuracy"]),
            "load": (v["load_avg_start"], v["load_avg_end"]), "whole_err": whole["error_pct"],
            "measured_s": whole["measured_s"], "predicted_s": whole["predicted_s"], "tta": tta}


runs = {}
for d in sorted(glob.glob(os.path.join(out, "*_S*_seed*"))):
    if os.path.isdir(d) and os.path.exists(d + ".validate.json") and os.path.getsize(d + ".validate.json"):
        name = os.path.basename(d)
        p, rest = name.rsplit("_S", 1)
        s, seed = rest.split("_seed")
        runs[(p, int(s), int(seed))] = run_info(d)

print("## Per run: time to each target, measured (the rounds' own seconds) against predicted (resist validate)\n")
head = "| protocol | S | seed | final acc % | load start/end | whole run measured s | predicted s | error |"
for t in targets:
    head += f" {t:g}%: measured s | predicted s | error |"
print(head)
print("|" + "---|" * (head.count("|") - 1))
for (p, s, seed), r in sorted(runs.items(), key=lambda kv: (kv[0][1], kv[0][2], PROTOCOLS.index(kv[0][0]))):
    line = (f"| {p} | {s} | {seed} | {r['final']:.2f} | {r['load'][0]:.1f}/{r['load'][1]:.1f} | "
            f"{r['measured_s']:.1f} | {r['predicted_s']:.1f} | {r['whole_err']:+.1f}% |")
    for t in targets:
        x = r["tta"].get(t)
        if x and x.get("reached", True):
            line += f" {x['measured_s']:.1f} | {x['predicted_s']:.1f} | {x['error_pct']:+.1f}% |"
        else:
            line += " not reached | | |"
    print(line)

errs = [abs(x["error_pct"]) for r in runs.values() for x in r["tta"].values() if x.get("reached", True)]
if errs:
    print(f"\n{len(errs)} targets reached; |error| median {statistics.median(errs):.1f}%, max {max(errs):.1f}%, "
          f"within 5%: {sum(e <= 5 for e in errs)} of {len(errs)}")


def median_or_none(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


print("\n## Median over seeds: seconds to each target, measured / predicted, and ResIST's speedup over local SGD\n")
print("| S | target | " + " | ".join(f"{p} measured / predicted s" for p in PROTOCOLS) +
      " | ResIST speedup measured / predicted |")
print("|---|---|" + "---|" * (len(PROTOCOLS) + 1))
for s in sorted({k[1] for k in runs}):
    for t in targets:
        cells, med = [], {}
        for p in PROTOCOLS:
            xs = [r["tta"].get(t) for (pp, ss, _), r in runs.items() if pp == p and ss == s]
            m = median_or_none([x["measured_s"] if x and x.get("reached", True) else None for x in xs])
            q = median_or_none([x["predicted_s"] if x and x.get("reached", True) else None for x in xs])
            med[p] = (m, q)
            cells.append(f"{fmt(m)} / {fmt(q)}")
        sp = [None if not (med["resist"][i] and med["local_sgd"][i]) else med["local_sgd"][i] / med["resist"][i]
              for i in (0, 1)]
        print(f"| {s} | {t:g}% | " + " | ".join(cells) + f" | {fmt(sp[0], '.2f')} / {fmt(sp[1], '.2f')} |")

print("\n## The same curves re-timed (resist simulate --accuracy-curve over the seeds: median [min-max] seconds)\n")
print("| platform | S | target | " + " | ".join(PROTOCOLS) + " | ResIST speedup at target | fixed-budget |")
print("|---|---|---|" + "---|" * (len(PROTOCOLS) + 2))


def spread(e):
    if e is None:
        return "-"
    if "median_s" not in e:  # one seed
        return fmt(e.get("time_s"), ".2f") if e.get("reached") else "not reached"
    if e["median_s"] is None:
        return "not reached"
    rng = f" [{fmt(e['min_s'], '.2f')}-{fmt(e['max_s'], '.2f')}]" if e.get("max_s") is not None else " [max: not reached]"
    return fmt(e["median_s"], ".2f") + rng


for f in sorted(glob.glob(os.path.join(out, "retimed_*_S*.json"))):
    plat, s = os.path.basename(f)[len("retimed_"):-len(".json")].rsplit("_S", 1)
    entries = json.load(open(f)).get("time_to_accuracy", [])
    for t in targets:
        by = {e["protocol"]: e for e in entries if e["target_pct"] == t}
        r = by.get("resist", {})
        print(f"| {plat} | {s} | {t:g}% | " + " | ".join(spread(by.get(p)) for p in PROTOCOLS) +
              f" | {fmt(r.get('speedup_vs_local_sgd'), '.2f')} | {fmt(r.get('fixed_budget_speedup'), '.2f')} |")
