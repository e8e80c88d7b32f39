"""Statistics on numpy arrays: the map metrics of `cxrgaze metrics`, region shares and the most
salient region, AUROC with DeLong and patient-bootstrap CIs, the DeLong test (METHODS.md §3)."""

import numpy as np

from . import _lib
from ._lib import lib

METRICS = _lib.vocab(_lib.VOCAB_METRICS)     # ssim cc nss kl sim auc_judd emd
AUROC_FIELDS = _lib.vocab(_lib.VOCAB_AUROC)
DELONG_FIELDS = _lib.vocab(_lib.VOCAB_DELONG)
_COUNTS = {"n_pos", "n_neg", "boot_used", "boot_skipped"}


def _maps(name, a):
    m = _lib.array(name, a, [np.float32], [2, 3])
    return m[None] if m.ndim == 2 else m


def metrics(maps, gaze, fixations=None, map_sign="abs", map_scale="p98", metrics=None,
            emd_size=32):
    """Map i of maps against map i of gaze for every i, as `cxrgaze metrics` computes them.

    maps, gaze: float32 [N,H,W] (or one [H,W]); fixations: uint8 or bool [N,H,W], nonzero =
    fixated (needed for nss and auc_judd). Each map goes through map_sign (abs | positive |
    signed) and map_scale (p98: Captum's outlier_perc=2 | minmax) (METHODS.md §3); gaze is
    min-max normalised. metrics: names from ssim cc nss kl sim auc_judd emd (default: all, without
    nss and auc_judd when there are no fixations). emd_size: max side of the EMD grid (1-64).

    Returns a dict: metric name -> float64 [N] (NaN where undefined, e.g. a constant map), plus
    "map_constant" and "ref_constant": bool [N], maps that were constant and became all zeros.
    The pairs run in parallel (cxrgaze.set_threads)."""
    a, b = _maps("maps", maps), _maps("gaze", gaze)
    if a.shape != b.shape:
        raise ValueError(f"maps {a.shape} and gaze {b.shape}: the maps must pair up one to one")
    f = None
    if fixations is not None:
        f = _lib.array("fixations", fixations, [np.uint8, np.bool_], [2, 3])
        f = f[None] if f.ndim == 2 else f
        if f.shape != a.shape:
            raise ValueError(f"fixations {f.shape}, expected {a.shape} as the maps")
        f = f.view(np.uint8)
    n, h, w = a.shape
    values = np.empty((n, len(METRICS)), np.float64)
    constant = np.empty((n, 2), np.int32)
    settings = {"map_sign": map_sign, "map_scale": map_scale, "emd_size": emd_size,
                "metrics": metrics}
    with _lib.Settings("metrics", settings.keys(), settings) as s:
        _lib.check(lib.cxg_map_metrics(_lib.ptr(a), _lib.ptr(b), _lib.ptr(f), n, h, w, s.ptr,
                                       _lib.ptr(values), _lib.ptr(constant)))
        chosen = _chosen(s, fixations is not None)
    out = {m: values[:, i] for i, m in enumerate(METRICS) if m in chosen}
    out["map_constant"], out["ref_constant"] = constant[:, 0] != 0, constant[:, 1] != 0
    return out


def _chosen(s, have_fixations):
    buf = np.zeros(256, np.uint8)
    _lib.check(lib.cxg_settings_get(s.ptr, b"metrics", buf.ctypes.data, buf.size))
    names = bytes(buf).split(b"\0")[0].decode()
    if names:
        return set(names.split(","))
    return set(METRICS) - (set() if have_fixations else {"nss", "auc_judd"})


def regions(maps, masks, map_sign="abs", map_scale="p98"):
    """Region analysis of METHODS.md §3: for each map [N,H,W] float32 (through map_sign and
    map_scale), the share of its mass in each region of masks (uint8 or bool, [R,H,W] shared by
    all maps or [N,R,H,W] per map, e.g. a pack's regions of each image's gaze row), the z-scores
    of the shares over the N maps, and the most salient region (largest z).

    Returns a dict: share float64 [N,R] (NaN: empty mask or constant map), z float64 [N,R],
    most int32 [N] (region index, -1: none), constant bool [N]. Region names of a pack's masks:
    cxrgaze.REGIONS."""
    a = _maps("maps", maps)
    n, h, w = a.shape
    k = _lib.array("masks", masks, [np.uint8, np.bool_], [3, 4])
    per_map = k.ndim == 4
    if (per_map and (k.shape[0] != n or k.shape[2:] != (h, w))) or (
            not per_map and k.shape[1:] != (h, w)):
        raise ValueError(f"masks {k.shape}, expected [R,{h},{w}] or [{n},R,{h},{w}] for maps "
                         f"{a.shape}")
    r = k.shape[1] if per_map else k.shape[0]
    if not 1 <= r <= 64:
        raise ValueError(f"masks: {r} regions, expected 1 to 64")
    share, z = np.empty((n, r), np.float64), np.empty((n, r), np.float64)
    most, constant = np.empty(n, np.int32), np.empty(n, np.int32)
    settings = {"map_sign": map_sign, "map_scale": map_scale}
    with _lib.Settings("regions", settings.keys(), settings) as s:
        _lib.check(lib.cxg_regions(_lib.ptr(a), n, h, w, _lib.ptr(k.view(np.uint8)), r,
                                   int(per_map), s.ptr, _lib.ptr(share), _lib.ptr(z),
                                   _lib.ptr(most), _lib.ptr(constant)))
    return {"share": share, "z": z, "most": most, "constant": constant != 0}


def _vector(name, a, n=None):
    v = np.asarray(a)
    if v.ndim not in (1, 2) or v.dtype.kind not in "biuf":
        raise ValueError(f"{name}: shape {v.shape}, dtype {v.dtype}: expected numbers [N] or [N,K]")
    if n is not None and v.shape != n:
        raise ValueError(f"{name}: shape {v.shape}, expected {n} as y")
    return v


def _patients(patients, n):
    if patients is None:
        return None
    p = np.asarray(patients)
    if p.ndim != 1 or p.shape[0] != n:
        raise ValueError(f"patients: shape {p.shape}, expected [{n}] (one id per case)")
    if p.dtype.kind in "iu":
        return np.ascontiguousarray(p, dtype=np.int64)
    if p.dtype.kind in "U" and all(s.isdigit() for s in p):  # "10000032": as `cxrgaze eval`
        return np.array([int(s) for s in p], np.int64)
    return np.unique(p, return_inverse=True)[1].astype(np.int64)


def _auroc_one(y, p, pat, settings):
    keep = ~np.isnan(y.astype(np.float64)) & ~np.isnan(p.astype(np.float64))
    score = np.ascontiguousarray(p[keep], dtype=np.float64)
    label = np.ascontiguousarray(y[keep] != 0, dtype=np.uint8)
    pid = None if pat is None else np.ascontiguousarray(pat[keep])
    out = np.empty(len(AUROC_FIELDS), np.float64)
    with _lib.Settings("auroc", settings.keys(), settings) as s:
        _lib.check(lib.cxg_auroc(_lib.ptr(score), _lib.ptr(label), _lib.ptr(pid), score.size,
                                 s.ptr, out.ctypes.data))
    return out


def auroc(y, p, patients=None, level=0.95, n_bootstrap=1000, seed=0):
    """AUROC (ties count 1/2, as sklearn's roc_auc_score) with its DeLong CI (Sun & Xu) and a
    percentile bootstrap CI over patients (each resample draws patients with replacement and
    takes all their cases; patients None: every case is its own patient).

    y: labels [N] (0 negative, nonzero positive; NaN: left out, e.g. a masked label) and p:
    scores [N]; or both [N,K]: one AUROC per column c, bootstrap seed + c, as `cxrgaze eval` does
    per label. patients: [N] ids (integers, or digit strings read as integers as `cxrgaze eval`
    reads subject_id; other strings are numbered in sorted order). The bootstrap draws depend on
    the ids only through their sorted order, so equal ids give `cxrgaze eval`'s intervals.

    Returns a dict: auroc, delong_var, delong_lo, delong_hi, boot_lo, boot_hi (float; NaN when
    undefined, e.g. one class) and n_pos, n_neg, boot_used, boot_skipped (ints); arrays [K] for
    2-D input."""
    yv = _vector("y", y)
    pv = _vector("p", p, yv.shape)
    pat = _patients(patients, yv.shape[0])
    settings = {"level": level, "n_bootstrap": n_bootstrap}
    if yv.ndim == 1:
        out = _auroc_one(yv, pv, pat, dict(settings, seed=seed))
        return {k: (int(v) if k in _COUNTS else float(v)) for k, v in zip(AUROC_FIELDS, out)}
    cols = [_auroc_one(yv[:, c], pv[:, c], pat, dict(settings, seed=seed + c))
            for c in range(yv.shape[1])]
    table = np.array(cols).reshape(len(cols), len(AUROC_FIELDS))
    return {k: (table[:, i].astype(np.int64) if k in _COUNTS else table[:, i])
            for i, k in enumerate(AUROC_FIELDS)}


def delong_test(y, p_a, p_b):
    """DeLong test of two scores on the same cases (e.g. two models' probabilities of one label):
    dict auroc_a, auroc_b, diff (a - b), se, z, p (two-sided)."""
    yv = _vector("y", y)
    if yv.ndim != 1:
        raise ValueError(f"y: shape {yv.shape}, expected [N]")
    a, b = _vector("p_a", p_a, yv.shape), _vector("p_b", p_b, yv.shape)
    label = np.ascontiguousarray(yv != 0, dtype=np.uint8)
    a = np.ascontiguousarray(a, dtype=np.float64)
    b = np.ascontiguousarray(b, dtype=np.float64)
    out = np.empty(len(DELONG_FIELDS), np.float64)
    _lib.check(lib.cxg_delong_test(_lib.ptr(a), _lib.ptr(b), _lib.ptr(label), yv.shape[0],
                                   out.ctypes.data))
    return {k: float(v) for k, v in zip(DELONG_FIELDS, out)}
