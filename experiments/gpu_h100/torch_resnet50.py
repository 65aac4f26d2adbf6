#!/usr/bin/env python3
"""Single-GPU ResNet-50 training throughput (torchvision's, ImageNet shape 3x224x224, 1000 classes) in this
machine's PyTorch, eager mode, SGD with momentum, synthetic data already on the GPU (no input pipeline): the
measured point `resist bench train --gpu <kind> --model resnet50` is held against (experiments/gpu_h100/run-on-gpu.sh,
experiments/gpu_h100). Per precision and memory format: median step of 20 after 10 warm-up steps, cuDNN
benchmark mode on. fp16 uses a GradScaler, bf16 none (as torch.amp recommends). Prints one JSON object per case.
Usage: torch_resnet50.py [BATCH [PRECISION ...]]"""
import json
import statistics
import sys
import time

import torch
import torch.nn.functional as F
import torchvision


def one(precision, channels_last, batch, steps=20, warmup=10):
    torch.backends.cuda.matmul.allow_tf32 = precision == "tf32"
    torch.backends.cudnn.allow_tf32 = precision == "tf32"
    torch.manual_seed(0)
    net = torchvision.models.resnet50().cuda()
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    net = net.to(memory_format=fmt)
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-5)
    x = torch.randn(batch, 3, 224, 224, device="cuda").contiguous(memory_format=fmt)
    y = torch.randint(0, 1000, (batch,), device="cuda")
    half = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(precision)
    scaler = torch.amp.GradScaler("cuda", enabled=precision == "fp16")
    times = []
    for k in range(warmup + steps):
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        with torch.autocast("cuda", dtype=half or torch.float32, enabled=half is not None):
            loss = F.cross_entropy(net(x), y)
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
        torch.cuda.synchronize()
        if k >= warmup:
            times.append(time.perf_counter() - t0)
    med = statistics.median(times)
    return {"model": "torchvision_resnet50", "precision": precision, "channels_last": channels_last,
            "batch": batch, "median_step_s": med, "images_per_s": batch / med,
            "min_step_s": min(times), "max_step_s": max(times)}


def main():
    known = ["fp32", "tf32", "bf16", "fp16"]
    batch = sys.argv[1] if len(sys.argv) > 1 else "256"
    precisions = sys.argv[2:] or known
    bad = [p for p in precisions if p not in known] + ([] if batch.isdigit() and int(batch) > 0 else [batch])
    if bad:
        print(f"torch_resnet50.py: bad argument '{bad[0]}' (usage: [BATCH [PRECISION ...]], precisions {known})",
              file=sys.stderr)
        sys.exit(2)
    batch = int(batch)
    torch.backends.cudnn.benchmark = True
    for precision in precisions:
        for channels_last in (False, True):
            print(json.dumps(one(precision, channels_last, batch)), flush=True)


if __name__ == "__main__":
    main()
