#!/usr/bin/python3
"""Fixture for tests/data/test_annotations.c: CheXlocalize polygons and the masks CheXlocalize
makes of them.

The reference is CheXlocalize's own rasterisation, annotation_to_segmentation.py create_mask()
(rajpurkarlab/cheXlocalize): Image.new('1', (w, h)) and, per polygon,
ImageDraw.Draw(img).polygon([(x, y), ...], outline=1, fill=1); np.array(img). Run with Debian's
/usr/bin/python3 (Pillow 9.4). Writes
  tests/fixtures/annot_polygons.json      {id: {"img_size": [h, w], "<Pathology>": [[[x, y], ...]]}}
  tests/fixtures/annot_polygons_<k>.png   the mask of polygon k alone (0/255), k in file order
"""
import json
import math
import os

import numpy as np
from PIL import Image, ImageDraw

OUT = os.path.join(os.path.dirname(__file__), "..", "fixtures")
H, W = 150, 180  # img_size is [h, w]


def contour(cx, cy, rx, ry, n, wobble, phase):
    """A smooth closed outline with float vertices, like a traced annotation."""
    pts = []
    for i in range(n):
        t = 2 * math.pi * i / n
        r = 1 + wobble * math.sin(3 * t + phase)
        pts.append([round(cx + rx * r * math.cos(t), 3), round(cy + ry * r * math.sin(t), 3)])
    return pts


polys = {
    "Airspace Opacity": [contour(50.3, 60.7, 30.2, 40.9, 23, 0.15, 0.4),
                         contour(130.6, 90.2, 25.5, 30.1, 17, 0.2, 1.3)],
    "Cardiomegaly": [contour(95.1, 110.4, 40.7, 22.3, 31, 0.05, 2.0)],
    # a polygon crossing the image border (clipped)
    "Hernia": [[[-10.5, 130.2], [40.7, 120.9], [35.2, 160.4], [-5.0, 155.0]]],
}
data = {"patient64541_study1_view1_frontal": {"img_size": [H, W], **polys}}
with open(os.path.join(OUT, "annot_polygons.json"), "w") as f:
    json.dump(data, f, indent=1)
k = 0
for name, plist in polys.items():
    for poly in plist:
        img = Image.new("1", (W, H))
        ImageDraw.Draw(img).polygon([(p[0], p[1]) for p in poly], outline=1, fill=1)
        m = np.array(img, dtype=np.uint8) * 255
        Image.fromarray(m, mode="L").save(os.path.join(OUT, f"annot_polygons_{k}.png"))
        print(name, k, int((m > 0).sum()), "px")
        k += 1
