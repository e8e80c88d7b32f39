#!/bin/sh
# The compute ceiling of this machine for DenseNet-121 work (see bench/roofline.c): measured
# peak fp32 FMA and bf16 dot-product throughput, and the best inference / training / saliency
# speed any implementation could reach on it.
# Usage: bench/bench_roofline.sh [THREADS=2] [SIZE=224]   (from the repository root; idle machine)
set -eu
THREADS=${1:-2}
SIZE=${2:-224}
TMP=${TMPDIR:-/tmp}/cxrgaze-bench-roofline
mkdir -p "$TMP"
gcc -std=gnu11 -O2 -march=native -fopenmp bench/roofline.c -o "$TMP/roofline"
OMP_NUM_THREADS=$THREADS "$TMP/roofline" "$SIZE"
