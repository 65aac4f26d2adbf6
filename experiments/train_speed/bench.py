#!/usr/bin/python3
"""One local SGD training step: our LibTorch trainer (`resist train --bench-steps`) against the same model,
batch and thread count in PyTorch (Debian's python3-torch, the same LibTorch 1.13 underneath), measured side
by side: the two alternate, REPEATS times each, and the ratio of medians is reported.

The PyTorch side is the same network as core's preact_resnet_small (kuangliu PreActResNet layout, blocks
[1,1,8,1], widths 16-128, BatchNorm without running statistics), the same step (whole-batch index_select
from in-memory images, normalization, forward, cross-entropy, zero_grad, backward, SGD momentum 0.9 and
weight decay 5e-4, loss.item()), on Fashion-MNIST-shaped data 1x28x28.

Usage (from the repository root): /usr/bin/python3 experiments/train_speed/bench.py [--threads 1] [--batch 128]
      [--steps 20] [--repeats 3] [--resist PATH]   (default: $RESIST, else build/bin/resist)"""
import argparse
import json
import os
import statistics
import subprocess
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class PreActBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(cin, track_running_stats=False)
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout, track_running_stats=False)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.shortcut = nn.Conv2d(cin, cout, 1, stride, bias=False) if stride != 1 or cin != cout else None

    def forward(self, x):
        out = F.relu(self.bn1(x))
        skip = self.shortcut(out) if self.shortcut is not None else x
        out = self.conv2(F.relu(self.bn2(self.conv1(out))))
        return out + skip


class PreActNet(nn.Module):
    def __init__(self, in_channels=1, depths=(1, 1, 8, 1), widths=(16, 32, 64, 128), classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, widths[0], 3, 1, 1, bias=False)
        cin, stages = widths[0], []
        for s, (d, w) in enumerate(zip(depths, widths)):
            blocks = []
            for i in range(d):
                blocks.append(PreActBlock(cin, w, 2 if (i == 0 and s > 0) else 1))
                cin = w
            stages.append(nn.Sequential(*blocks))
        self.layer1, self.layer2, self.layer3, self.layer4 = stages
        self.fc = nn.Linear(cin, classes)

    def forward(self, x):
        out = self.layer4(self.layer3(self.layer2(self.layer1(self.conv1(x)))))
        return self.fc(F.adaptive_avg_pool2d(out, 1).flatten(1))


def torch_step_times(threads, batch, steps, warmup=3):
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    net = PreActNet()
    opt = torch.optim.SGD(net.parameters(), lr=0.03, momentum=0.9, weight_decay=5e-4)
    images = torch.rand(20000, 1, 28, 28)
    labels = torch.randint(0, 10, (20000,))
    order = torch.randperm(20000)
    times = []
    for k in range(warmup + steps):
        t0 = time.perf_counter()
        idx = order[(k * batch) % 19000:(k * batch) % 19000 + batch]
        x = (images.index_select(0, idx) - 0.2860) / 0.3530
        y = labels.index_select(0, idx)
        opt.zero_grad()
        loss = F.cross_entropy(net(x), y)
        loss.backward()
        opt.step()
        loss.item()
        times.append(time.perf_counter() - t0)
    return times[warmup:]


def ours_median(resist, threads, batch, steps):
    out = subprocess.run([resist, "train", "--bench-steps", str(steps), "--model", "preact_resnet_small",
                          "--in-channels", "1", "--image-size", "28", "--dataset", "fashion_mnist",
                          "--train-size", "20000", "--batch", str(batch), "--threads", str(threads)],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])["median_step_s"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--resist", default=os.environ.get("RESIST", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "build", "bin", "resist")))
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    ours, theirs = [], []
    for _ in range(a.repeats):  # alternate, so background load hits both alike
        ours.append(ours_median(a.resist, a.threads, a.batch, a.steps))
        theirs.append(statistics.median(torch_step_times(a.threads, a.batch, a.steps)))
    o, t = statistics.median(ours), statistics.median(theirs)
    print(json.dumps({"torch": torch.__version__, "threads": a.threads, "batch": a.batch, "steps": a.steps,
                      "repeats": a.repeats, "ours_median_step_s": round(o, 4), "pytorch_median_step_s": round(t, 4),
                      "ours_over_pytorch": round(o / t, 3),
                      "ours_runs": [round(x, 4) for x in ours], "pytorch_runs": [round(x, 4) for x in theirs]}))


if __name__ == "__main__":
    main()
