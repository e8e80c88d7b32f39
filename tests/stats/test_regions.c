// stats/regions + signif: region mass, z-scores and most-salient region on a case worked by hand,
// TV distance by hand; permutation test against exact small-case probabilities and clear vs null
// differences, and within strata (a hypergeometric case by hand); bootstrap CI of a mean
// (contains the estimate, reproducible, normal-theory width) and over clusters (patients).
#include "fixture.h"

#include "stats/stats.h"

static void region_mass_by_hand(void **state) {
    (void)state;
    // map [2,3] = 1 2 3 / 4 0 0, total 10. Regions: {0,1} -> 0.3, {2,3} -> 0.7, empty -> absent.
    float map[6] = {1, 2, 3, 4, 0, 0};
    uint8_t masks[3 * 6] = {1, 1, 0, 0, 0, 0, /**/ 0, 0, 1, 1, 0, 0, /**/ 0, 0, 0, 0, 0, 0};
    double p[3];
    assert_int_equal(stats_region_mass(map, masks, 3, 6, p), STATS_OK);
    assert_close(p[0], 0.3, 0, 1e-15, "p region 0");
    assert_close(p[1], 0.7, 0, 1e-15, "p region 1");
    assert_true(isnan(p[2]));
    float zero[6] = {0};
    assert_int_equal(stats_region_mass(zero, masks, 3, 6, p), STATS_CONSTANT);
    assert_true(isnan(p[0]) && isnan(p[1]));
}

static void z_scores_by_hand(void **state) {
    (void)state;
    // Region 0 over 3 images: 0.25 0.5 0.75 -> mean 0.5, sample sd 0.25 -> z = -1 0 1.
    // Region 1: 0.5 0.5 (absent in image 2) -> sd 0 -> z 0, flagged.
    double p[3 * 2] = {0.25, 0.5, 0.5, 0.5, 0.75, NAN}, z[6];
    int flag[2];
    assert_int_equal(stats_region_z_scores(p, 3, 2, z, flag), 1);
    assert_int_equal(flag[0], 0);
    assert_int_equal(flag[1], 1);
    assert_close(z[0], -1, 0, 1e-12, "z[0,0]");
    assert_close(z[2], 0, 0, 1e-12, "z[1,0]");
    assert_close(z[4], 1, 0, 1e-12, "z[2,0]");
    assert_true(z[1] == 0 && z[3] == 0 && isnan(z[5]));
    // Most salient: image 0 (-1, 0) -> 1; image 1 (0, 0) tie -> first, 0; image 2 (1, absent) -> 0.
    int most[4];
    for (int i = 0; i < 3; i++)
        most[i] = stats_most_salient_region(z + 2 * i, 2);
    assert_int_equal(most[0], 1);
    assert_int_equal(most[1], 0);
    assert_int_equal(most[2], 0);
    double none[2] = {NAN, NAN};
    most[3] = stats_most_salient_region(none, 2);
    assert_int_equal(most[3], -1);
    int64_t counts[2];
    stats_region_counts(most, 4, 2, counts);
    assert_int_equal(counts[0], 2);
    assert_int_equal(counts[1], 1);
}

static void tv_and_chi2_edges(void **state) {
    (void)state;
    int64_t a[3] = {2, 1, 1}, b[3] = {1, 1, 2}, z[3] = {0};
    assert_close(stats_tv_distance(a, b, 3), 0.25, 0, 1e-15, "TV");
    assert_close(stats_tv_distance(a, a, 3), 0.0, 0, 0, "TV self");
    assert_true(isnan(stats_tv_distance(a, z, 3)));
    int64_t c[3] = {5, 0, 0}, d[3] = {0, 0, 5};
    assert_close(stats_tv_distance(c, d, 3), 1.0, 0, 1e-15, "TV disjoint");
    stats_chi2 t;
    stats_chi2_homogeneity(a, z, 3, &t);
    assert_int_equal(t.status, STATS_EMPTY);
    int64_t e[3] = {4, 0, 0}, f[3] = {3, 0, 0};
    stats_chi2_homogeneity(e, f, 3, &t); // one column left: no test
    assert_int_equal(t.status, STATS_TOO_FEW);
    assert_int_equal(t.n_excluded, 2);
    assert_true(isnan(t.p));
    stats_chi2_homogeneity(a, a, 3, &t); // identical rows: stat 0, p 1
    assert_close(t.stat, 0, 0, 1e-15, "chi2 identical");
    assert_close(t.p, 1, 0, 1e-15, "chi2 identical p");
}

static void permutation_test(void **state) {
    (void)state;
    // Exact small case: a = {2}, b = {0, 0}. A permutation puts 2 in group a with probability
    // 1/3 (|diff| = 2 >= 2), else |diff| = 1: p -> 1/3.
    double a1[1] = {2}, b2[2] = {0, 0}, diff;
    stats_status st;
    double p = stats_permutation_test(a1, 1, b2, 2, 30000, 9, &diff, &st);
    assert_int_equal(st, STATS_OK);
    assert_close(diff, 2, 0, 0, "observed diff");
    assert_close(p, 1.0 / 3, 0, 0.01, "exact 1/3");
    // a = {1}, b = {0}: every permutation has |diff| = 1: p = 1.
    double x1[1] = {1}, y1[1] = {0};
    assert_close(stats_permutation_test(x1, 1, y1, 1, 1000, 1, NULL, NULL), 1.0, 0, 0, "p=1");
    // Clear difference vs null.
    enum { N = 40 };
    double a[N], b[N], c[N];
    cx_rng r;
    cx_rng_seed(&r, 21, 0);
    for (int i = 0; i < N; i++) {
        a[i] = 1.5 + cx_rng_normal(&r);
        b[i] = cx_rng_normal(&r);
        c[i] = cx_rng_normal(&r);
    }
    double pc = stats_permutation_test(a, N, b, N, 10000, 5, NULL, NULL);
    assert_true(pc < 0.001);
    assert_true(pc >= 1.0 / 10001);
    double dn, pn = stats_permutation_test(c, N, b, N, 10000, 5, &dn, NULL);
    // Normal theory for this draw: z = diff / sqrt(2/N); the permutation p must agree roughly.
    double pz = erfc(fabs(dn) / sqrt(2.0 / N) / sqrt(2.0));
    assert_close(pn, pz, 0.15, 0.01, "null p vs normal theory");
    assert_true(pn == stats_permutation_test(c, N, b, N, 10000, 5, NULL, NULL)); // reproducible
    assert_true(pn != stats_permutation_test(c, N, b, N, 10000, 6, NULL, NULL));
    assert_true(isnan(stats_permutation_test(a, 0, b, N, 100, 1, NULL, &st)));
    assert_int_equal(st, STATS_EMPTY);
}

static void bootstrap_mean(void **state) {
    (void)state;
    enum { N = 200 };
    double x[N], m = 0, ss = 0;
    cx_rng r;
    cx_rng_seed(&r, 4, 0);
    for (int i = 0; i < N; i++)
        x[i] = 3 + 2 * cx_rng_normal(&r), m += x[i];
    m /= N;
    for (int i = 0; i < N; i++)
        ss += (x[i] - m) * (x[i] - m);
    double se = sqrt(ss / (N - 1) / N);
    stats_ci a, b;
    stats_bootstrap_mean_ci(x, N, 2000, 0.95, 17, &a);
    stats_bootstrap_mean_ci(x, N, 2000, 0.95, 17, &b);
    assert_close(a.estimate, m, 1e-14, 0, "estimate");
    assert_true(a.lo < m && m < a.hi);
    assert_true(a.lo == b.lo && a.hi == b.hi);
    assert_close(a.hi - a.lo, 2 * 1.959964 * se, 0.12, 0, "CI width vs normal theory");
    stats_bootstrap_mean_ci(x, 0, 100, 0.95, 1, &a);
    assert_int_equal(a.status, STATS_EMPTY);
    assert_true(isnan(a.estimate));
}

// Within strata: stratum 0 holds only 10s (8 in group a, 2 in b), stratum 1 only 0s (2 in a, 8
// in b). diff = 8 - 2 = 6. Permuting within strata keeps every stratum's a-count: always 6,
// p = 1. Permuting the pool: T tens among the 10 a's is hypergeometric, diff = 2T - 10, and
// |diff| >= 6 iff T >= 8 or T <= 2: p = 2 (C(10,8)^2 + C(10,9)^2 + 1) / C(20,10) = 4252/184756.
static void permutation_within_strata(void **state) {
    (void)state;
    double x[20];
    uint8_t in_a[20];
    int64_t stratum[20];
    for (int i = 0; i < 20; i++) {
        stratum[i] = i < 10 ? 42 : 7;
        x[i] = i < 10 ? 10 : 0;
        in_a[i] = i < 10 ? i < 8 : i >= 18;
    }
    double diff;
    stats_status st;
    double p = stats_permutation_test_strata(x, in_a, stratum, 20, 2000, 3, &diff, &st);
    assert_int_equal(st, STATS_OK);
    assert_close(diff, 6, 0, 1e-12, "observed diff");
    assert_close(p, 1.0, 0, 0, "within strata: every permutation as extreme");
    double pooled = stats_permutation_test_strata(x, in_a, NULL, 20, 40000, 3, NULL, NULL);
    assert_close(pooled, 4252.0 / 184756, 0, 0.003, "pooled: hypergeometric by hand");
    // One stratum however named is no stratum; group a need not come first.
    int64_t same[20];
    for (int i = 0; i < 20; i++) same[i] = -5;
    assert_true(stats_permutation_test_strata(x, in_a, same, 20, 5000, 9, NULL, NULL) ==
                stats_permutation_test_strata(x, in_a, NULL, 20, 5000, 9, NULL, NULL));
    // ... and with the a's first it is the two-sample test, bit for bit.
    double a[10], b[10];
    uint8_t first_a[20];
    for (int i = 0; i < 10; i++) a[i] = x[i] + 0.25 * i, b[i] = x[i + 10] + 0.5 * i;
    double ab[20];
    for (int i = 0; i < 20; i++) ab[i] = i < 10 ? a[i] : b[i - 10], first_a[i] = i < 10;
    assert_true(stats_permutation_test(a, 10, b, 10, 3000, 4, NULL, NULL) ==
                stats_permutation_test_strata(ab, first_a, same, 20, 3000, 4, NULL, NULL));
    uint8_t none[20] = {0};
    assert_true(isnan(stats_permutation_test_strata(x, none, stratum, 20, 10, 1, NULL, &st)));
    assert_int_equal(st, STATS_EMPTY);
}

// Over clusters: 10 patients with 5 maps each, equal within a patient. The naive bootstrap's
// variance of the mean is v/50 (v: the population variance of the 50 values, which is that of
// the 10 patient values), the patient bootstrap's v/10: its CI is sqrt(5) = 2.24 times as wide.
// One value per patient (distinct ids in any order): the plain bootstrap, bit for bit.
static void bootstrap_over_clusters(void **state) {
    (void)state;
    enum { P = 10, M = 5 };
    double x[P * M];
    int64_t patient[P * M];
    cx_rng r;
    cx_rng_seed(&r, 8, 0);
    for (int p = 0; p < P; p++) {
        double v = cx_rng_normal(&r);
        for (int m = 0; m < M; m++) x[m * P + p] = v, patient[m * P + p] = 1000 + 37 * p;
    }
    stats_ci naive, clus;
    stats_bootstrap_mean_ci(x, P * M, 4000, 0.95, 5, &naive);
    stats_bootstrap_mean_ci_clustered(x, patient, P * M, 4000, 0.95, 5, &clus);
    assert_true(clus.estimate == naive.estimate);
    double ratio = (clus.hi - clus.lo) / (naive.hi - naive.lo);
    assert_close(ratio, sqrt(5.0), 0.15, 0, "patient CI / naive CI width");
    int64_t distinct[P * M];
    for (int i = 0; i < P * M; i++) distinct[i] = 5000 - 3 * i;
    stats_bootstrap_mean_ci_clustered(x, distinct, P * M, 4000, 0.95, 5, &clus);
    assert_true(clus.lo == naive.lo && clus.hi == naive.hi);
    stats_bootstrap_mean_ci_clustered(x, NULL, P * M, 4000, 0.95, 5, &clus);
    assert_true(clus.lo == naive.lo && clus.hi == naive.hi);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(region_mass_by_hand), cmocka_unit_test(z_scores_by_hand),
        cmocka_unit_test(tv_and_chi2_edges),   cmocka_unit_test(permutation_test),
        cmocka_unit_test(bootstrap_mean),      cmocka_unit_test(permutation_within_strata),
        cmocka_unit_test(bootstrap_over_clusters),
    };
    return cmocka_run_group_tests_name("stats/regions", tests, NULL, NULL);
}
