#!/usr/bin/python3
"""Writes tests/fixtures/localize_ref.safetensors: Otsu thresholds and IoUs of 8-bit maps, the
oracle of stats_map_to_u8 / stats_otsu_u8 / stats_localise (tests/stats/test_localize.c).

Run from the repository root with Debian's Python (numpy, scikit-image 0.19):
    /usr/bin/python3 tests/ref/localize_ref.py
Deterministic (fixed seed); a few tens of KB.

Reference (METHODS.md §4, CheXlocalize): the map m (float32 in [0,1]) becomes m8 = np.uint8(255 * m)
(the float32 product truncated, as CheXlocalize's numpy code), the threshold is
skimage.filters.threshold_otsu(m8) (scikit-image 0.19.3: filters/thresholding.py lines 312-381,
histogram by exposure.py _bincount_histogram lines 35-83: one bin per integer from m8.min() to
m8.max(); a constant image returns its value), the binary mask is m8 > t and
IoU = |mask & annot| / |mask | annot|. Mass share = sum(m[annot]) / sum(m) in float64.
The Otsu threshold is called here, not re-implemented: the C code is checked against the library.

Tensors, per case c = 0, 1, ... (the C test loops until absent):
  otsu/<c>/map        F32 [32,32]  the map in [0,1]
  otsu/<c>/annot      U8  [32,32]  an annotation mask (0/1)
  otsu/<c>/m8         U8  [32,32]  np.uint8(255 * map)
  otsu/<c>/threshold  I64 [1]      threshold_otsu(m8)
  otsu/<c>/n_mask     I64 [1]      pixels with m8 > threshold
  otsu/<c>/iou        F64 [1]      IoU of (m8 > threshold) with annot (NaN when the union is empty)
  otsu/<c>/mass_share F64 [1]      sum of map inside annot / sum of map (NaN when the sum is 0)
"""
import os
import sys

import numpy as np
from skimage.filters import threshold_otsu

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stats_ref import write_safetensors  # noqa: E402

N = 32


def cases(rng):
    yy, xx = np.mgrid[0:N, 0:N]
    blob = lambda cy, cx, s: np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2.0 * s * s))  # noqa: E731
    box = lambda y0, y1, x0, x1: ((yy >= y0) & (yy < y1) & (xx >= x0) & (xx < x1)).astype(np.uint8)  # noqa: E731
    out = []
    # 0: a blob on weak noise, annotation a box over the blob
    m = blob(12, 20, 4) + 0.05 * rng.random((N, N))
    out.append((m / m.max(), box(6, 18, 14, 26)))
    # 1: two blobs of different height, annotation over the smaller one
    m = blob(8, 8, 3) + 0.6 * blob(22, 22, 5)
    out.append((m / m.max(), box(16, 30, 16, 30)))
    # 2: two values only (0 and 1): every cut between them ties at the maximum, the first wins
    m = (rng.random((N, N)) < 0.3).astype(np.float64)
    out.append((m, box(0, 16, 0, 32)))
    # 3: two values inside the range (0.2 and 0.7): the histogram starts at m8.min()
    m = np.where(rng.random((N, N)) < 0.5, 0.2, 0.7)
    out.append((m, box(0, 32, 0, 10)))
    # 4: a spike: zero everywhere but one pixel at 1
    m = np.zeros((N, N))
    m[5, 9] = 1.0
    out.append((m, box(4, 7, 8, 11)))
    # 5: many ties: a p98-clipped map, a quarter of the pixels at exactly 1
    m = np.minimum(1.0, 1.6 * blob(16, 16, 9))
    out.append((m, box(10, 22, 10, 22)))
    # 6: uniform noise: a nearly flat histogram
    out.append((rng.random((N, N)), box(0, 32, 16, 32)))
    # 7: values whose 255 * m falls just below an integer (truncation, not rounding)
    m = rng.integers(0, 256, (N, N)) / 255.0 - 1e-7
    out.append((np.clip(m, 0, 1), box(3, 29, 3, 29)))
    # 8: constant map (all 0.5): threshold_otsu returns the value, nothing is foreground
    out.append((np.full((N, N), 0.5), box(0, 4, 0, 4)))
    # 9: skewed: exponential tail (a gradient-like map after min-max)
    m = rng.exponential(1.0, (N, N)) ** 2
    out.append(((m - m.min()) / (m.max() - m.min()), (blob(16, 16, 6) > 0.5).astype(np.uint8)))
    # 10: an empty annotation and a map whose mask is empty too (all zero but a constant): IoU NaN
    out.append((np.zeros((N, N)), np.zeros((N, N), np.uint8)))
    return [(m.astype(np.float32), a.astype(np.uint8)) for m, a in out]


def main():
    rng = np.random.default_rng(20261206)
    t = {}
    for c, (m, a) in enumerate(cases(rng)):
        m8 = np.uint8(255 * m)
        th = int(threshold_otsu(m8))
        mask = m8 > th
        union = np.sum(mask | (a != 0))
        iou = np.sum(mask & (a != 0)) / union if union else float("nan")
        total = np.sum(m.astype(np.float64))
        share = np.sum(m.astype(np.float64)[a != 0]) / total if total > 0 else float("nan")
        t[f"otsu/{c}/map"] = m
        t[f"otsu/{c}/annot"] = a
        t[f"otsu/{c}/m8"] = m8
        t[f"otsu/{c}/threshold"] = np.array([th], np.int64)
        t[f"otsu/{c}/n_mask"] = np.array([int(mask.sum())], np.int64)
        t[f"otsu/{c}/iou"] = np.array([iou], np.float64)
        t[f"otsu/{c}/mass_share"] = np.array([share], np.float64)
        print(f"case {c}: threshold {th}, mask {int(mask.sum())}, iou {iou:.4f}")
    write_safetensors("tests/fixtures/localize_ref.safetensors", t)


if __name__ == "__main__":
    main()
