// stats/auroc: AUROC vs scikit-learn, DeLong CI and test vs a plain O(mn) DeLong, F1 threshold vs
// brute force, Spearman vs scipy, percentile vs numpy, chi-square and normal quantile vs scipy
// (fixture: tests/ref/stats_ref.py); patient bootstrap and unavailable cases by construction.
#include "fixture.h"

#include "stats/stats.h"

static void auroc_and_delong_ci(void **state) {
    (void)state;
    st_file *f = fixture_open("stats_class.safetensors");
    int c = 0;
    for (; fixture_tensor(f, "auroc/%d/score", c); c++) {
        const st_tensor *ts = FX(f, "auroc/%d/score", c), *tl = FX(f, "auroc/%d/label", c);
        const double *want = FX(f, "auroc/%d/want", c)->data;
        const double *s = ts->data;
        const uint8_t *l = tl->data;
        char what[64];
        snprintf(what, sizeof what, "auroc case %d", c);
        stats_status st;
        assert_close(stats_auroc(s, l, ts->numel, &st), want[0], 1e-12, 1e-12, what);
        assert_int_equal(st, STATS_OK);
        stats_auroc_ci ci;
        stats_auroc_delong(s, l, ts->numel, 0.95, &ci);
        assert_close(ci.auroc, want[0], 1e-12, 1e-12, what);
        assert_close_nan(ci.var, want[1], 1e-10, 1e-14, what);
        assert_close_nan(ci.lo, want[2], 1e-9, 1e-12, what);
        assert_close_nan(ci.hi, want[3], 1e-9, 1e-12, what);
        assert_int_equal(ci.status, isnan(want[1]) ? STATS_TOO_FEW : STATS_OK);
    }
    assert_true(c >= 7);
    st_close(f);
}

static void delong_test(void **state) {
    (void)state;
    st_file *f = fixture_open("stats_class.safetensors");
    int c = 0;
    for (; fixture_tensor(f, "delong/%d/a", c); c++) {
        const st_tensor *ta = FX(f, "delong/%d/a", c);
        const double *b = FX(f, "delong/%d/b", c)->data;
        const uint8_t *l = FX(f, "delong/%d/label", c)->data;
        const double *want = FX(f, "delong/%d/want", c)->data;
        stats_delong_test t;
        stats_delong_compare(ta->data, b, l, ta->numel, &t);
        assert_int_equal(t.status, STATS_OK);
        assert_close(t.auroc_a, want[0], 1e-12, 1e-12, "auroc a");
        assert_close(t.auroc_b, want[1], 1e-12, 1e-12, "auroc b");
        assert_close(t.se, want[2], 1e-9, 1e-13, "se");
        assert_close(t.z, want[3], 1e-8, 1e-10, "z");
        assert_close(t.p, want[4], 1e-8, 1e-12, "p");
        // Swapping the two scores flips z and keeps p.
        stats_delong_test u;
        stats_delong_compare(b, ta->data, l, ta->numel, &u);
        assert_close(u.z, -t.z, 1e-12, 1e-12, "swapped z");
        assert_close(u.p, t.p, 1e-12, 1e-12, "swapped p");
    }
    assert_true(c >= 3);
    st_close(f);
}

static void unavailable_cases(void **state) {
    (void)state;
    double s[4] = {0.1, 0.2, 0.3, 0.4};
    uint8_t ones[4] = {1, 1, 1, 1}, zeros[4] = {0};
    stats_status st;
    assert_true(isnan(stats_auroc(s, ones, 4, &st)));
    assert_int_equal(st, STATS_ONE_CLASS);
    assert_true(isnan(stats_auroc(s, zeros, 4, &st)));
    assert_int_equal(st, STATS_ONE_CLASS);
    assert_true(isnan(stats_auroc(s, zeros, 0, &st)));
    assert_int_equal(st, STATS_EMPTY);
    stats_auroc_ci ci;
    stats_auroc_delong(s, ones, 4, 0.95, &ci);
    assert_int_equal(ci.status, STATS_ONE_CLASS);
    assert_true(isnan(ci.auroc) && isnan(ci.lo) && isnan(ci.hi));
    stats_delong_test t;
    stats_delong_compare(s, s, zeros, 4, &t);
    assert_int_equal(t.status, STATS_ONE_CLASS);
    assert_true(isnan(t.p));
    double with_nan[4] = {0.1, NAN, 0.3, 0.4};
    uint8_t mixed[4] = {0, 1, 0, 1};
    assert_true(isnan(stats_auroc(with_nan, mixed, 4, &st)));
    assert_int_equal(st, STATS_NONFINITE);
    stats_delong_compare(s, with_nan, mixed, 4, &t);
    assert_int_equal(t.status, STATS_NONFINITE);
    // Identical scores: diff 0, se 0 -> z 0, p 1.
    uint8_t l[4] = {0, 1, 0, 1};
    stats_delong_compare(s, s, l, 4, &t);
    assert_int_equal(t.status, STATS_OK);
    assert_true(t.z == 0 && t.p == 1);
    stats_ci b;
    stats_auroc_bootstrap(s, ones, NULL, 4, 50, 0.95, 1, &b);
    assert_int_equal(b.status, STATS_ONE_CLASS);
    assert_int_equal(b.n_used, 0);
    assert_int_equal(b.n_skipped, 50);
    assert_true(isnan(b.lo));
    double best;
    assert_true(isnan(stats_f1_threshold(s, zeros, 4, &best, &st)));
    assert_int_equal(st, STATS_ONE_CLASS);
}

static void patient_bootstrap(void **state) {
    (void)state;
    enum { N = 300 };
    double s[N];
    uint8_t l[N];
    int64_t pid[N];
    cx_rng r;
    cx_rng_seed(&r, 7, 1);
    for (int i = 0; i < N; i++) {
        l[i] = cx_rng_uniform(&r) < 0.3;
        s[i] = l[i] * 0.7 + cx_rng_normal(&r);
        pid[i] = 1000 + i / 3; // 3 studies per patient
    }
    stats_ci a, b, c;
    stats_auroc_bootstrap(s, l, pid, N, 400, 0.95, 42, &a);
    stats_auroc_bootstrap(s, l, pid, N, 400, 0.95, 42, &b);
    stats_auroc_bootstrap(s, l, pid, N, 400, 0.95, 43, &c);
    assert_int_equal(a.status, STATS_OK);
    assert_true(a.lo == b.lo && a.hi == b.hi); // reproducible for a seed
    assert_true(a.lo != c.lo || a.hi != c.hi);
    assert_true(a.lo < a.estimate && a.estimate < a.hi);
    assert_int_equal(a.n_used + a.n_skipped, 400);
    // The bootstrap CI should roughly match DeLong's (same data, large n).
    stats_auroc_ci d;
    stats_auroc_delong(s, l, N, 0.95, &d);
    assert_close(a.estimate, d.auroc, 0, 1e-15, "estimate");
    assert_close(a.hi - a.lo, d.hi - d.lo, 0.35, 0, "CI width bootstrap vs DeLong");
    // Patients drawn whole: a single patient holding every case gives resamples equal to the
    // data, so the CI collapses to the estimate.
    int64_t one[N];
    for (int i = 0; i < N; i++)
        one[i] = 5;
    stats_auroc_bootstrap(s, l, one, N, 20, 0.95, 1, &c);
    assert_close(c.lo, a.estimate, 0, 1e-12, "one patient lo");
    assert_close(c.hi, a.estimate, 0, 1e-12, "one patient hi");
    // Tiny n: many resamples have one class; they are skipped and counted.
    double ts[3] = {0.1, 0.5, 0.9};
    uint8_t tl[3] = {0, 1, 0};
    stats_auroc_bootstrap(ts, tl, NULL, 3, 200, 0.95, 3, &c);
    assert_true(c.n_skipped > 20 && c.n_used > 20);
    assert_int_equal(c.n_used + c.n_skipped, 200);
}

static void f1_threshold(void **state) {
    (void)state;
    st_file *f = fixture_open("stats_class.safetensors");
    int c = 0;
    for (; fixture_tensor(f, "f1/%d/score", c); c++) {
        const st_tensor *ts = FX(f, "f1/%d/score", c);
        const uint8_t *l = FX(f, "f1/%d/label", c)->data;
        const double *want = FX(f, "f1/%d/want", c)->data;
        double best;
        stats_status st;
        double t = stats_f1_threshold(ts->data, l, ts->numel, &best, &st);
        assert_int_equal(st, STATS_OK);
        assert_true(t == want[0]);
        assert_close(best, want[1], 1e-15, 0, "best F1");
    }
    assert_true(c >= 5);
    st_close(f);
}

static void spearman_percentile(void **state) {
    (void)state;
    st_file *f = fixture_open("stats_class.safetensors");
    for (int c = 0; fixture_tensor(f, "spearman/%d/x", c); c++) {
        const st_tensor *tx = FX(f, "spearman/%d/x", c);
        const float *y = FX(f, "spearman/%d/y", c)->data;
        stats_status st;
        assert_close(stats_spearman(tx->data, y, tx->numel, &st),
                     ((const double *)FX(f, "spearman/%d/want", c)->data)[0], 1e-12, 1e-12,
                     "spearman");
    }
    const st_tensor *x = FX(f, "percentile/x"), *q = FX(f, "percentile/q");
    const double *want = FX(f, "percentile/want")->data;
    for (size_t i = 0; i < q->numel; i++)
        assert_close(stats_percentile(x->data, x->numel, ((const double *)q->data)[i]), want[i],
                     1e-12, 1e-12, "percentile");
    float cst[4] = {1, 1, 1, 1}, v[4] = {1, 2, 3, 4};
    stats_status st;
    assert_true(isnan(stats_spearman(cst, v, 4, &st)));
    assert_int_equal(st, STATS_CONSTANT);
    st_close(f);
}

static void distributions(void **state) {
    (void)state;
    st_file *f = fixture_open("stats_class.safetensors");
    const st_tensor *xd = FX(f, "chi2sf/xd");
    const double *g = xd->data, *want = FX(f, "chi2sf/want")->data;
    for (size_t i = 0; i < xd->numel / 2; i++)
        assert_close(stats_chi2_sf(g[2 * i], g[2 * i + 1]), want[i], 1e-10, 1e-300, "chi2 sf");
    const st_tensor *tp = FX(f, "normq/p");
    const double *p = tp->data, *wq = FX(f, "normq/want")->data;
    for (size_t i = 0; i < tp->numel; i++)
        assert_close(stats_normal_quantile(p[i]), wq[i], 1e-12, 1e-12, "normal quantile");
    for (int c = 0; fixture_tensor(f, "chi2h/%d/a", c); c++) {
        const int64_t *a = FX(f, "chi2h/%d/a", c)->data, *b = FX(f, "chi2h/%d/b", c)->data;
        const double *w = FX(f, "chi2h/%d/want", c)->data;
        stats_chi2 t;
        stats_chi2_homogeneity(a, b, 4, &t);
        assert_int_equal(t.status, STATS_OK);
        assert_close(t.stat, w[0], 1e-12, 1e-12, "chi2 homogeneity stat");
        assert_close(t.p, w[1], 1e-10, 1e-14, "chi2 homogeneity p");
        assert_int_equal(t.dof, (int)w[2]);
        assert_int_equal(t.n_excluded, (int)w[3]);
    }
    for (int c = 0; fixture_tensor(f, "chi2g/%d/obs", c); c++) {
        const int64_t *o = FX(f, "chi2g/%d/obs", c)->data;
        const double *pr = FX(f, "chi2g/%d/prob", c)->data, *w = FX(f, "chi2g/%d/want", c)->data;
        stats_chi2 t;
        stats_chi2_gof(o, pr, 4, &t);
        assert_close(t.stat, w[0], 1e-12, 1e-12, "chi2 gof stat");
        assert_close(t.p, w[1], 1e-10, 1e-14, "chi2 gof p");
        assert_int_equal(t.dof, (int)w[2]);
    }
    st_close(f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(auroc_and_delong_ci), cmocka_unit_test(delong_test),
        cmocka_unit_test(unavailable_cases),   cmocka_unit_test(patient_bootstrap),
        cmocka_unit_test(f1_threshold),        cmocka_unit_test(spearman_percentile),
        cmocka_unit_test(distributions),
    };
    return cmocka_run_group_tests_name("stats/auroc", tests, NULL, NULL);
}
