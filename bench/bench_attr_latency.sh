#!/usr/bin/env bash
# One-image latency of `cxrgaze attribute` (issue #16): one process start to end per run, one
# 224x224 image, target 3, fp32 and bf16, each of SL GC DL LC GS NT alone and all six; best wall
# time of 3 runs with its minor page faults and peak RSS (/usr/bin/time). Binaries side by side
# (e.g. a build before and after a change), runs interleaved so that load on the machine hits
# them alike. BIN "torch" is PyTorch doing the same work in one process (bench_attr.py --once:
# interpreter start, import, model, weights, the methods once each), the command-line equivalent
# for a user of Captum.
#   bench/bench_attr_latency.sh [MODEL.safetensors] [threads (default 2)] BIN [BIN...]
# MODEL defaults to tests/fixtures/densenet121_ref.safetensors; BIN defaults to build/cxrgaze.
# Needs `make` first (build/libcxrgaze.a writes the input image).
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:-tests/fixtures/densenet121_ref.safetensors}
threads=${2:-2}
shift $(($# < 2 ? $# : 2))
bins=("$@")
[ ${#bins[@]} -gt 0 ] || bins=(build/cxrgaze)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cat > "$out/mkin.c" <<'C'
#include <math.h>
#include <stdlib.h>
#include "io/io.h"
// A [1,3,224,224] "input": a deterministic smooth pattern plus uniform noise.
int main(int argc, char **argv) {
    int64_t s[4] = {1, 3, 224, 224};
    size_t n = 3 * 224 * 224;
    float *x = malloc(n * sizeof *x);
    uint64_t z = 12345;
    for (size_t i = 0; i < n; i++) {
        z = z * 6364136223846793005ull + 1442695040888963407ull;
        x[i] = (float)((z >> 40) / 16777216.0 * 2 - 1) + 0.5f * sinf((float)(i % 224) / 20);
    }
    st_writer *w = st_writer_new();
    st_writer_add(w, "input", ST_F32, 4, s, x);
    cx_error err;
    return argc < 2 || st_writer_write(w, argv[1], &err);
}
C
libs="-ldnnl -lturbojpeg -ljpeg $(pkg-config --libs libpng cairo) -lcsv -ljansson -lz -ldcmjpls -ldcmjpeg -ldcmimgle -ldcmdata -loflog -lofstd -lstdc++ -lm -lpthread"
mpi=$(command -v mpicc >/dev/null 2>&1 && mpicc --showme:link 2>/dev/null || true)
gcc -std=gnu11 -O1 -fopenmp -Isrc "$out/mkin.c" build/libcxrgaze.a $libs $mpi -o "$out/mkin"
"$out/mkin" "$out/x.safetensors"
export OMP_WAIT_POLICY=passive
echo "| precision | methods | binary | seconds | minor faults | max RSS (MB) |"
echo "|---|---|---|---|---|---|"
for prec in fp32 bf16; do
    for m in sl gc dl lc gs nt sl,gc,dl,lc,gs,nt; do
        declare -A best=()
        for r in 1 2 3; do
            for b in "${bins[@]}"; do
                rm -rf "$out/o"
                if [ "$b" = torch ]; then
                    /usr/bin/time -f "%e %R %M" -o "$out/t" /usr/bin/python3 bench/bench_attr.py \
                        "$model" --once "$m" --precision "$prec" --threads "$threads" >/dev/null 2>&1
                else
                    /usr/bin/time -f "%e %R %M" -o "$out/t" "$b" attribute --model "$model" \
                        --ignore-unknown --input "$out/x.safetensors" --target 3 --methods "$m" \
                        --precision "$prec" --threads "$threads" --quiet --out "$out/o" >/dev/null 2>&1
                fi
                read -r w f rss < "$out/t"
                old=${best[$b]:-}
                if [ -z "$old" ] || awk "BEGIN{exit !($w < ${old%% *})}"; then best[$b]="$w $f $rss"; fi
            done
        done
        for b in "${bins[@]}"; do
            read -r w f rss <<< "${best[$b]}"
            echo "| $prec | $m | $b | $w | $f | $((rss / 1024)) |"
        done
        unset best
    done
done
