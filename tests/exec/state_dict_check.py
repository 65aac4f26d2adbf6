# Python's side of tests/exec/state_dict.sh, with Debian's python3-torch / python3-torchvision:
#   save FILE          torchvision resnet18(num_classes=10) with non-trivial BatchNorm, torch.save(state_dict())
#   init SAVED LOGITS  our logits before training (--init-from SAVED) equal torchvision's on the same batch
#   export SD LOGITS   our export loads into resnet18 with strict=True: same names, shapes, order and dtypes,
#                      and the trainer's final logits equal torchvision's (training-mode BN, as the trainer)
import sys

import torch
import torchvision

RTOL = 1e-4  # relative to the logits' largest magnitude; fp32 with different convolution orders


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def same_logits(model, logits_file, key):
    d = torch.load(logits_file)
    model.train()  # batch statistics, as the trainer normalizes; no_grad leaves nothing trained
    with torch.no_grad():
        ours, theirs = d[key], model(d["input"])
    err = (ours - theirs).abs().max().item() / theirs.abs().max().item()
    print(f"{key}: {tuple(ours.shape)} logits, max relative difference {err:.2e}")
    if not err < RTOL:
        fail(f"{key} differs from torchvision's by {err:.2e} (relative)")


def main(mode, *files):
    torch.manual_seed(0)
    model = torchvision.models.resnet18(num_classes=10)
    if mode == "save":
        with torch.no_grad():  # BN weights and biases away from 1 and 0, so a lost one shows
            for m in model.modules():
                if isinstance(m, torch.nn.BatchNorm2d):
                    m.weight.uniform_(0.5, 1.5)
                    m.bias.uniform_(-0.2, 0.2)
        torch.save(model.state_dict(), files[0])  # an OrderedDict with _metadata, as users save
    elif mode == "init":
        model.load_state_dict(torch.load(files[0]))
        same_logits(model, files[1], "logits_start")
    elif mode == "export":
        sd = torch.load(files[0])
        ref = model.state_dict()
        if not isinstance(sd, dict) or not all(isinstance(v, torch.Tensor) for v in sd.values()):
            fail(f"{files[0]} is not a dict str -> Tensor")
        if list(sd) != list(ref):
            fail(f"names differ from torchvision's: {sorted(set(sd) ^ set(ref))[:5]} (or their order)")
        for k, v in ref.items():
            if sd[k].shape != v.shape or sd[k].dtype != v.dtype:
                fail(f"{k}: {tuple(sd[k].shape)} {sd[k].dtype}, torchvision's {tuple(v.shape)} {v.dtype}")
        if sd["bn1.num_batches_tracked"].item() <= 0 or torch.allclose(sd["bn1.running_var"], torch.ones(64)):
            fail("no BatchNorm running statistics in the export")
        model.load_state_dict(sd, strict=True)
        same_logits(model, files[1], "logits_end")
        model.eval()  # the running statistics give finite logits
        with torch.no_grad():
            if not torch.isfinite(model(torch.load(files[1])["input"])).all():
                fail("evaluation-mode logits are not finite")
    else:
        fail(f"unknown mode {mode}")
    print("ok:", mode)


if __name__ == "__main__":
    main(*sys.argv[1:])
