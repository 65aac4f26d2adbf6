#!/usr/bin/env python3
"""The table of experiments/elastic: accuracy and wall-clock of each run, measured and predicted, with the load.
Usage: summarize.py OUT (run.sh's output folder). Standard library only."""
import csv
import json
import sys
from pathlib import Path

out = Path(sys.argv[1])
times = list(csv.DictReader(open(out / "times.csv")))


def row(run, part):
    return next(r for r in times if r["run"] == run and r["part"] == part)


def summary(run):
    return json.load(open(out / run / "summary.json"))


full_v = json.load(open(out / "full.validate.json"))
el_v = json.load(open(out / "elastic.validate.json"))["elastic"]
full_pred = full_v["parts"][-1]["predicted_s"]  # the whole run: startup, rounds, evaluation


# The stop lost round 3's local steps (the rank died at its start, the others failed at its sync), which a
# round-based failure in the simulator does not charge: added from the full run's predicted round 3.
round3_pred = next(r for r in full_v["rounds"] if r["round"] == 3)["predicted"]["total_s"]


def restart_pred(name):
    lost = json.load(open(out / name))["events"]["lost"][0]
    return full_pred + lost["lost_s"] + round3_pred


def load(run, part):
    r = row(run, part)
    return f"{float(r['start_load']):.2f} / {float(r['end_load']):.2f}"


print("| run | workers at end | test accuracy % | measured wall s | predicted wall s | load avg start / end |")
print("|---|---|---|---|---|---|")
s = summary("full")
print(f"| full (no loss) | 4 | {100 * s['final_accuracy']:.2f} | {float(row('full', 'all')['wall_s']):.1f} | "
      f"{full_pred:.1f} (validate) | {load('full', 'all')} |")
s = summary("elastic")
print(f"| elastic (rank 3 lost in round 3) | {s['elastic']['workers_at_end']} | {100 * s['final_accuracy']:.2f} | "
      f"{float(row('elastic', 'all')['wall_s']):.1f} | {el_v['predicted_total_s']:.1f} (validate, recovery "
      f"{el_v['recovery_s']:.1f} s measured) | {load('elastic', 'all')} |")
s = summary("restart")
print(f"| stop + resume from round 2's checkpoint | 4 | {100 * s['final_accuracy']:.2f} | "
      f"{float(row('restart', 'whole')['wall_s']):.1f} (stopped {float(row('restart', 'stopped')['wall_s']):.1f} + "
      f"resumed {float(row('restart', 'resumed')['wall_s']):.1f}) | {restart_pred('restart.simulate_defaults.json'):.1f} "
      f"(simulate defaults: detect 60 s, restart 120 s); {restart_pred('restart.simulate_measured.json'):.1f} "
      f"(detect 0, restart = measured startup) | {load('restart', 'stopped')}; {load('restart', 'resumed')} |")
print()
print("Measured wall: the launcher's command, start to exit (startup and evaluations included); the restart from the "
      "start of the stopped part to the end of the resumed one. Predicted: `resist validate`'s whole run; the elastic "
      "run's loss replayed from its events.csv and schedule.1.json; the restart = the full run's prediction + "
      "`resist simulate --events --restart-from-checkpoint resist --checkpoint-every 1`'s lost seconds + round 3's "
      f"predicted {round3_pred:.1f} s (its local steps, lost by the stop).")
