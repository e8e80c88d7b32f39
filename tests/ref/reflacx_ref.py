#!/usr/bin/python3
"""A tiny REFLACX tree in the authors' column layout, and reference heatmaps of its readings, for
tests/data/test_reflacx.c.

Layout (ricbl/eyetracking, post_processing_and_dataset_generation/create_main_table.py,
get_main_table): main_data/metadata_phase_{p}.csv with the columns
id,split,eye_tracking_data_discarded,image,dicom_id,subject_id,image_size_x,image_size_y and then
the phase's label names sorted (labels_list = sorted(row.keys())); one folder per reading with
fixations.csv (the renamed columns of columns_fixations), anomaly_location_ellipses.csv
(xmin,ymin,xmax,ymax,certainty + labels_list, booleans) and chest_bounding_box.csv
(xmin,ymin,xmax,ymax). save_csv writes CRLF line ends; round_dataframe writes the pixel columns as
integers. A discarded reading's folder has no fixations.csv (the `if not discarded` branches).
Label names per phase: examples_and_paper_numbers/interrater.py (the two `labels = sorted([...])`
lists; phase 3 uses the phase-2 list).

Heatmap (examples_and_paper_numbers/generate_heatmaps.py, create_heatmap and get_gaussian): for
every fixation, the scipy.stats.multivariate_normal density with mean (y_position, x_position) and
covariance diag(sy^2, sx^2), sx = 1 degree * angular_resolution_x_pixels_per_degree (sy alike),
evaluated at the integer pixels of the shown window [round(xmin), round(xmax)) x [round(ymin),
round(ymax)) of *_shown_from_image and zero elsewhere, times (timestamp_end_fixation -
timestamp_start_fixation), accumulated into a float32 image, divided by its sum. Then the
project's geometry as tests/ref/gaze_heatmap_ref.py: Pillow BILINEAR resize of the float map
(shorter side to S, longer floor(S * long / short)), centre crop S x S. REFLACX_NORM_MAX is that
map divided by its maximum.

Deviation, stated: reading P300R000003 has one fixation row with an empty x_position (written
here on purpose); the authors' script would turn the whole map into NaN, cxrgaze skips and counts
the row, and the reference below drops it.

Images are small (600x500, 500x600) with angular resolutions of 10..30 px per degree, so that sigma
in target pixels at S=96 (2.5..6 px) is what real 2544x3056 images at ~120 px/degree get at S=224.

Run: /usr/bin/python3 tests/ref/reflacx_ref.py
(writes tests/fixtures/reflacx/ and tests/fixtures/reflacx_heatmap_ref.safetensors)
"""
import json
import os
import shutil
import struct

import numpy as np
from PIL import Image
from scipy.stats import multivariate_normal

S = 96
ROOT = "tests/fixtures/reflacx/main_data"
LABELS_1 = sorted(['Atelectasis', 'Consolidation', 'Pulmonary edema', 'Airway wall thickening',
                   'Groundglass opacity', 'Mass', 'Nodule', 'Pneumothorax', 'Pleural effusion',
                   'Pleural thickening', 'Emphysema', 'Fibrosis', 'Wide mediastinum',
                   'Enlarged cardiac silhouette', 'Support devices', 'Fracture', 'Quality issue'])
LABELS_23 = sorted(['Support devices', 'Abnormal mediastinal contour',
                    'Enlarged cardiac silhouette', 'Enlarged hilum', 'Hiatal hernia',
                    'Pneumothorax', 'Pleural abnormality', 'Consolidation', 'Groundglass opacity',
                    'Atelectasis', 'Lung nodule or mass', 'Pulmonary edema',
                    'High lung volume / emphysema', 'Interstitial lung disease', 'Acute fracture'])
BOOL_LABELS = ('Support devices', 'Quality issue')
FIX_COLS = ['timestamp_start_fixation', 'timestamp_end_fixation', '{x}', '{y}',
            'pupil_area_normalized', 'angular_resolution_x_pixels_per_degree',
            'angular_resolution_y_pixels_per_degree', 'window_width', 'window_level',
            'xmin_shown_from_image', 'ymin_shown_from_image', 'xmax_shown_from_image',
            'ymax_shown_from_image', 'xmin_in_screen_coordinates', 'ymin_in_screen_coordinates',
            'xmax_in_screen_coordinates', 'ymax_in_screen_coordinates']


def write_csv(path, header, rows):
    def cell(v):
        s = str(v)
        return '"' + s.replace('"', '""') + '"' if any(c in s for c in ',"\r\n') else s
    with open(path, "w", newline="") as f:
        for r in [header] + rows:
            f.write(",".join(cell(v) for v in r) + "\r\n")


def fixations(rng, W, H, n, zoom_window):
    """Rows as create_main_table.py writes them (positions and windows integers)."""
    rows, t = [], round(float(rng.uniform(0.2, 1.0)), 3)
    for k in range(n):
        dur = round(float(rng.uniform(0.05, 0.9)), 3)
        if k == 3:
            dur = 0.0  # a zero-length fixation: weight 0
        zoomed = zoom_window is not None and k % 3 == 1
        win = zoom_window if zoomed else (0, 0, W, H)
        ppd = (10, 12) if zoomed else (int(rng.integers(22, 31)), int(rng.integers(22, 31)))
        x, y = int(rng.integers(win[0], win[2])), int(rng.integers(win[1], win[3]))
        if k == 0:
            x, y = 2, H - 3  # near a corner
        if k == 5:
            x, y = -40, H // 2  # off the image (left of it): its Gaussian still reaches in
        if k == 7 and zoomed:
            x = win[2] + 15  # outside the shown window
        rows.append([f"{t:.3f}", f"{t + dur:.3f}", x, y, round(float(rng.uniform(0.5, 1.5)), 3),
                     ppd[0], ppd[1], 0.85, 0.47, *win, 0, 0, 1000, 1000])
        t = round(t + dur + float(rng.uniform(0.01, 0.2)), 3)
    return rows


def heatmap(rows, W, H):
    img = np.zeros((H, W), dtype=np.float32)
    for r in rows:
        t0, t1, x, y = float(r[0]), float(r[1]), float(r[2]), float(r[3])
        sx, sy = 1 * float(r[5]), 1 * float(r[6])
        x0, y0, x1, y1 = (round(float(v)) for v in r[9:13])
        gx, gy = np.meshgrid(np.arange(0, x1 - x0), np.arange(0, y1 - y0))
        pos = np.stack([gy, gx], axis=-1)
        g = np.zeros((H, W))
        g[y0:y1, x0:x1] = multivariate_normal([y - y0, x - x0], [sy ** 2, sx ** 2]).pdf(pos)
        img += g * (t1 - t0)
    return img / np.sum(img)


def fit(heat):
    h, w = heat.shape
    rw, rh = (S, (S * h) // w) if w <= h else ((S * w) // h, S)
    a = np.asarray(Image.fromarray(heat.astype(np.float32), mode="F").resize((rw, rh),
                                                                              Image.BILINEAR))
    cx, cy = (rw - S) // 2, (rh - S) // 2
    return np.ascontiguousarray(a[cy:cy + S, cx:cx + S], dtype=np.float32)


def labels_row(rng, labels, other):
    vals = [("True" if rng.random() < 0.5 else "False") if l in BOOL_LABELS
            else int(rng.integers(0, 6)) for l in labels]
    return vals + ([other] if other is not None else [])


def reading(rid, rng, labels, W, H, n_fix, zoom, pos_names, ellipses, discarded=False,
            empty_x_row=None):
    d = os.path.join(ROOT, rid)
    os.makedirs(d)
    write_csv(os.path.join(d, "chest_bounding_box.csv"), ["xmin", "ymin", "xmax", "ymax"],
              [[W // 10, H // 12, W - W // 9, H - H // 15]])
    erows = []
    for (x0, y0, x1, y1, cert, on) in ellipses:
        erows.append([x0, y0, x1, y1, cert] + ["True" if l in on else "False" for l in labels])
    write_csv(os.path.join(d, "anomaly_location_ellipses.csv"),
              ["xmin", "ymin", "xmax", "ymax", "certainty"] + labels, erows)
    if discarded:
        return None
    rows = fixations(rng, W, H, n_fix, zoom)
    written = [list(r) for r in rows]
    if empty_x_row is not None:
        written.insert(empty_x_row, list(rows[empty_x_row]))
        written[empty_x_row][2] = ""
    header = [c.format(x=pos_names[0], y=pos_names[1]) for c in FIX_COLS]
    write_csv(os.path.join(d, "fixations.csv"), header, written)
    return rows


def save(path, tensors, meta):
    header, blobs, off = {"__metadata__": meta}, [], 0
    for name, a in tensors.items():
        b = np.ascontiguousarray(a).tobytes()
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def meta_row(rid, split, discarded, dicom, subject, W, H):
    image = f"physionet.org/files/mimic-cxr/2.0.0/files/p{subject[:2]}/p{subject}/s5{subject[1:]}/{dicom}.dcm"
    return [rid, split, "True" if discarded else "False", image, dicom, subject, W, H]


rng = np.random.default_rng(20261206)
if os.path.exists("tests/fixtures/reflacx"):
    shutil.rmtree("tests/fixtures/reflacx")
os.makedirs(ROOT)
core = ["id", "split", "eye_tracking_data_discarded", "image", "dicom_id", "subject_id",
        "image_size_x", "image_size_y"]
dA = "02aa804e-bde0afdd-112c0b34-7bc16630-4e384014"
dB = "2a2277a9-b0ded155-c0de8eb9-c124d10e-82c5caab"
heat = {}

# phase 1: a kept reading (landscape, zoomed part of the time) and a discarded one
rA = reading("P102R108074", rng, LABELS_1, 600, 500, 30, (150, 120, 420, 360),
             ("x_position", "y_position"),
             [(300, 200, 420, 330, 5, ["Consolidation", "Atelectasis"]),
              (60, 50, 200, 180, 2, ["Nodule"]), (100, 260, 260, 420, 4, ["Pleural effusion"])])
reading("P103R554210", rng, LABELS_1, 600, 500, 0, None, None,
        [(10, 10, 90, 90, 3, ["Mass"])], discarded=True)
write_csv(os.path.join(ROOT, "metadata_phase_1.csv"), core + LABELS_1 + ["Other"],
          [meta_row("P102R108074", "train", False, dA, "10000032", 600, 500)
           + labels_row(rng, LABELS_1, "Azygos fissure|Hernia, small"),
           meta_row("P103R554210", "test", True, dA, "10000032", 600, 500)
           + labels_row(rng, LABELS_1, "")])
heat["P102R108074"] = fit(heatmap(rA, 600, 500))

# phase 2: a second reader of image A
rC = reading("P200R771002", rng, LABELS_23, 600, 500, 12, None, ("x_position", "y_position"),
             [(280, 190, 430, 340, 4, ["Consolidation"])])
write_csv(os.path.join(ROOT, "metadata_phase_2.csv"), core + LABELS_23,
          [meta_row("P200R771002", "train", False, dA, "10000032", 600, 500)
           + labels_row(rng, LABELS_23, None)])
heat["P200R771002"] = fit(heatmap(rC, 600, 500))

# phase 3: portrait, the position_x/position_y spelling, one row with an empty position
rB = reading("P300R000003", rng, LABELS_23, 500, 600, 25, (40, 100, 330, 460),
             ("position_x", "position_y"),
             [(120, 150, 260, 330, 5, ["Lung nodule or mass", "Groundglass opacity"])],
             empty_x_row=4)
write_csv(os.path.join(ROOT, "metadata_phase_3.csv"), core + LABELS_23,
          [meta_row("P300R000003", "validate", False, dB, "10000764", 500, 600)
           + labels_row(rng, LABELS_23, None)])
heat["P300R000003"] = fit(heatmap(rB, 500, 600))

save("tests/fixtures/reflacx_heatmap_ref.safetensors", heat,
     {"size": str(S), "sigma_deg": "1", "source": "tests/ref/reflacx_ref.py"})
print("ok", {k: (float(v.sum()), float(v.max())) for k, v in heat.items()})
