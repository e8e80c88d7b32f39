#!/usr/bin/env bash
# Saliency benchmark: cxrgaze (attr/ library, fp32 + bf16) vs PyTorch/autograd doing the same
# work, one 224x224 image, one target, SL GC DL LC(50) GS(5) NT(25). Side by side table on stdout.
#   bench/bench_attr.sh [MODEL.safetensors] [BUILD dir (default build)] [threads (default 2)]
# MODEL defaults to tests/fixtures/densenet121_ref.safetensors (random weights; the sizes of the
# work, not the weights, set the time). Needs `make BUILD=...` first (libcxrgaze.a).
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:-tests/fixtures/densenet121_ref.safetensors}
build=${2:-build}
threads=${3:-2}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
libs="-ldnnl -lturbojpeg -ljpeg $(pkg-config --libs libpng cairo) -lcsv -ljansson -lz -ldcmjpls -ldcmjpeg -ldcmimgle -ldcmdata -loflog -lofstd -lstdc++ -lm -lpthread"
mpi=$(command -v mpicc >/dev/null 2>&1 && mpicc --showme:link 2>/dev/null || true)
gcc -std=gnu11 -O2 -march=native -fopenmp -Isrc bench/bench_attr.c "$build/libcxrgaze.a" \
    -fopenmp $libs $mpi -o "$out/bench_attr"
export OMP_NUM_THREADS=$threads OMP_WAIT_POLICY=passive
"$out/bench_attr" "$model" 224 3 > "$out/c.jsonl"
/usr/bin/python3 bench/bench_attr.py "$model" --threads "$threads" > "$out/t.jsonl"
/usr/bin/python3 - "$out/c.jsonl" "$out/t.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for f in sys.argv[1:] for l in open(f) if l.strip()]
v = {(r["impl"], r["precision"], r["method"]): r["seconds"] for r in rows}
print("| method | cxrgaze fp32 (s) | torch fp32 (s) | cxrgaze bf16 (s) | torch bf16 (s) |")
print("|---|---|---|---|---|")
for m in ["sl", "gc", "dl", "lc", "gs", "nt", "all6"]:
    cells = [v.get((i, p, m)) for p in ("fp32", "bf16") for i in ("cxrgaze", "torch")]
    print(f"| {m} | " + " | ".join("-" if c is None else f"{c:.3f}" for c in cells) + " |")
PY
