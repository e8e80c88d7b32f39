#!/usr/bin/python3
"""Writes tests/fixtures/map_norm_ref.safetensors: random signed maps normalised to [0,1] by every
sign x scale of METHODS.md §3, the oracle of stats_map_normalise (tests/stats/test_map_norm.c).

Run from the repository root with Debian's Python (numpy):   /usr/bin/python3 tests/ref/map_norm_ref.py
Deterministic (fixed seed); about 200 KB.

Reference: Captum 0.8, captum/attr/_utils/visualization.py (read at pytorch/captum commit
031e1e3bb683443f668f86f34b5c3fe71c66485c), re-implemented here, not imported (Captum is not
packaged for Debian):
  _normalize_scale           lines 54-64   attr / scale_factor, clipped to [-1, 1]
  _cumulative_sum_threshold  lines 67-75   sort the (non-negative) values, cumsum, the first sorted
                                           value whose cumsum >= total * 0.01 * percentile
  _normalize_attr            lines 78-106  sign "all": threshold of |attr|, values kept signed;
                                           "positive": (attr > 0) * attr; "absolute_value": |attr|;
                                           threshold at percentile 100 - outlier_perc
  visualize_image_attr       default sign="absolute_value", outlier_perc=2

Our modes (src/stats/map_norm.c) map onto Captum's as follows:
  abs      + p98     Captum sign "absolute_value", outlier_perc 2                 -> [0, 1]
  positive + p98     Captum sign "positive", outlier_perc 2                       -> [0, 1]
  signed   + p98     Captum sign "all", outlier_perc 2 gives v in [-1, 1] (zero at 0); we store
                     (v + 1) / 2, so zero attribution lands at 0.5                -> [0, 1]
  <sign>   + minmax  not in Captum: the sign step above (|a|, (a > 0) * a, or a), then
                     (v - min) / (max - min)  (signed + minmax is the old behaviour)
A map that is constant after the sign step (all zero, all equal, a positive map of a map <= 0) or
holds a non-finite value has no scale: ours zeroes it and flags it (constant = 1). Captum would
divide by a zero threshold (its assert) or by max - min = 0.
Arithmetic: the float32 maps are read as float64, and every step (cumsum, division, clip) is done in
float64 and stored as float32 (Captum would cumsum in the input's dtype; ours sums in double).

Tensors, per case c = 0, 1, ... (the C test loops until absent):
  norm/<c>/map                 F32 [32,32]  the raw signed map
  norm/<c>/<sign>_<scale>      F32 [32,32]  its normalised map (sign abs|positive|signed,
                                            scale p98|minmax)
  norm/<c>/constant            U8 [6]       1 if flagged constant, in the order abs_p98,
                                            abs_minmax, positive_p98, positive_minmax,
                                            signed_p98, signed_minmax
  norm/<c>/threshold           F64 [3]      the p98 threshold of abs, positive, signed (the
                                            cumsum threshold of |a|, (a > 0) * a, |a|); NaN when
                                            constant
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stats_ref import write_safetensors  # noqa: E402

SIGNS = ["abs", "positive", "signed"]
SCALES = ["p98", "minmax"]
OUTLIER_PERC = 2  # visualize_image_attr's default


def cumulative_sum_threshold(values, percentile):
    """Captum's _cumulative_sum_threshold: the first sorted value at which the running sum reaches
    percentile % of the total (values are non-negative)."""
    s = np.sort(values.ravel())
    c = np.cumsum(s)
    return float(s[np.nonzero(c >= c[-1] * 0.01 * percentile)[0][0]])


def sign_step(a, sign):
    """_normalize_attr's choice of values: |a| (absolute_value), (a > 0) * a (positive), a (all)."""
    if sign == "abs":
        return np.abs(a)
    if sign == "positive":
        return np.where(a > 0, a, 0.0)
    return a.copy()


def normalise(a32, sign, scale):
    """(map in [0,1] as float32, constant flag, p98 threshold or NaN)."""
    a = a32.astype(np.float64)
    v = sign_step(a, sign)
    if not np.all(np.isfinite(v)) or not v.max() > v.min():
        return np.zeros_like(a32), 1, float("nan")
    # Captum's "all" thresholds |a|; "positive" and "absolute_value" the chosen (>= 0) values.
    t = cumulative_sum_threshold(np.abs(v), 100.0 - OUTLIER_PERC)
    if scale == "minmax":
        out = (v - v.min()) / (v.max() - v.min())
    else:
        out = np.clip(v / t, -1.0, 1.0)  # _normalize_scale
        if sign == "signed":
            out = (out + 1.0) / 2.0  # Captum's [-1, 1] -> our [0, 1]
    return out.astype(np.float32), 0, t


def cases(rng):
    n = 32
    yy, xx = np.mgrid[0:n, 0:n]
    blob = lambda cy, cx, s: np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2.0 * s * s))  # noqa: E731
    maps = []
    # 0: symmetric Gaussian noise
    maps.append(rng.standard_normal((n, n)))
    # 1: heavy tails (Cauchy): a few values dominate the total, so the threshold sits far below max
    maps.append(rng.standard_cauchy((n, n)))
    # 2: ties: integers -3..3, the threshold value repeated many times
    maps.append(rng.integers(-3, 4, (n, n)).astype(np.float64))
    # 3: a large negative region and a smaller positive blob on weak noise (as a DeepLift map)
    maps.append(-4.0 * blob(10, 20, 7) + 2.0 * blob(24, 8, 3) + 0.05 * rng.standard_normal((n, n)))
    # 4: sparse: mostly exact zeros, a few signed spikes of log-normal size
    m = np.zeros((n, n))
    idx = rng.choice(n * n, 40, replace=False)
    m.flat[idx] = rng.choice([-1.0, 1.0], 40) * rng.lognormal(0.0, 1.5, 40)
    maps.append(m)
    # 5: positive-skewed: exponential minus a small offset, tiny scale (1e-4, as raw gradients)
    maps.append(1e-4 * (rng.exponential(1.0, (n, n)) - 0.2))
    # 6: <= 0 everywhere: positive is constant (flagged), abs and signed are not
    maps.append(-np.abs(rng.standard_normal((n, n))) * blob(16, 16, 8))
    # 7: +-2 only: abs is constant (flagged), positive and signed are not
    maps.append(np.where(rng.random((n, n)) < 0.5, -2.0, 2.0))
    return [m.astype(np.float32) for m in maps]


def main():
    rng = np.random.default_rng(20250518)
    t = {}
    for c, a in enumerate(cases(rng)):
        t[f"norm/{c}/map"] = a
        flags, thr = [], {}
        for sign in SIGNS:
            for scale in SCALES:
                out, const, th = normalise(a, sign, scale)
                t[f"norm/{c}/{sign}_{scale}"] = out
                flags.append(const)
                if scale == "p98":
                    thr[sign] = th
        t[f"norm/{c}/constant"] = np.array(flags, np.uint8)
        t[f"norm/{c}/threshold"] = np.array([thr[s] for s in SIGNS], np.float64)
    write_safetensors("tests/fixtures/map_norm_ref.safetensors", t)


if __name__ == "__main__":
    main()
