"""cxrgaze.metrics: equal to `cxrgaze metrics`' CSV to the last printed digit on the same maps
under every map normalisation (the same C path), SSIM and CC against scikit-image and numpy with
METHODS.md §3's normalisation rebuilt from Captum's definition, and bad inputs raising."""

import csv

import numpy as np
import pytest

import cxrgaze
from cxrgaze import _safetensors
from conftest import run_cli, smooth_maps


def _pairs(rng, n=7, h=24, w=31):
    maps = smooth_maps(rng, n, h, w) - 0.2          # signed maps
    gaze = smooth_maps(rng, n, h, w)
    fix = (rng.random((n, h, w)) < 0.05).astype(np.uint8)
    if n > 3:
        maps[3] = 0.25                              # a constant map: flagged
    return maps, gaze, fix


def _cli_metrics(tmp_path, maps, gaze, fix, *flags):
    for name, a in (("maps", maps), ("gaze", gaze), ("fix", fix)):
        _safetensors.write(tmp_path / f"{name}.safetensors", {name: a})
    out = tmp_path / "m.csv"
    run_cli("metrics", "--maps", tmp_path / "maps.safetensors", "--reference",
            tmp_path / "gaze.safetensors", "--fixations", tmp_path / "fix.safetensors", "--out",
            out, "--quiet", *flags)
    with open(out, newline="") as f:
        return list(csv.DictReader(f))


def _assert_same_as_csv(py, rows):
    assert len(rows) == len(py["map_constant"])
    for i, row in enumerate(rows):
        for name, cell in row.items():
            if name == "index":
                assert cell == str(i)
            elif name in ("map_constant", "ref_constant"):
                assert cell == str(int(py[name][i])), (i, name)
            elif name in ("sauc", "ig_centre"):
                # Beyond the pair (the other pairs' fixations, the centre bias): the command
                # line's only; the C API's metrics are the pair metrics.
                assert name not in py
            else:  # the CSV's %.9g of the same double
                v = py[name][i]
                assert cell == ("nan" if np.isnan(v) else "%.9g" % v), (i, name, cell, v)


def test_equal_to_the_command_line(tmp_path, rng):
    maps, gaze, fix = _pairs(rng)
    rows = _cli_metrics(tmp_path, maps, gaze, fix)  # the defaults: abs, p98
    py = cxrgaze.metrics(maps, gaze, fix)
    assert set(py) == {"ssim", "cc", "nss", "kl", "sim", "auc_judd", "emd", "map_constant",
                       "ref_constant"}
    _assert_same_as_csv(py, rows)
    assert py["map_constant"].tolist() == [i == 3 for i in range(7)]
    for sign, scale in (("signed", "minmax"), ("positive", "minmax"), ("signed", "p98")):
        rows = _cli_metrics(tmp_path, maps, gaze, fix, "--map-sign", sign, "--map-scale", scale)
        _assert_same_as_csv(cxrgaze.metrics(maps, gaze, fix, map_sign=sign, map_scale=scale),
                            rows)


def test_selection_and_single_map(tmp_path, rng):
    maps, gaze, fix = _pairs(rng, n=2)
    py = cxrgaze.metrics(maps[0], gaze[0], metrics=["cc", "ssim"])
    assert set(py) == {"ssim", "cc", "map_constant", "ref_constant"} and py["cc"].shape == (1,)
    rows = _cli_metrics(tmp_path, maps[:1], gaze[:1], fix[:1], "--metrics", "ssim,cc")
    _assert_same_as_csv(py, rows)
    # fixations as bool: the same as uint8
    a = cxrgaze.metrics(maps, gaze, fix)
    b = cxrgaze.metrics(maps, gaze, fix.astype(bool))
    assert all(np.array_equal(a[k], b[k], equal_nan=True) for k in a)


def _captum_threshold(v, percentile=98):
    """captum/attr/_utils/visualization.py _cumulative_sum_threshold (float64 here)."""
    s = np.sort(v.ravel().astype(np.float64))
    cum = np.cumsum(s)
    return s[np.where(cum >= cum[-1] * 0.01 * percentile)[0][0]]


def _minmax(a):
    a = a.astype(np.float64)
    return (a - a.min()) / (a.max() - a.min())


def test_ssim_cc_against_skimage_and_numpy(rng):
    skimage_metrics = pytest.importorskip("skimage.metrics")
    maps, gaze, _ = _pairs(rng, n=3, h=40, w=36)
    for sign in ("abs", "positive"):
        py = cxrgaze.metrics(maps, gaze, map_sign=sign, map_scale="p98")
        for i in range(len(maps)):
            v = np.abs(maps[i]) if sign == "abs" else np.maximum(maps[i], 0)
            m = np.clip(v / _captum_threshold(v), 0, 1)
            g = _minmax(gaze[i])
            want = skimage_metrics.structural_similarity(
                m, g, data_range=1, win_size=7, gaussian_weights=False,
                use_sample_covariance=True, K1=0.01, K2=0.03)
            assert abs(py["ssim"][i] - want) < 1e-6, (sign, i, py["ssim"][i], want)
            assert abs(py["cc"][i] - np.corrcoef(m.ravel(), g.ravel())[0, 1]) < 1e-6
    py = cxrgaze.metrics(maps, gaze, map_sign="signed", map_scale="minmax")
    for i in range(len(maps)):
        want = skimage_metrics.structural_similarity(
            _minmax(maps[i]), _minmax(gaze[i]), data_range=1, win_size=7,
            gaussian_weights=False, use_sample_covariance=True, K1=0.01, K2=0.03)
        assert abs(py["ssim"][i] - want) < 1e-6


def test_bad_inputs_raise(rng):
    maps, gaze, fix = _pairs(rng, n=2)
    with pytest.raises(TypeError, match="float64, expected float32"):
        cxrgaze.metrics(maps.astype(np.float64), gaze)
    with pytest.raises(TypeError, match="numpy array"):
        cxrgaze.metrics(maps.tolist(), gaze)
    with pytest.raises(ValueError, match="C-contiguous"):
        cxrgaze.metrics(maps[:, :, ::2], gaze[:, :, ::2])
    with pytest.raises(ValueError, match="pair up"):
        cxrgaze.metrics(maps, gaze[:1])
    with pytest.raises(ValueError, match="1-D"):
        cxrgaze.metrics(maps[0, 0], gaze[0, 0])
    with pytest.raises(ValueError, match="fixations"):
        cxrgaze.metrics(maps, gaze, fix[:, :-1])
    with pytest.raises(TypeError, match="fixations: dtype float32"):
        cxrgaze.metrics(maps, gaze, fix.astype(np.float32))
    with pytest.raises(ValueError, match="one of abs | positive | signed"):
        cxrgaze.metrics(maps, gaze, map_sign="absolute")
    with pytest.raises(ValueError, match="need fixations"):
        cxrgaze.metrics(maps, gaze, metrics="nss")
    with pytest.raises(ValueError, match="metrics"):
        cxrgaze.metrics(maps, gaze, metrics="ssim,xx")
    with pytest.raises(ValueError, match="emd_size"):
        cxrgaze.metrics(maps, gaze, emd_size=0)
    empty = cxrgaze.metrics(np.zeros((0, 8, 8), np.float32), np.zeros((0, 8, 8), np.float32))
    assert empty["ssim"].shape == (0,)
