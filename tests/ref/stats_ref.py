#!/usr/bin/python3
"""Writes the fixtures of tests/stats/ (src/stats/): reference values from independent oracles.

Run from the repository root with Debian's Python (scikit-image 0.19, scikit-learn 1.2,
scipy 1.10, numpy):   /usr/bin/python3 tests/ref/stats_ref.py
It writes tests/fixtures/stats_ssim.safetensors, stats_maps.safetensors,
stats_class.safetensors and stats_paired.safetensors (a few hundred KB together). Deterministic
(fixed seeds).

Oracles:
  SSIM            skimage.metrics.structural_similarity (float64 input, so it computes in float64)
  CC NSS KL SIM   numpy, written here from the MIT saliency benchmark definitions
  AUC-Judd        numpy transcription of AUC_Judd.m (no jitter)
  EMD             scipy.optimize.linprog on the full transportation LP (no common-mass trick)
  AUROC           sklearn.metrics.roc_auc_score
  DeLong          plain O(m n) DeLong (1988) with the psi kernel, scipy.stats.norm
  F1 threshold    brute force over every distinct score with exact fractions
  Spearman        scipy.stats.spearmanr;  percentile: numpy.percentile
  chi-square      scipy.stats.chi2_contingency(correction=False), chisquare, chi2.sf
  normal quantile scipy.stats.norm.ppf
  Cohen's kappa   sklearn.metrics.cohen_kappa_score on the two rating vectors a table expands to
  Stuart-Maxwell  statsmodels.stats.contingency_tables.SquareTable(table, shift_zeros=False)
                  .homogeneity("stuart_maxwell") (statsmodels 0.13, contingency_tables.py,
                  SquareTable.homogeneity: margins without the last category, vmat = -(pr + pr.T)
                  with diagonal row + col - 2 diag(pr), statistic n d' vmat^-1 d). shift_zeros=False:
                  the default replaces zero cells by 0.5, a smoothing the test does not have.
                  Categories absent from both margins are dropped first (statsmodels' matrix
                  would be singular).
  permutation p   brute force over all 2^m swaps of the m discordant cases one by one, the
                  statistic of each table from statsmodels as above
Tensor names: "<topic>/<case>/<field>"; the C tests loop over case = 0, 1, ... until absent.
"""
import json
import struct
from fractions import Fraction

import numpy as np
import scipy.optimize
import scipy.stats
import sklearn.metrics
from skimage.metrics import structural_similarity

DTYPES = {np.dtype(np.float32): "F32", np.dtype(np.float64): "F64", np.dtype(np.uint8): "U8",
          np.dtype(np.int64): "I64"}


def write_safetensors(path, tensors):
    """Tiny safetensors writer: 8-byte aligned header and tensor offsets."""
    header, blobs, off = {}, [], 0
    for name, arr in tensors.items():
        arr = np.ascontiguousarray(arr)
        raw = arr.tobytes()
        pad = (-len(raw)) % 8
        header[name] = {"dtype": DTYPES[arr.dtype], "shape": list(arr.shape),
                        "data_offsets": [off, off + len(raw)]}
        blobs.append(raw + b"\0" * pad)
        off += len(raw) + pad
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((-len(h)) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def f32(x):
    return np.asarray(x, dtype=np.float32)


# ---- SSIM -----------------------------------------------------------------------------------
def ssim_ref(a, b):
    return structural_similarity(a.astype(np.float64), b.astype(np.float64), data_range=1,
                                 win_size=7, gaussian_weights=False,
                                 use_sample_covariance=True, K1=0.01, K2=0.03)


def ssim_cases(rng):
    cases = []
    a = f32(rng.random((32, 32)))
    cases.append((a, f32(rng.random((32, 32)))))                          # independent
    cases.append((a, f32(np.clip(a + 0.1 * rng.standard_normal(a.shape), 0, 1))))  # correlated
    cases.append((a, a.copy()))                                           # identical: 1
    cases.append((f32(np.full((16, 16), 0.5)), f32(rng.random((16, 16)))))  # one constant
    cases.append((f32(np.zeros((12, 12))), f32(np.zeros((12, 12)))))      # both zero
    cases.append((f32(rng.random((20, 37))), f32(rng.random((20, 37)))))  # non-square
    cases.append((f32(rng.random((7, 7))), f32(rng.random((7, 7)))))      # tiny
    cases.append((f32(rng.random((7, 9))), f32(rng.random((7, 9)))))
    cases.append((f32(rng.random((9, 7))), f32(rng.random((9, 7)))))
    yy, xx = np.mgrid[0:96, 0:80]
    smooth = f32(np.exp(-((yy - 40) ** 2 + (xx - 30) ** 2) / 400.0))
    cases.append((smooth, f32(np.exp(-((yy - 50) ** 2 + (xx - 45) ** 2) / 300.0))))
    t = {}
    for i, (x, y) in enumerate(cases):
        t[f"ssim/{i}/a"], t[f"ssim/{i}/b"] = x, y
        t[f"ssim/{i}/want"] = np.array([ssim_ref(x, y)])
    return t


# ---- map metrics (MIT saliency benchmark definitions) ---------------------------------------
EPS = np.finfo(np.float64).eps  # MATLAB eps, 2.2204e-16


def cc_ref(s, g):
    s = (s - s.mean()) / s.std()
    g = (g - g.mean()) / g.std()
    return float((s * g).sum() / np.sqrt((s * s).sum() * (g * g).sum()))


def nss_ref(s, fix):
    z = (s - s.mean()) / s.std(ddof=1)   # MATLAB std
    return float(z[fix > 0].mean())


def kl_ref(s, g):
    s = s / s.sum()
    g = g / g.sum()
    return float((g * np.log(EPS + g / (s + EPS))).sum())


def sim_ref(s, g):
    return float(np.minimum(s / s.sum(), g / g.sum()).sum())


def auc_judd_mit(s, fix):
    """Transcription of AUC_Judd.m (no jitter): tp = i / Nfix. Only valid without ties."""
    S, F = s.ravel(), fix.ravel()
    Sth = S[F > 0]
    nfix, npix = len(Sth), len(S)
    thr = np.sort(Sth)[::-1]
    tp = np.zeros(nfix + 2)
    fp = np.zeros(nfix + 2)
    tp[-1] = fp[-1] = 1
    for i in range(1, nfix + 1):
        above = (S >= thr[i - 1]).sum()
        tp[i] = i / nfix
        fp[i] = (above - i) / (npix - nfix)
    return float(np.trapz(tp, fp))


def auc_judd_ref(s, fix):
    """AUC-Judd counting tied values together: at each fixated value t, the fractions of fixated
    and of non-fixated pixels with value >= t; (0,0) and (1,1) added; trapezoid."""
    S, F = s.ravel(), fix.ravel() > 0
    pts = [(0.0, 0.0)]
    for t in np.sort(S[F])[::-1]:
        pts.append((float((S[~F] >= t).mean()), float((S[F] >= t).mean())))
    pts.append((1.0, 1.0))
    fp, tp = np.array(pts).T
    return float(np.trapz(tp, fp))


def map_cases(rng):
    t = {}
    cases = []
    for (h, w), ties in [((16, 20), False), ((12, 12), True), ((9, 7), False), ((24, 18), True)]:
        s = rng.random((h, w))
        g = rng.random((h, w)) ** 3
        if ties:
            s = np.round(s * 4) / 4            # heavy ties for AUC-Judd
        s = f32(s)
        g = f32(g)
        fix = (rng.random((h, w)) < 0.15).astype(np.uint8)
        fix[0, 0] = 1
        if not ties:  # no ties: identical to the MIT code's value
            assert abs(auc_judd_mit(s.astype(np.float64), fix) -
                       auc_judd_ref(s.astype(np.float64), fix)) < 1e-12
        cases.append((s, g, fix))
    for i, (s, g, fix) in enumerate(cases):
        sd, gd = s.astype(np.float64), g.astype(np.float64)
        t[f"maps/{i}/s"], t[f"maps/{i}/g"], t[f"maps/{i}/fix"] = s, g, fix
        t[f"maps/{i}/want"] = np.array([cc_ref(sd, gd), nss_ref(sd, fix), kl_ref(sd, gd),
                                        sim_ref(sd, gd), auc_judd_ref(sd, fix)])
    return t


def emd_lp(a, b, cell_y=1.0, cell_x=1.0):
    """EMD of mass-normalised a, b by the full transportation LP (Euclidean ground distance)."""
    a = a.ravel() / a.sum()
    b = b.ravel() / b.sum()
    h, w = EMD_SHAPE
    ys, xs = np.divmod(np.arange(h * w), w)
    D = np.sqrt(((ys[:, None] - ys[None, :]) * cell_y) ** 2 +
                ((xs[:, None] - xs[None, :]) * cell_x) ** 2)
    n = len(a)
    A_eq = np.zeros((2 * n, n * n))
    for i in range(n):
        A_eq[i, i * n:(i + 1) * n] = 1          # row sums = a
        A_eq[n + i, i::n] = 1                   # column sums = b
    res = scipy.optimize.linprog(D.ravel(), A_eq=A_eq, b_eq=np.concatenate([a, b]),
                                 bounds=(0, None), method="highs")
    assert res.status == 0
    return res.fun


EMD_SHAPE = None


def emd_cases(rng):
    global EMD_SHAPE
    t = {}
    cases = []
    for (h, w) in [(3, 4), (5, 5), (6, 6), (4, 6)]:
        a = rng.random((h, w)) ** 2
        b = rng.random((h, w)) ** 2
        a[rng.random((h, w)) < 0.2] = 0
        cases.append((f32(a), f32(b), 0, None))
    # Degenerate problems (equal masses, many ties in the costs): binary maps, one-hot vs flat.
    cases.append((f32(rng.random((6, 6)) < 0.4), f32(rng.random((6, 6)) < 0.3), 0, None))
    onehot = np.zeros((5, 7), np.float32)
    onehot[2, 3] = 1
    cases.append((onehot, f32(np.ones((5, 7))), 0, None))
    cases.append((f32(rng.random((12, 12)) ** 3), f32(rng.random((12, 12))), 0, None))
    cases.append((f32(rng.random((10, 10)) < 0.5), f32(np.round(rng.random((10, 10)) * 2)), 0, None))
    # Downsampling path: 12x12 with max_side 6 = exact 2x2 block means; cells are 2 px wide.
    a = f32(rng.random((12, 12)))
    b = f32(rng.random((12, 12)) ** 4)
    cases.append((a, b, 6, (lambda x: x.reshape(6, 2, 6, 2).mean(axis=(1, 3)), 2.0)))
    for i, (a, b, max_side, down) in enumerate(cases):
        ad, bd = a.astype(np.float64), b.astype(np.float64)
        if down:
            ad, bd = down[0](ad), down[0](bd)
            EMD_SHAPE = ad.shape
            want = emd_lp(ad, bd, down[1], down[1])
        else:
            EMD_SHAPE = a.shape
            want = emd_lp(ad, bd)
        t[f"emd/{i}/a"], t[f"emd/{i}/b"] = a, b
        t[f"emd/{i}/want"] = np.array([float(max_side), want])
    return t


# ---- classification -------------------------------------------------------------------------
def delong_plain(pos, neg):
    """DeLong et al. 1988 with the psi kernel, O(m n): AUC, V10, V01."""
    psi = (pos[:, None] > neg[None, :]).astype(float) + 0.5 * (pos[:, None] == neg[None, :])
    return psi.mean(), psi.mean(axis=1), psi.mean(axis=0)


def auroc_cases(rng):
    t = {}
    cases = []
    n = 60
    cases.append((rng.random(n), (rng.random(n) < 0.4)))
    s = rng.random(80)
    lab = rng.random(80) < (0.2 + 0.6 * s)
    cases.append((np.round(s, 1), lab))                       # heavy ties
    cases.append((np.round(rng.random(40) * 3), rng.random(40) < 0.5))  # 4 distinct values
    cases.append((np.array([0.2, 0.7]), np.array([0, 1], bool)))        # tiny: 1 + 1
    cases.append((np.array([0.5, 0.5, 0.1]), np.array([1, 0, 0], bool)))  # 1 positive
    cases.append((np.array([0.3, 0.3, 0.3, 0.3]), np.array([1, 0, 1, 0], bool)))  # all tied
    cases.append((np.array([0.9, 0.8, 0.4, 0.1, 0.35]), np.array([1, 1, 0, 0, 1], bool)))
    z = scipy.stats.norm.ppf(0.975)
    for i, (s, lab) in enumerate(cases):
        lab = lab.astype(np.uint8)
        auc = sklearn.metrics.roc_auc_score(lab, s)
        m, k = lab.sum(), len(lab) - lab.sum()
        a2, v10, v01 = delong_plain(s[lab == 1], s[lab == 0])
        assert abs(a2 - auc) < 1e-12
        if m >= 2 and k >= 2:
            var = np.var(v10, ddof=1) / m + np.var(v01, ddof=1) / k
            lo, hi = max(0.0, auc - z * np.sqrt(var)), min(1.0, auc + z * np.sqrt(var))
        else:
            var = lo = hi = np.nan
        t[f"auroc/{i}/score"], t[f"auroc/{i}/label"] = s.astype(np.float64), lab
        t[f"auroc/{i}/want"] = np.array([auc, var, lo, hi])
    return t


def delong_test_cases(rng):
    t = {}
    for i, (n, tie) in enumerate([(50, False), (120, True), (30, False)]):
        lab = (rng.random(n) < 0.45).astype(np.uint8)
        a = lab * 0.8 + rng.standard_normal(n)
        b = 0.6 * a + 0.8 * (lab * 0.5 + rng.standard_normal(n))
        if tie:
            a, b = np.round(a, 1), np.round(b, 1)
        aa, v10a, v01a = delong_plain(a[lab == 1], a[lab == 0])
        ab, v10b, v01b = delong_plain(b[lab == 1], b[lab == 0])
        m, k = lab.sum(), n - lab.sum()
        S10, S01 = np.cov(np.vstack([v10a, v10b])), np.cov(np.vstack([v01a, v01b]))
        L = np.array([1.0, -1.0])
        se = np.sqrt(L @ S10 @ L / m + L @ S01 @ L / k)
        zz = (aa - ab) / se
        p = 2 * scipy.stats.norm.sf(abs(zz))
        t[f"delong/{i}/a"], t[f"delong/{i}/b"], t[f"delong/{i}/label"] = a, b, lab
        t[f"delong/{i}/want"] = np.array([aa, ab, se, zz, p])
    return t


def f1_brute(s, lab):
    best, best_t = Fraction(-1), None
    P = int(lab.sum())
    for th in sorted(set(s.tolist()), reverse=True):      # descending: ">=" keeps the lowest t
        pred = s >= th
        tp = int((pred & (lab == 1)).sum())
        fp = int((pred & (lab == 0)).sum())
        f1 = Fraction(2 * tp, 2 * tp + fp + (P - tp))
        if f1 >= best:
            best, best_t = f1, th
    return best_t, float(best)


def f1_cases(rng):
    t = {}
    cases = [(rng.random(50), rng.random(50) < 0.3),
             (np.round(rng.random(60), 1), rng.random(60) < 0.5),
             (np.array([0.1, 0.4, 0.35, 0.8]), np.array([0, 0, 1, 1], bool)),
             (np.array([0.5, 0.5, 0.5]), np.array([1, 0, 1], bool)),
             (np.array([0.2, 0.9, 0.9, 0.3]), np.array([1, 1, 1, 1], bool))]
    for i, (s, lab) in enumerate(cases):
        lab = lab.astype(np.uint8)
        th, f1 = f1_brute(s, lab)
        t[f"f1/{i}/score"], t[f"f1/{i}/label"] = s.astype(np.float64), lab
        t[f"f1/{i}/want"] = np.array([th, f1])
    return t


def misc_cases(rng):
    t = {}
    for i, n in enumerate([30, 200]):
        x = f32(np.round(rng.random(n), 1))
        y = f32(x + rng.random(n))
        t[f"spearman/{i}/x"], t[f"spearman/{i}/y"] = x, y
        t[f"spearman/{i}/want"] = np.array([scipy.stats.spearmanr(x, y).correlation])
    x = rng.standard_normal(37)
    qs = np.array([0, 2.5, 25, 50, 97.5, 100])
    t["percentile/x"], t["percentile/q"] = x, qs
    t["percentile/want"] = np.percentile(x, qs)
    # chi-square homogeneity (2 x k): zero-in-both columns are dropped before scipy
    tables = [([10, 20, 5, 15], [12, 8, 9, 21]), ([3, 0, 7, 0], [1, 0, 9, 4]),
              ([30, 1, 2, 40], [25, 5, 0, 38])]
    for i, (a, b) in enumerate(tables):
        tab = np.array([a, b])
        keep = tab.sum(axis=0) > 0
        stat, p, dof, _ = scipy.stats.chi2_contingency(tab[:, keep], correction=False)
        t[f"chi2h/{i}/a"], t[f"chi2h/{i}/b"] = np.array(a, np.int64), np.array(b, np.int64)
        t[f"chi2h/{i}/want"] = np.array([stat, p, dof, (~keep).sum()], np.float64)
    for i, (obs, prob) in enumerate([([18, 22, 30, 30], [0.25, 0.25, 0.25, 0.25]),
                                     ([5, 0, 12, 3], [0.3, 0.0, 0.5, 0.2])]):
        obs, prob = np.array(obs, np.int64), np.array(prob)
        keep = prob > 0
        stat, p = scipy.stats.chisquare(obs[keep], obs.sum() * prob[keep] / prob[keep].sum())
        t[f"chi2g/{i}/obs"], t[f"chi2g/{i}/prob"] = obs, prob
        t[f"chi2g/{i}/want"] = np.array([stat, p, keep.sum() - 1])
    grid = np.array([[x, d] for d in [1, 2, 3, 5, 10, 40] for x in [0.01, 0.5, 1, 3, 7.5, 20, 80]])
    t["chi2sf/xd"] = grid
    t["chi2sf/want"] = scipy.stats.chi2.sf(grid[:, 0], grid[:, 1])
    ps = np.array([1e-10, 1e-4, 0.01, 0.025, 0.3, 0.5, 0.8, 0.975, 0.999, 1 - 1e-9])
    t["normq/p"], t["normq/want"] = ps, scipy.stats.norm.ppf(ps)
    return t


def stuart_maxwell_ref(tab):
    """statsmodels' Stuart-Maxwell on the categories present in either margin."""
    from statsmodels.stats.contingency_tables import SquareTable
    keep = (tab.sum(axis=0) + tab.sum(axis=1)) > 0
    r = SquareTable(tab[np.ix_(keep, keep)].astype(np.float64), shift_zeros=False).homogeneity(
        "stuart_maxwell")
    return float(r.statistic), float(r.pvalue), int(r.df)


def expand(tab):
    """The two rating vectors of a k x k table: rows (first rating), columns (second)."""
    a, b = [], []
    for i in range(tab.shape[0]):
        for j in range(tab.shape[1]):
            a += [i] * int(tab[i, j])
            b += [j] * int(tab[i, j])
    return np.array(a), np.array(b)


def permutation_ref(tab):
    """Exact permutation p: each discordant case swapped or not, all 2^m patterns."""
    k = tab.shape[0]
    cases = [(i, j) for i in range(k) for j in range(k) if i != j for _ in range(int(tab[i, j]))]
    obs = stuart_maxwell_ref(tab)[0]
    cache, hit = {}, 0
    for mask in range(1 << len(cases)):
        t = np.diag(np.diag(tab)).astype(np.int64)
        for c, (i, j) in enumerate(cases):
            if mask >> c & 1:
                t[j, i] += 1
            else:
                t[i, j] += 1
        key = t.tobytes()
        if key not in cache:
            cache[key] = stuart_maxwell_ref(t)[0]
        hit += cache[key] >= obs * (1 - 1e-12)
    return hit / (1 << len(cases))


def paired_cases(rng):
    t = {}
    tables = [rng.integers(1, 15, size=(4, 4)),              # n ~ 120, every cell filled
              rng.integers(0, 40, size=(4, 4)),              # larger, some zeros possible
              np.array([[5, 3, 0, 1], [2, 9, 1, 0], [0, 4, 6, 2], [1, 0, 3, 7]]),
              np.array([[7, 2, 1], [6, 3, 0], [1, 5, 8]]),   # k = 3
              np.array([[4, 0, 2, 3], [0, 0, 0, 0], [1, 0, 6, 2], [5, 0, 1, 9]]),  # one unseen
              np.array([[20, 1, 0, 0], [9, 30, 2, 0], [0, 3, 11, 4], [1, 0, 8, 2]])]
    for i, tab in enumerate(tables):
        tab = np.asarray(tab, np.int64)
        a, b = expand(tab)
        stat, p, df = stuart_maxwell_ref(tab)
        t[f"paired/{i}/table"] = tab
        t[f"paired/{i}/want"] = np.array(
            [stat, p, df, sklearn.metrics.cohen_kappa_score(a, b), np.mean(a == b)])
    # Exact permutation p on small tables (n < 30), m <= 16 discordant cases.
    small = [np.array([[3, 2, 1, 0], [0, 2, 3, 1], [1, 0, 1, 2], [0, 1, 0, 2]]),
             np.array([[4, 5, 0], [1, 3, 2], [0, 0, 6]]),
             np.array([[2, 6], [1, 5]])]
    for i, tab in enumerate(small):
        tab = np.asarray(tab, np.int64)
        t[f"paired_perm/{i}/table"] = tab
        t[f"paired_perm/{i}/want"] = np.array([permutation_ref(tab)])
    return t


def main():
    rng = np.random.default_rng(20241126)
    write_safetensors("tests/fixtures/stats_ssim.safetensors", ssim_cases(rng))
    t = map_cases(rng)
    t.update(emd_cases(rng))
    write_safetensors("tests/fixtures/stats_maps.safetensors", t)
    t = auroc_cases(rng)
    t.update(delong_test_cases(rng))
    t.update(f1_cases(rng))
    t.update(misc_cases(rng))
    write_safetensors("tests/fixtures/stats_class.safetensors", t)
    write_safetensors("tests/fixtures/stats_paired.safetensors",
                      paired_cases(np.random.default_rng(20250117)))


if __name__ == "__main__":
    main()
