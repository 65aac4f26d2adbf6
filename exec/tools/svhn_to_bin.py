#!/usr/bin/env python3
"""Converts SVHN's MATLAB files (train_32x32.mat, test_32x32.mat from http://ufldl.stanford.edu/housenumbers/)
to the record layout `resist train --dataset svhn` reads: CIFAR-10's binary format, one record per image =
1 label byte (0-9; SVHN's label 10 for the digit 0 becomes 0) + 3072 bytes (R, G, B planes, 32x32 row-major).
Needs numpy and scipy. Usage: svhn_to_bin.py train_32x32.mat test_32x32.mat OUT_DIR  -> OUT_DIR/train.bin, test.bin"""
import os
import sys

import numpy as np
from scipy.io import loadmat


def convert(mat_path, out_path):
    m = loadmat(mat_path)
    x = m["X"].transpose(3, 2, 0, 1)  # [32,32,3,N] -> [N,3,32,32]
    y = (m["y"].reshape(-1) % 10).astype(np.uint8)
    records = np.concatenate([y[:, None], x.reshape(len(y), -1).astype(np.uint8)], axis=1)
    records.tofile(out_path)
    print(f"{out_path}: {len(y)} images")


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    os.makedirs(sys.argv[3], exist_ok=True)
    convert(sys.argv[1], os.path.join(sys.argv[3], "train.bin"))
    convert(sys.argv[2], os.path.join(sys.argv[3], "test.bin"))
