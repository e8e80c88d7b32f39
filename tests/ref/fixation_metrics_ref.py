#!/usr/bin/python3
"""Writes tests/fixtures/stats_fixation.safetensors: shuffled AUC and information gain
(src/stats/fixation_metrics.c) from independent oracles.

Run from the repository root with Debian's Python:   /usr/bin/python3 tests/ref/fixation_metrics_ref.py

Oracles:
  shuffled AUC   pysaliency's definition (AUC with nonfixations="shuffled", per image): positives
                 are the map at the image's fixations, negatives the map at the fixations of every
                 other image (a location fixated by k other images counts k times); computed two
                 ways that must agree: sklearn.metrics.roc_auc_score with sample_weight, and the
                 literal pairwise Mann-Whitney sum (ties 1/2) over positive x negative samples.
  information    the MIT saliency benchmark's InfoGain.m transcribed: min-max both maps, divide by
  gain           their sums, mean over fixated pixels of log2(eps + map) - log2(eps + baseline),
                 eps = MATLAB's eps (2.2204e-16, float64 machine epsilon).
Maps are float32, quantised on some cases so ties occur. Tensor names "<topic>/<case>/<field>".
"""
import os
import sys

import numpy as np
import sklearn.metrics

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stats_ref import write_safetensors  # noqa: E402

EPS = np.finfo(np.float64).eps  # MATLAB eps (2.2204e-16), as InfoGain.m


def sauc_pairwise(s, fix, other):
    pos = s[fix > 0].astype(np.float64)
    neg_v = s[other > 0].astype(np.float64)
    neg_w = other[other > 0].astype(np.float64)
    wins = 0.0
    for v in pos:
        wins += np.sum(neg_w * ((v > neg_v) + 0.5 * (v == neg_v)))
    return wins / (len(pos) * neg_w.sum())


def sauc_sklearn(s, fix, other):
    pos = s[fix > 0].astype(np.float64)
    neg_v = s[other > 0].astype(np.float64)
    neg_w = other[other > 0].astype(np.float64)
    y = np.concatenate([np.ones(len(pos)), np.zeros(len(neg_v))])
    w = np.concatenate([np.ones(len(pos)), neg_w])
    return sklearn.metrics.roc_auc_score(y, np.concatenate([pos, neg_v]), sample_weight=w)


def info_gain_mit(s, b, fix):
    m1 = s.astype(np.float64).ravel()
    mb = b.astype(np.float64).ravel()
    m1 = (m1 - m1.min()) / (m1.max() - m1.min())
    mb = (mb - mb.min()) / (mb.max() - mb.min())
    m1 = m1 / m1.sum()
    mb = mb / mb.sum()
    locs = fix.ravel() > 0
    return np.mean(np.log2(EPS + m1[locs]) - np.log2(EPS + mb[locs]))


def minmax(a):
    a = a.astype(np.float64)
    return ((a - a.min()) / (a.max() - a.min())).astype(np.float32)


def main():
    rng = np.random.default_rng(14)
    t = {}
    for c, (h, w, n_img, quant) in enumerate([(24, 20, 6, 0), (24, 20, 6, 8), (16, 16, 10, 4),
                                                (32, 28, 4, 0)]):
        s = minmax(rng.random((h, w)) ** 2)
        if quant:
            s = (np.floor(s * quant) / quant).astype(np.float32)
        fixes = (rng.random((n_img, h, w)) < 0.06).astype(np.uint8)
        fixes[0, 3, 4] = 1
        other = fixes[1:].sum(axis=0).astype(np.uint32)
        a, b = sauc_pairwise(s, fixes[0], other), sauc_sklearn(s, fixes[0], other)
        assert abs(a - b) < 1e-12, (a, b)
        yy, xx = np.mgrid[0:h, 0:w]
        base = np.exp(-0.5 * (((yy - (h - 1) / 2) / (0.25 * h)) ** 2 +
                              ((xx - (w - 1) / 2) / (0.25 * w)) ** 2))
        base = minmax(base)
        t[f"fix/{c}/map"] = s
        t[f"fix/{c}/fixations"] = fixes
        t[f"fix/{c}/other"] = other.astype(np.int64)
        t[f"fix/{c}/baseline"] = base
        t[f"fix/{c}/want"] = np.array([a, info_gain_mit(s, base, fixes[0])], dtype=np.float64)
    write_safetensors("tests/fixtures/stats_fixation.safetensors", t)


if __name__ == "__main__":
    main()
