#!/usr/bin/env bash
# Faithfulness benchmark: `cxrgaze faithfulness` (16 steps) against the engine's plain inference
# throughput (`cxrgaze bench`, evaluation mode, forward only) on the same machine, same batch and
# precision. A synthetic 224 px pack, random DenseNet-121 weights (the sizes of the work, not the
# weights, set the time), SL and GC maps of the first test images. Table on stdout. On a shared
# machine the two measurements see different loads; the stage's own split of its wall time (the
# forward passes alone vs everything: perturbing, blurring, ranking, input conversion) does not.
#   bench/bench_faithfulness.sh [maps (default 8)] [BUILD dir (default build)] [threads (default 2)]
# (`cxrgaze bench` also times training and input gradients: about a minute per precision on 2
# cores; its inference figure is the one compared.)
# Each map costs 2 forward passes (original and blurred image) + 2 x 15 per source (SL, GC and
# the random order): 92 images per map here.
set -euo pipefail
cd "$(dirname "$0")/.."
maps=${1:-8}
build=${2:-build}
threads=${3:-2}
bin="$build/cxrgaze"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
export OMP_WAIT_POLICY=passive
model=tests/fixtures/densenet121_ref.safetensors
"$bin" synth --out "$out/synth" --images 80 --gaze-images 20 --size 560 --seed 1 --quiet \
    --threads "$threads" > /dev/null 2>&1
"$bin" prepare --mimic "$out/synth/mimic-cxr-jpg" --egd "$out/synth/egd-cxr" --out "$out/data" --size 224 \
    --threads "$threads" --quiet > /dev/null 2>&1
"$bin" attribute --model "$model" --data "$out/data" --targets 0 --limit "$maps" --methods sl,gc --ignore-unknown \
    --out "$out/attr" --threads "$threads" --quiet > /dev/null 2>&1
echo "| precision | batch | map rows/s | faithfulness img/s | its forward passes alone img/s | share in forward | cxrgaze bench infer img/s | faithfulness / bench |"
echo "|---|---|---|---|---|---|---|---|"
for prec in fp32 bf16; do
    for batch in 32; do
        log=$("$bin" faithfulness --model "$model" --data "$out/data" --attributions "$out/attr" \
            --out "$out/faith" --steps 16 --batch "$batch" --ignore-unknown --precision "$prec" --bootstrap 0 \
            --threads "$threads" --quiet 2>&1)
        # "faithfulness: N perturbed images in T s (...; the forward passes alone F s, ...)"
        read -r n_img secs fwd < <(echo "$log" | sed -n 's/.*: \([0-9]*\) perturbed images in \([0-9.]*\) s.*forward passes alone \([0-9.]*\) s.*/\1 \2 \3/p')
        infer=$("$bin" bench --size 224 --batch "$batch" --precision "$prec" --iters 3 --warmup 1 \
            --threads "$threads" --json 2>/dev/null | sed -n 's/.*"infer_img_s":\([0-9.]*\).*/\1/p')
        awk -v p="$prec" -v b="$batch" -v n="$n_img" -v s="$secs" -v f="$fwd" -v m="$maps" -v i="$infer" \
            'BEGIN { printf "| %s | %d | %.3f | %.1f | %.1f | %.3f | %.1f | %.2f |\n", p, b, m / s, n / s, n / f, f / s, i, (n / s) / i }'
    done
done
