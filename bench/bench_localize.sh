#!/bin/sh
# Localisation speed (issue 13's target: 1,000 maps at 224 px in under a second on 2 cores):
# study_localize on a synthetic annotated pack (bench/localize_bench.c: 500 images x 2 annotated
# labels = 1,000 abs-p98 maps, Otsu, gaze on 100 images, the centre bias on every pair, 1,000
# patient-bootstrap resamples), best of 3 wall times with THREADS OpenMP threads.
# Usage: bench/bench_localize.sh [BUILD_DIR=build] [THREADS=2] [N_IMG=500]   (from the repository root)
set -eu
BUILD=${1:-build}
THREADS=${2:-2}
N_IMG=${3:-500}
TMP=${TMPDIR:-/tmp}/cxrgaze-bench-localize
rm -rf "$TMP"
mkdir -p "$TMP"
make --no-print-directory BUILD="$BUILD" "$BUILD/libcxrgaze.a" >/dev/null
gcc -std=gnu11 -O2 -march=native -Isrc bench/localize_bench.c "$BUILD/libcxrgaze.a" -fopenmp \
    -ldnnl -lturbojpeg -ljpeg $(pkg-config --libs libpng cairo) -lcsv -ljansson -lz -lm \
    -lpthread -o "$TMP/localize_bench"
echo "$(nproc) cores visible, $THREADS threads used"
uptime
OMP_NUM_THREADS=$THREADS "$TMP/localize_bench" "$TMP" "$N_IMG" 224
