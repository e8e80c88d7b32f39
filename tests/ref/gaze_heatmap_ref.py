#!/usr/bin/python3
"""Reference static gaze heatmaps for tests/data/test_gaze.c, made the EGD-CXR way at full
resolution and then brought to the model's input size like the image.

Recipe (EGD-CXR DataProcessing/DataPostProcessing/create_heatmap_images_and_or_videos.py):
count fixations per original pixel (X_ORIGINAL, Y_ORIGINAL; invalid = negative), scipy
ndimage.gaussian_filter(record, sigma) (mode 'reflect', truncate 4), min-max normalise. Then
the same geometry as cxrgaze's images: Pillow BILINEAR (antialiased) resize of the float map so
that the shorter side is S and the longer floor(S * long / short), centre crop S x S at offset
floor((resized - S) / 2).

The "original" images are small (600x500, 500x600) with sigma scaled by 500/2544 so that sigma
in target pixels is what the real 2544x3056 images get at S=224 (about 13 px).

Run: /usr/bin/python3 tests/ref/gaze_heatmap_ref.py  (writes tests/fixtures/gaze_heatmap_ref.safetensors)
"""
import json
import struct

import numpy as np
from PIL import Image
from scipy import ndimage

S = 224
SIGMA = 150.0 * 500.0 / 2544.0


def fit(heat, S):
    h, w = heat.shape
    if w <= h:
        rw, rh = S, (S * h) // w
    else:
        rw, rh = (S * w) // h, S
    im = Image.fromarray(heat.astype(np.float32), mode="F").resize((rw, rh), Image.BILINEAR)
    a = np.asarray(im, dtype=np.float32)
    cx, cy = (rw - S) // 2, (rh - S) // 2
    return a[cy:cy + S, cx:cx + S]


def case(rng, W, H, n, weighted):
    xs = rng.integers(0, W, n).astype(np.int32)
    ys = rng.integers(0, H, n).astype(np.int32)
    # borders (reflection matters), a repeated pixel, off-image (negative) samples
    xs[:4] = [2, W - 3, W // 2, 7]
    ys[:4] = [H // 3, 5, H - 2, 7]
    xs[4], ys[4] = xs[5], ys[5]
    xs[6], ys[6] = -1, -2
    xs[7], ys[7] = -3, 100
    dur = rng.uniform(0.05, 1.5, n).astype(np.float32)
    record = np.zeros((H, W), dtype=np.float64)
    for x, y, d in zip(xs, ys, dur):
        if x >= 0 and y >= 0:
            record[y, x] += d if weighted else 1.0
    heat = ndimage.gaussian_filter(record, SIGMA)
    heat = (heat - heat.min()) / (heat.max() - heat.min())
    return xs, ys, dur, fit(heat, S)


def save(path, tensors, meta):
    header, blobs, off = {"__metadata__": meta}, [], 0
    for name, a in tensors.items():
        dt = {np.float32: "F32", np.int32: "I32"}[a.dtype.type]
        b = np.ascontiguousarray(a).tobytes()
        header[name] = {"dtype": dt, "shape": list(a.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


rng = np.random.default_rng(20261127)
t = {}
for name, (W, H, n, weighted) in {"landscape_count": (600, 500, 40, False),
                                   "portrait_duration": (500, 600, 25, True)}.items():
    xs, ys, dur, heat = case(rng, W, H, n, weighted)
    t[name + ".x"], t[name + ".y"], t[name + ".dur"], t[name + ".heat"] = xs, ys, dur, heat
    t[name + ".wh"] = np.array([W, H], dtype=np.int32)
save("tests/fixtures/gaze_heatmap_ref.safetensors", t,
     {"size": str(S), "sigma_px": repr(SIGMA), "source": "tests/ref/gaze_heatmap_ref.py"})
print("ok")
