#!/usr/bin/python3
"""Writes tests/fixtures/faith_blur_ref.safetensors: the oracle of study_faith_blur
(tests/study/test_faithfulness.c), the blurred copy of the deletion/insertion curves
(METHODS.md §4, Petsiuk et al. 2018: Gaussian sigma = S/20).

Run from the repository root with Debian's Python (numpy, scipy):
    /usr/bin/python3 tests/ref/faith_ref.py
Deterministic (fixed seed); a few KB.

Reference: scipy.ndimage.gaussian_filter(img, sigma) with its defaults, mode="reflect" (the
half-sample symmetric extension d c b a | a b c d | d c b a), truncate=4.0 (radius
int(4 sigma + 0.5)), order 0: scipy/ndimage/_filters.py, gaussian_filter -> gaussian_filter1d
per axis (axis 0, then 1) -> _gaussian_kernel1d (exp(-x^2 / (2 sigma^2)), normalised to sum 1)
-> correlate1d. Computed on float64 images and stored as float32.

Tensors, per case c = 0, 1, ... (the C test loops until absent):
  blur/<c>/image   F32 [S,S]  grey levels in [0,1] (random, with a bright disc)
  blur/<c>/sigma   F64 [1]    the Gaussian's sigma in pixels
  blur/<c>/out     F32 [S,S]  scipy.ndimage.gaussian_filter(image, sigma)
Cases: S = 32, sigma = S/20 = 1.6 (the stage's); S = 20, sigma = 1.0; S = 8, sigma = 3.0 (the
radius 12 reaches past the image: repeated reflection); S = 64, sigma = 3.2.
"""
import os
import sys

import numpy as np
from scipy.ndimage import gaussian_filter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stats_ref import write_safetensors  # noqa: E402

OUT = "tests/fixtures/faith_blur_ref.safetensors"


def main():
    rng = np.random.default_rng(20261206)
    tensors = {}
    for c, (s, sigma) in enumerate([(32, 32 / 20), (20, 1.0), (8, 3.0), (64, 64 / 20)]):
        img = rng.uniform(0, 1, size=(s, s))
        yy, xx = np.mgrid[0:s, 0:s]
        img[(yy - s * 0.3) ** 2 + (xx - s * 0.6) ** 2 < (s / 6) ** 2] = 1.0
        img = img.astype(np.float32)
        out = gaussian_filter(img.astype(np.float64), sigma)
        tensors[f"blur/{c}/image"] = img
        tensors[f"blur/{c}/sigma"] = np.array([sigma], dtype=np.float64)
        tensors[f"blur/{c}/out"] = out.astype(np.float32)
    write_safetensors(OUT, tensors)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
