#!/usr/bin/env python3
"""One training step of preact_resnet101_cifar (kuangliu layout, BN with batch statistics) in this machine's
PyTorch, per precision and memory format (NCHW, channels-last), median of 20 after 5 warm-up steps: the
reference `resist train --bench-steps` is held against (experiments/gpu_h100/run-on-gpu.sh). The network is
experiments/train_speed/bench.py's, at ResNet-101's depths and widths. Prints one JSON object per precision and
format."""
import json
import os
import statistics
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "experiments", "train_speed"))
from bench import PreActNet  # noqa: E402


def main():
    torch.backends.cudnn.benchmark = True  # as resist's apply_math_mode
    for precision in ("fp32", "tf32", "bf16", "fp16"):
        for memory_format in ("nchw", "channels_last"):
            print(json.dumps(one(precision, memory_format)), flush=True)


def one(precision, memory_format):
    torch.backends.cuda.matmul.allow_tf32 = precision == "tf32"
    torch.backends.cudnn.allow_tf32 = precision == "tf32"
    fmt = torch.channels_last if memory_format == "channels_last" else torch.contiguous_format
    net = PreActNet(in_channels=3, depths=(3, 4, 23, 3), widths=(64, 128, 256, 512)).cuda().to(memory_format=fmt)
    opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
    x = torch.randn(128, 3, 32, 32, device="cuda").contiguous(memory_format=fmt)
    y = torch.randint(0, 10, (128,), device="cuda")
    half = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(precision)
    scaler = torch.amp.GradScaler("cuda", enabled=precision == "fp16")  # as resist's LossScaler
    times = []
    for k in range(25):
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        opt.zero_grad()
        with torch.autocast("cuda", dtype=half or torch.float32, enabled=half is not None):
            loss = F.cross_entropy(net(x), y)
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
        loss.item()
        torch.cuda.synchronize()
        if k >= 5:
            times.append(time.perf_counter() - t0)
    return {"precision": precision, "memory_format": memory_format, "median_step_s": statistics.median(times),
            "batch": 128}


if __name__ == "__main__":
    main()
