#!/usr/bin/python3
"""Benchmark: `cxrgaze metrics` throughput on 224x224 map pairs vs scikit-image's SSIM.

usage: /usr/bin/python3 bench/bench_metrics.py [--pairs N] [--size S] [--cxrgaze PATH]
                                                [--threads T] [--skimage-pairs M]
Writes N smooth random saliency/gaze-like map pairs to a temporary safetensors file, times
  1. scikit-image 0.19 structural_similarity (the same settings as cxrgaze: data_range 1,
     win_size 7, uniform window, sample covariance) on min-max normalised float64 maps,
     one process, M pairs (the reference implementation the original study used);
  2. cxrgaze metrics --metrics ssim at 1 and T threads (process start and file reading
     included, amortised over the N pairs);
  3. cxrgaze metrics --metrics ssim,cc,kl,sim at 1 and T threads;
  4. cxrgaze metrics with every metric (EMD included) at T threads;
checks that cxrgaze's SSIM column equals scikit-image's on the timed pairs, and prints a
Markdown table (pairs/s and the speed-up over scikit-image). Results: docs/performance.md.
"""
import argparse
import json
import os
import resource
import struct
import subprocess
import tempfile
import time

import numpy as np
from skimage.metrics import structural_similarity


def write_safetensors(path, name, arr):
    raw = np.ascontiguousarray(arr, dtype=np.float32).tobytes()
    h = json.dumps({name: {"dtype": "F32", "shape": list(arr.shape),
                           "data_offsets": [0, len(raw)]}}).encode()
    h += b" " * ((-len(h)) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + raw)


def make_maps(n, s, rng):
    yy, xx = np.mgrid[0:s, 0:s].astype(np.float32)
    out = np.empty((n, s, s), np.float32)
    for i in range(n):
        m = np.zeros((s, s), np.float32)
        for _ in range(3):
            cy, cx = rng.uniform(0.2, 0.8, 2) * s
            sig = rng.uniform(0.05, 0.2) * s
            m += np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * sig * sig))
        out[i] = m + 0.05 * rng.random((s, s), dtype=np.float32)
    return out


def minmax(x):
    x = x.astype(np.float64)
    lo, hi = x.min(), x.max()
    return (x - lo) / (hi - lo) if hi > lo else np.zeros_like(x)


def run_cxrgaze(exe, a, b, out, threads, extra):
    cmd = [exe, "metrics", "--maps", a, "--reference", b, "--out", out, "--threads",
           str(threads), "--quiet"] + extra
    c0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True)
    wall = time.perf_counter() - t0
    c1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (c1.ru_utime + c1.ru_stime) - (c0.ru_utime + c0.ru_stime)
    return wall, cpu


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pairs", type=int, default=400)
    ap.add_argument("--skimage-pairs", type=int, default=100)
    ap.add_argument("--size", type=int, default=224)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--cxrgaze", default=os.environ.get("CXRGAZE", "build/cxrgaze"))
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    A, B = make_maps(args.pairs, args.size, rng), make_maps(args.pairs, args.size, rng)
    with tempfile.TemporaryDirectory() as d:
        pa, pb, out = f"{d}/a.safetensors", f"{d}/b.safetensors", f"{d}/m.csv"
        write_safetensors(pa, "saliency", A)
        write_safetensors(pb, "gaze", B)
        m = min(args.skimage_pairs, args.pairs)
        t0, c0 = time.perf_counter(), time.process_time()
        sk = [structural_similarity(minmax(A[i]), minmax(B[i]), data_range=1, win_size=7,
                                    gaussian_weights=False, use_sample_covariance=True,
                                    K1=0.01, K2=0.03) for i in range(m)]
        sk_wall, sk_cpu = (time.perf_counter() - t0) / m, (time.process_time() - c0) / m
        rows = []
        runs = [(["--metrics", "ssim"], 1), (["--metrics", "ssim"], args.threads),
                (["--metrics", "ssim,cc,kl,sim"], 1), (["--metrics", "ssim,cc,kl,sim"], args.threads),
                ([], 1), ([], args.threads)]
        err = None
        for extra, th in runs:
            wall, cpu = run_cxrgaze(args.cxrgaze, pa, pb, out, th, extra)
            name = "cxrgaze metrics " + (" ".join(extra) if extra else "(all: + EMD 32x32)")
            rows.append((name, th, wall / args.pairs, cpu / args.pairs))
            if err is None:
                got = np.loadtxt(out, delimiter=",", skiprows=1, usecols=1)[:m]
                err = float(np.max(np.abs(got - np.array(sk))))
    print(f"{args.pairs} pairs of {args.size}x{args.size} (scikit-image timed on {m}); "
          f"max |SSIM cxrgaze - skimage| = {err:.2e}; load average {os.getloadavg()[0]:.1f}\n")
    print("| what | threads | wall ms/pair | cpu ms/pair | pairs/s | vs skimage (wall) | vs skimage (cpu) |")
    print("|---|---|---|---|---|---|---|")
    print(f"| scikit-image 0.19 SSIM only | 1 | {sk_wall * 1e3:.2f} | {sk_cpu * 1e3:.2f} | "
          f"{1 / sk_wall:.0f} | 1x | 1x |")
    for name, th, w, c in rows:
        print(f"| {name} | {th} | {w * 1e3:.2f} | {c * 1e3:.2f} | {1 / w:.0f} | "
              f"{sk_wall / w:.1f}x | {sk_cpu / c:.1f}x |")

if __name__ == "__main__":
    main()
