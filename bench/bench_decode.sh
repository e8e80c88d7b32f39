#!/bin/sh
# Decode + resize of a 3056x2544 chest X-ray JPEG (MIMIC-CXR-JPG's typical size, quality 95) to
# 224: cxrgaze's io module vs Pillow, single thread, side by side.
# Usage: bench/bench_decode.sh [BUILD_DIR=build] [ITERS=50] [NOISE=2]   (from the repository root)
# The test image is a real radiograph (tests/fixtures/real/montgomery/MCU_1.jpg) upscaled to
# 3056x2544 with Pillow's bicubic filter plus seeded Gaussian noise (sigma NOISE grey levels) so
# the JPEG carries detail: NOISE=2 gives ~1.6 MB (1.6 bits/pixel), NOISE=0 ~0.45 MB. Entropy
# (Huffman) decoding, which DCT scaling cannot skip, grows with the file size.
set -eu
BUILD=${1:-build}
ITERS=${2:-50}
NOISE=${3:-2}
PY=/usr/bin/python3
TMP=${TMPDIR:-/tmp}/cxrgaze-bench-decode
mkdir -p "$TMP"
make --no-print-directory BUILD="$BUILD" MODULES="util io" NOCLI=1 "$BUILD/libcxrgaze.a" >/dev/null
gcc -std=gnu11 -O2 -march=native -Isrc bench/decode_bench.c "$BUILD/libcxrgaze.a" -fopenmp \
    -lturbojpeg -lpng -lz -lcsv -ljansson -ldcmjpls -ldcmjpeg -ldcmimgle -ldcmdata -loflog -lofstd -lstdc++ -lm -o "$TMP/decode_bench"
IMG="$TMP/cxr_3056x2544_n$NOISE.jpg"
if [ ! -f "$IMG" ]; then
  $PY - "$IMG" "$NOISE" <<'PYEOF'
import sys
import numpy as np
from PIL import Image
src = Image.open("tests/fixtures/real/montgomery/MCU_1.jpg").convert("L")
big = np.asarray(src.resize((3056, 2544), Image.BICUBIC), dtype=np.float32)
big += np.random.default_rng(0).normal(0, float(sys.argv[2]), big.shape)
Image.fromarray(np.clip(big, 0, 255).astype(np.uint8)).save(sys.argv[1], quality=95)
PYEOF
fi
echo "image: $IMG ($(stat -c %s "$IMG") bytes), S=224, $(nproc) cores visible, 1 thread used"
uptime
OMP_NUM_THREADS=1 "$TMP/decode_bench" "$IMG" 224 "$ITERS"
$PY - "$IMG" "$ITERS" <<'PYEOF'
import sys, time
from PIL import Image
path, iters = sys.argv[1], int(sys.argv[2])
def best(fn, n):
    bw = bc = 1e30
    for _ in range(3):
        t, c = time.perf_counter(), time.process_time()
        for _ in range(n):
            fn()
        bw = min(bw, (time.perf_counter() - t) * 1e3 / n)
        bc = min(bc, (time.process_time() - c) * 1e3 / n)
    return bw, bc
def plain():
    with open(path, "rb") as f:
        Image.open(f).convert("L").resize((224, 224))
def draft():
    with open(path, "rb") as f:
        im = Image.open(f)
        im.draft("L", (224, 224))
        im.convert("L").resize((224, 224))
print("Pillow   open().convert('L').resize((224,224))  wall %7.2f  cpu %7.2f ms/img" % best(plain, max(iters // 5, 3)))
print("Pillow   same with draft('L', (224,224))         wall %7.2f  cpu %7.2f ms/img" % best(draft, iters))
PYEOF
