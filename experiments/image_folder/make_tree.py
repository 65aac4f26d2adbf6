#!/usr/bin/python3
"""Writes a tree of photo-like JPEGs in ImageFolder's layout (DIR/train/<class>/*.jpg, DIR/val/<class>/*.jpg)
for timing `resist profile --input-pipeline`: smooth colour fields with edges and grain, so a JPEG of quality 90
holds about as many bytes per pixel as a photograph (ImageNet's are 0.3-0.6 bytes per pixel), sizes spread
+-12% around WIDTH x HEIGHT. Pillow (python3-pil, which python3-matplotlib installs). Deterministic per seed.
Usage: make_tree.py DIR [--classes 10] [--per-class 20] [--size 500x375] [--seed 1]"""
import argparse
import os
import random

from PIL import Image, ImageDraw, ImageFilter

p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
p.add_argument("dir")
p.add_argument("--classes", type=int, default=10)
p.add_argument("--per-class", type=int, default=20)
p.add_argument("--size", default="500x375", help="WIDTHxHEIGHT of a typical image")
p.add_argument("--seed", type=int, default=1)
a = p.parse_args()
width, height = (int(x) for x in a.size.split("x"))
rng = random.Random(a.seed)


def photo(w, h):
    """A blurred field of random ellipses and polygons (objects and shading) plus per-pixel grain (sensor noise)."""
    img = Image.new("RGB", (w, h), tuple(rng.randrange(256) for _ in range(3)))
    d = ImageDraw.Draw(img)
    for _ in range(40):
        x, y = rng.randrange(w), rng.randrange(h)
        r = rng.randrange(8, max(9, w // 3))
        colour = tuple(rng.randrange(256) for _ in range(3))
        if rng.random() < 0.5:
            d.ellipse([x - r, y - r, x + r, y + r // 2], fill=colour)
        else:
            d.polygon([(x + rng.randrange(-r, r), y + rng.randrange(-r, r)) for _ in range(5)], fill=colour)
    img = img.filter(ImageFilter.GaussianBlur(radius=2))
    grain = Image.merge("RGB", [Image.effect_noise((w, h), 48) for _ in range(3)])
    return Image.blend(img, grain, 0.25)


total_bytes = n = 0
for split, count in (("train", a.per_class), ("val", max(1, a.per_class // 4))):
    for c in range(a.classes):
        folder = os.path.join(a.dir, split, f"class{c:03d}")
        os.makedirs(folder, exist_ok=True)
        for i in range(count):
            w = int(width * rng.uniform(0.88, 1.12))
            h = int(height * rng.uniform(0.88, 1.12))
            path = os.path.join(folder, f"img{i:04d}.jpg")
            photo(w, h).save(path, quality=90)
            total_bytes += os.path.getsize(path)
            n += 1
print(f"wrote {n} JPEGs under {a.dir}: {total_bytes / n / 1000:.0f} KB per image on average, "
      f"{total_bytes / n / (width * height):.2f} bytes per pixel")
