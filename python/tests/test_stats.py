"""cxrgaze.auroc / delong_test / regions: AUROC against scikit-learn, DeLong variances and the
DeLong test against a direct numpy implementation of DeLong et al. (1988), the patient bootstrap
against `cxrgaze eval`'s auroc.csv on the same predictions, region shares and z-scores against
numpy on METHODS.md §3's definitions; bad inputs raising."""

import csv
from statistics import NormalDist

import numpy as np
import pytest

import cxrgaze
from conftest import run_cli, smooth_maps


def _delong_components(score, label):
    """DeLong et al. 1988: V10[i] = mean_j psi(X_i, Y_j) over negatives j for positive i, V01[j]
    likewise; psi = 1 (X > Y), 1/2 (tie), 0. O(m n), independent of the library's midranks."""
    x, y = score[label == 1], score[label == 0]
    psi = (x[:, None] > y[None, :]) + 0.5 * (x[:, None] == y[None, :])
    return psi.mean(axis=1), psi.mean(axis=0), psi.mean()


def _delong(score, label, level=0.95):
    v10, v01, auc = _delong_components(score, label)
    var = v10.var(ddof=1) / v10.size + v01.var(ddof=1) / v01.size
    z = NormalDist().inv_cdf(0.5 + level / 2)
    return auc, var, max(0.0, auc - z * var ** 0.5), min(1.0, auc + z * var ** 0.5)


def test_auroc_against_sklearn_and_delong(rng):
    sklearn_metrics = pytest.importorskip("sklearn.metrics")
    for n, ties in ((50, False), (200, True)):
        y = (rng.random(n) < 0.4).astype(np.int64)
        p = rng.random(n) + 0.3 * y
        if ties:
            p = np.round(p, 1)  # many ties: each counts 1/2
        r = cxrgaze.auroc(y, p, n_bootstrap=0, level=0.9)
        assert abs(r["auroc"] - sklearn_metrics.roc_auc_score(y, p)) < 1e-12
        auc, var, lo, hi = _delong(p, y, 0.9)
        assert abs(r["auroc"] - auc) < 1e-12
        assert abs(r["delong_var"] - var) < 1e-12 * max(1.0, var)
        assert abs(r["delong_lo"] - lo) < 1e-9 and abs(r["delong_hi"] - hi) < 1e-9
        assert (r["n_pos"], r["n_neg"]) == (int(y.sum()), int(n - y.sum()))
        assert np.isnan(r["boot_lo"]) and r["boot_used"] == 0


def test_bootstrap_properties(rng):
    n = 120
    y = (rng.random(n) < 0.5).astype(np.uint8)
    p = rng.random(n) + 0.5 * y
    ids = np.arange(n)
    a = cxrgaze.auroc(y, p, n_bootstrap=300, seed=3)
    assert a == cxrgaze.auroc(y, p, patients=ids, n_bootstrap=300, seed=3)  # each its own patient
    assert a == cxrgaze.auroc(y, p, patients=[str(i) for i in ids], n_bootstrap=300, seed=3)
    assert a != cxrgaze.auroc(y, p, n_bootstrap=300, seed=4)
    assert a["boot_lo"] < a["auroc"] < a["boot_hi"] and a["boot_used"] == 300
    # close to the DeLong interval at this size
    assert abs(a["boot_lo"] - a["delong_lo"]) < 0.05 and abs(a["boot_hi"] - a["delong_hi"]) < 0.05
    one = cxrgaze.auroc(y, p, patients=np.zeros(n, np.int64), n_bootstrap=50)
    # every resample is the data itself (the estimate comes from DeLong's midranks: 1 ulp apart)
    assert one["boot_lo"] == one["boot_hi"] and abs(one["boot_lo"] - one["auroc"]) < 1e-12
    # 2-D: one AUROC per column with seed + c; NaN labels left out
    y2 = np.stack([y, 1 - y, np.ones(n)], axis=1).astype(np.float64)
    y2[:10, 0] = np.nan
    p2 = np.stack([p, p, p], axis=1)
    t = cxrgaze.auroc(y2, p2, n_bootstrap=100, seed=7)
    c0 = cxrgaze.auroc(y[10:], p[10:], n_bootstrap=100, seed=7)
    c1 = cxrgaze.auroc(1 - y, p, n_bootstrap=100, seed=8)
    for k in c0:
        assert t[k][0] == c0[k] and t[k][1] == c1[k], k
    assert np.isnan(t["auroc"][2]) and t["n_neg"][2] == 0  # one class: undefined


def _float(cell):
    return float(cell) if cell else np.nan


def test_bootstrap_equals_eval(clean_model, pack_dir, tmp_path):
    out = tmp_path / "eval"
    run_cli("eval", "--data", pack_dir, "--model", clean_model, "--out", out, "--split", "train",
            "--bootstrap", 200, "--seed", 11, "--quiet")
    with open(out / "predictions.csv", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["split"] == "train"]
    with open(out / "auroc.csv", newline="") as f:
        table = {r["label"]: r for r in csv.DictReader(f)}
    y = np.array([[_float(r[f"label_{c}"]) for c in cxrgaze.LABELS] for r in rows])
    p = np.array([[float(r[f"prob_{c}"]) for c in cxrgaze.LABELS] for r in rows])
    got = cxrgaze.auroc(y, p, patients=[r["subject_id"] for r in rows], n_bootstrap=200, seed=11)
    checked = 0
    for c, name in enumerate(cxrgaze.LABELS):
        want = table[name]
        assert got["n_pos"][c] == int(want["n_pos"]) and got["n_neg"][c] == int(want["n_neg"])
        for k in ("auroc", "delong_lo", "delong_hi", "boot_lo", "boot_hi"):
            w = _float(want[k])
            assert (np.isnan(w) and np.isnan(got[k][c])) or abs(got[k][c] - w) <= 5e-7, (name, k)
        checked += not np.isnan(got["boot_lo"][c])
    assert checked >= 3  # labels with both classes in this pack


def test_delong_test_against_numpy(rng):
    n = 150
    y = (rng.random(n) < 0.4).astype(np.uint8)
    a = rng.random(n) + 0.6 * y
    b = a + rng.normal(0, 0.3, n)
    r = cxrgaze.delong_test(y, a, b)
    va10, va01, auc_a = _delong_components(a, y)
    vb10, vb01, auc_b = _delong_components(b, y)
    m, k = va10.size, va01.size
    var = (np.var(va10, ddof=1) + np.var(vb10, ddof=1) - 2 * np.cov(va10, vb10)[0, 1]) / m + (
        np.var(va01, ddof=1) + np.var(vb01, ddof=1) - 2 * np.cov(va01, vb01)[0, 1]) / k
    z = (auc_a - auc_b) / var ** 0.5
    assert abs(r["auroc_a"] - auc_a) < 1e-12 and abs(r["diff"] - (auc_a - auc_b)) < 1e-12
    assert abs(r["se"] - var ** 0.5) < 1e-10 and abs(r["z"] - z) < 1e-8
    assert abs(r["p"] - 2 * NormalDist().cdf(-abs(z))) < 1e-8
    same = cxrgaze.delong_test(y, a, a)
    assert same["diff"] == 0 and same["p"] == 1


def _captum_threshold(v, percentile=98):
    s = np.sort(v.ravel().astype(np.float64))
    cum = np.cumsum(s)
    return s[np.where(cum >= cum[-1] * 0.01 * percentile)[0][0]]


def test_regions_against_numpy(rng):
    n, h, w = 6, 20, 24
    maps = smooth_maps(rng, n, h, w) - 0.1
    masks = np.zeros((4, h, w), np.uint8)
    masks[0, :, :12], masks[1, :, 12:], masks[2, :10] = 1, 1, 1  # region 3 empty: absent
    maps[2] = 0.5                                                 # constant: no shares
    for sign, scale in (("signed", "minmax"), ("abs", "p98")):
        r = cxrgaze.regions(maps, masks, map_sign=sign, map_scale=scale)
        share = np.full((n, 4), np.nan)
        for i in range(n):
            if i == 2:
                continue
            if scale == "minmax":
                m = (maps[i] - maps[i].min()) / (maps[i].max() - maps[i].min())
            else:
                v = np.abs(maps[i]).astype(np.float64)
                m = np.clip(v / _captum_threshold(v), 0, 1)
            for k in range(3):
                share[i, k] = m[masks[k] == 1].sum() / m.sum()
        np.testing.assert_allclose(r["share"], share, rtol=1e-6, equal_nan=True)
        s3 = share[:, :3]
        z = (s3 - np.nanmean(s3, axis=0)) / np.nanstd(s3, axis=0, ddof=1)
        np.testing.assert_allclose(r["z"][:, :3], z, rtol=1e-5, atol=1e-9, equal_nan=True)
        assert np.isnan(r["z"][:, 3]).all()
        most = [int(np.nanargmax(z[i])) if i != 2 else -1 for i in range(n)]
        assert r["most"].tolist() == most
        assert r["constant"].tolist() == [i == 2 for i in range(n)]
    # per-map masks: the same as shared ones repeated
    per = cxrgaze.regions(maps, np.ascontiguousarray(np.broadcast_to(masks, (n, 4, h, w))))
    shared = cxrgaze.regions(maps, masks.astype(bool))
    assert all(np.array_equal(per[k], shared[k], equal_nan=True) for k in per)


def test_bad_inputs_raise(rng):
    y, p = np.array([0, 1, 1]), np.array([0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="expected \\(3,\\) as y"):
        cxrgaze.auroc(y, p[:2])
    with pytest.raises(ValueError, match="patients"):
        cxrgaze.auroc(y, p, patients=[1, 2])
    with pytest.raises(ValueError, match="level"):
        cxrgaze.auroc(y, p, level=1.5)
    with pytest.raises(ValueError, match="numbers"):
        cxrgaze.auroc(["a", "b", "c"], p)
    maps = smooth_maps(rng, 2, 8, 8)
    with pytest.raises(ValueError, match="masks"):
        cxrgaze.regions(maps, np.zeros((4, 8, 9), np.uint8))
    with pytest.raises(TypeError, match="masks: dtype float32"):
        cxrgaze.regions(maps, np.zeros((4, 8, 8), np.float32))
    with pytest.raises(ValueError, match="map_scale"):
        cxrgaze.regions(maps, np.zeros((4, 8, 8), np.uint8), map_scale="p99")
