#!/usr/bin/env python3
"""One training step of preact_resnet101_cifar (kuangliu layout, BN with batch statistics) in this machine's
PyTorch, per precision, median of 20 after 5 warm-up steps: the reference `resist train --bench-steps` is held
against (exec/gpu/run-on-gpu.sh). Prints one JSON object per precision."""
import json
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
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
        out = self.conv1(out)
        out = self.conv2(F.relu(self.bn2(out)))
        return out + skip


class Net(nn.Module):
    def __init__(self, depths=(3, 4, 23, 3), widths=(64, 128, 256, 512), classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 3, 1, 1, bias=False)
        layers, cin = [], 64
        for s, (d, w) in enumerate(zip(depths, widths)):
            for i in range(d):
                layers.append(Block(cin, w, 2 if (i == 0 and s > 0) else 1))
                cin = w
        self.layers = nn.Sequential(*layers)
        self.fc = nn.Linear(cin, classes)

    def forward(self, x):
        x = self.layers(self.conv1(x))
        return self.fc(F.adaptive_avg_pool2d(x, 1).flatten(1))


def main():
    for precision in ("fp32", "tf32", "bf16"):
        torch.backends.cuda.matmul.allow_tf32 = precision == "tf32"
        torch.backends.cudnn.allow_tf32 = precision == "tf32"
        net = Net().cuda()
        opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
        x = torch.randn(128, 3, 32, 32, device="cuda")
        y = torch.randint(0, 10, (128,), device="cuda")
        times = []
        for k in range(25):
            torch.cuda.synchronize()
            t0 = time.perf_counter()
            opt.zero_grad()
            with torch.autocast("cuda", dtype=torch.bfloat16, enabled=precision == "bf16"):
                loss = F.cross_entropy(net(x), y)
            loss.backward()
            opt.step()
            loss.item()
            torch.cuda.synchronize()
            if k >= 5:
                times.append(time.perf_counter() - t0)
        print(json.dumps({"precision": precision, "median_step_s": statistics.median(times), "batch": 128}))


if __name__ == "__main__":
    main()
