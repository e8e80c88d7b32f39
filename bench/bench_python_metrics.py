#!/usr/bin/python3
"""Benchmark: cxrgaze.metrics from Python vs `cxrgaze metrics` on the same map pairs.

usage: /usr/bin/python3 bench/bench_python_metrics.py [--pairs 1000] [--size 224] [--threads T]
                                                       [--repeats 3] [--cxrgaze PATH]
Makes N smooth random saliency/gaze-like map pairs (float32, S x S) and times, alternating, R times:
  1. the command line: `cxrgaze metrics --maps A --reference B --out m.csv` (the default metrics
     ssim,cc,kl,sim,emd and map normalisation abs, p98; process start, reading both files and
     writing the CSV included);
  2. Python: cxrgaze.metrics(A, B) on the arrays already in memory: the same computation, the
     same threads (cxrgaze.set_threads).
Checks that Python's values equal the command's CSV (%.9g), prints wall and CPU seconds (best and
median of R) and the ratio Python / command line. Results: docs/performance.md ("Python").
The package is used from the tree (python/) unless it is installed; the library as it finds it
(CXRGAZE_LIB, else build/libcxrgaze.so).
"""
import argparse
import csv
import os
import pathlib
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "python"))
import cxrgaze  # noqa: E402
from cxrgaze import _safetensors  # noqa: E402


def make_maps(n, s, rng):
    """n smooth maps: three Gaussian blobs plus 5% uniform noise each (as bench_metrics.py)."""
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


def time_cli(exe, a, b, out, threads):
    cmd = [exe, "metrics", "--maps", a, "--reference", b, "--out", out, "--threads",
           str(threads), "--quiet"]
    c0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True)
    wall = time.perf_counter() - t0
    c1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (c1.ru_utime + c1.ru_stime) - (c0.ru_utime + c0.ru_stime)


def time_python(a, b, **norm):
    c0, t0 = time.process_time(), time.perf_counter()
    r = cxrgaze.metrics(a, b, **norm)
    return time.perf_counter() - t0, time.process_time() - c0, r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pairs", type=int, default=1000)
    ap.add_argument("--size", type=int, default=224)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--cxrgaze", default=os.environ.get("CXRGAZE", str(ROOT / "build/cxrgaze")))
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    A, B = make_maps(args.pairs, args.size, rng), make_maps(args.pairs, args.size, rng)
    cxrgaze.set_threads(args.threads)
    times = {"cli": [], "python": []}
    with tempfile.TemporaryDirectory() as d:
        a, b, out = f"{d}/a.safetensors", f"{d}/b.safetensors", f"{d}/m.csv"
        _safetensors.write(a, {"maps": A})
        _safetensors.write(b, {"gaze": B})
        for _ in range(args.repeats):
            times["cli"].append(time_cli(args.cxrgaze, a, b, out, args.threads))
            wall, cpu, r = time_python(A, B)
            times["python"].append((wall, cpu))
        with open(out, newline="") as f:
            rows = list(csv.DictReader(f))
    same = all(row[k] == ("nan" if np.isnan(r[k][i]) else "%.9g" % r[k][i])
               for i, row in enumerate(rows) for k in ("ssim", "cc", "kl", "sim", "emd"))
    print(f"{args.pairs} pairs of {args.size}x{args.size}, {args.threads} threads, "
          f"best / median of {args.repeats}; Python's values equal the CSV: {same}; "
          f"load average {os.getloadavg()[0]:.1f}; library {cxrgaze.LIBRARY_PATH}\n")
    print("| what | wall s (best / median) | cpu s (best / median) | wall vs command line |")
    print("|---|---|---|---|")
    best_cli = min(w for w, _ in times["cli"])
    names = {"cli": "`cxrgaze metrics` (process, files, CSV)",
             "python": "`cxrgaze.metrics(maps, gaze)` (arrays in memory)"}
    for key, label in names.items():
        w = sorted(t[0] for t in times[key])
        c = sorted(t[1] for t in times[key])
        print(f"| {label} | {w[0]:.2f} / {w[len(w) // 2]:.2f} | {c[0]:.2f} / {c[len(c) // 2]:.2f} "
              f"| {w[0] / best_cli:.2f} |")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
