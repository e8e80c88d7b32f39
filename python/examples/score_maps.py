#!/usr/bin/python3
"""Score saliency maps against radiologists' gaze, from Python, training nothing.

Loads a model, picks four held-out images that have radiologist gaze, explains each one's first
positive label (else its top-scoring label) with the study's six methods, scores every map against
the image's gaze heatmap and fixations, and prints one table: the mean of each metric per method,
and how often the map's most salient region is gaze's.

    python/examples/score_maps.py                       # a synthetic pack, the test model
    python/examples/score_maps.py --model runs/densenet/best.safetensors --data data

Without --data it makes a small synthetic pack with `cxrgaze synth` + `prepare` in a temporary
directory (the command-line tool: $CXRGAZE, build/cxrgaze or on PATH). Without --model it uses the
test fixture tests/fixtures/densenet121_ref.safetensors: torchvision's DenseNet-121 with random
weights, so its maps show the mechanics, not a trained model's attention. Run from the repository
root after `make`, or anywhere with the package installed (pip install ./python).
"""

import argparse
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[2]
try:
    import cxrgaze
except ImportError:  # used from the tree
    sys.path.insert(0, str(ROOT / "python"))
    import cxrgaze


def synthetic_pack(workdir, size):
    cli = os.environ.get("CXRGAZE") or (str(ROOT / "build" / "cxrgaze")
                                        if (ROOT / "build" / "cxrgaze").exists() else "cxrgaze")
    synth, data = pathlib.Path(workdir) / "synth", pathlib.Path(workdir) / "data"
    for args in (["synth", "--out", synth, "--images", 80, "--gaze-images", 40, "--size", size],
                 ["prepare", "--mimic", synth / "mimic-cxr-jpg", "--egd", synth / "egd-cxr",
                  "--out", data, "--size", size]):
        r = subprocess.run([cli, *map(str, args), "--quiet"], capture_output=True, text=True)
        if r.returncode:
            sys.exit(f"{cli} {args[0]}: {r.stderr.strip()}")
    return data


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", help="model file (default: the test fixture, random weights)")
    ap.add_argument("--data", help="dataset pack (default: a synthetic one, made here)")
    ap.add_argument("--images", type=int, default=4, help="images to explain (4)")
    args = ap.parse_args()

    model_path = args.model or ROOT / "tests" / "fixtures" / "densenet121_ref.safetensors"
    model = cxrgaze.Model(model_path, ignore_unknown=args.model is None)
    size = model.input_size or 64
    workdir = None if args.data else tempfile.mkdtemp(prefix="cxrgaze-example-")
    try:
        pack = cxrgaze.load_pack(args.data or synthetic_pack(workdir, size))
        print(f"model {model_path}: {model.arch}, {model.num_outputs} outputs")
        print(f"pack  {pack.path}: {pack.n} images of {pack.size} px, {pack.n_gaze} with gaze")

        # held-out images with gaze; their network input with the model's own normalisation
        rows = [r for r in pack.rows("test") if pack.gaze_row[r] >= 0]
        rows = (rows + [r for r in range(pack.n) if pack.gaze_row[r] >= 0 and r not in rows])
        rows = np.array(rows[:args.images])
        x = model.input_from_gray(np.ascontiguousarray(pack.images[rows]))
        logits = model.forward(x)
        targets = []
        for i, r in enumerate(rows):
            positive = np.flatnonzero((pack.labels[r] > 0.5) & (pack.label_mask[r] > 0))
            targets.append(int(positive[0]) if positive.size else int(np.argmax(logits[i])))
        for r, t in zip(rows, targets):
            print(f"  {pack.dicom_id[r]}  explain {cxrgaze.LABELS[t]:<28} "
                  f"p = {1 / (1 + np.exp(-logits[list(rows).index(r), t])):.3f}")

        t0 = time.perf_counter()
        maps = model.attribute(x, targets, methods=cxrgaze.STUDY_METHODS)
        seconds = time.perf_counter() - t0

        g = pack.gaze_row[rows]
        gaze = np.ascontiguousarray(pack.gaze[g])
        fixations = np.ascontiguousarray(pack.fixations[g])
        masks = np.ascontiguousarray(pack.regions[g])  # [4 images, 4 regions, S, S]
        gaze_top = cxrgaze.regions(gaze, masks, map_scale="minmax")["most"]

        names = ("ssim", "cc", "nss", "kl", "sim", "auc_judd", "emd")
        print(f"\n{len(rows)} images x {len(maps)} methods in {seconds:.1f} s; mean over the "
              "images (maps: abs, p98; gaze: min-max)\n")
        print(f"{'method':<8}" + "".join(f"{n:>10}" for n in names) + f"{'region':>10}")
        for method, m in maps.items():
            s = cxrgaze.metrics(m, gaze, fixations)
            top = cxrgaze.regions(m, masks)["most"]
            cells = "".join(f"{np.nanmean(s[n]):>10.3f}" for n in names)
            print(f"{method:<8}{cells}{f'{np.sum(top == gaze_top)}/{len(rows)}':>10}")
        print("\nregion: images whose most salient region (z-scored over these images) is gaze's")
    finally:
        model.close()
        if workdir:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
