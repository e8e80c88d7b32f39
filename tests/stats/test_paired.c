// stats/paired: agreement, Cohen's kappa and the Stuart-Maxwell test against statsmodels and
// sklearn (tests/ref/stats_ref.py -> stats_paired.safetensors), the exact permutation p against
// a brute force over every swap; McNemar, disconnected and degenerate tables by hand.
#include "fixture.h"

#include "stats/stats.h"

static void against_statsmodels_and_sklearn(void **state) {
    (void)state;
    st_file *f = fixture_open("stats_paired.safetensors");
    int cases = 0;
    for (int c = 0; fixture_tensor(f, "paired/%d/table", c); c++, cases++) {
        const st_tensor *tt = FX(f, "paired/%d/table", c);
        const int64_t *t = tt->data;
        int k = (int)tt->shape[0];
        const double *w = FX(f, "paired/%d/want", c)->data; // stat, p, dof, kappa, agreement
        stats_stuart_maxwell_test sm;
        stats_stuart_maxwell(t, k, &sm);
        assert_int_equal(sm.status, STATS_OK);
        assert_close(sm.stat, w[0], 1e-10, 1e-12, "Stuart-Maxwell statistic");
        assert_close(sm.p, w[1], 1e-9, 1e-14, "Stuart-Maxwell p");
        assert_int_equal(sm.dof, (int)w[2]);
        stats_status st;
        assert_close(stats_cohen_kappa(t, k, &st), w[3], 1e-12, 1e-14, "Cohen's kappa");
        assert_int_equal(st, STATS_OK);
        assert_close(stats_agreement(t, k), w[4], 1e-15, 0, "agreement");
    }
    assert_int_equal(cases, 6);
    for (int c = 0; fixture_tensor(f, "paired_perm/%d/table", c); c++) {
        const st_tensor *tt = FX(f, "paired_perm/%d/table", c);
        int exact = 0;
        double p = stats_stuart_maxwell_permutation(tt->data, (int)tt->shape[0], 100, 1, &exact);
        assert_true(exact);
        assert_close(p, *(const double *)FX(f, "paired_perm/%d/want", c)->data, 1e-12, 0,
                     "exact permutation p");
    }
    st_close(f);
}

static void by_hand(void **state) {
    (void)state;
    // 2 x 2 = McNemar: b = 6, c = 1 -> (6 - 1)^2 / 7, dof 1. Kappa: po = 7/14, row margins 8, 6,
    // column margins 3, 11: pe = (24 + 66) / 196, kappa = (98 - 90) / 106. Exact p: X ~ Bin(7,
    // 1/2) swapped counts, |2X - 7| >= 5: (1 + 7 + 7 + 1) / 128.
    int64_t mc[4] = {2, 6, 1, 5};
    stats_stuart_maxwell_test sm;
    stats_stuart_maxwell(mc, 2, &sm);
    assert_close(sm.stat, 25.0 / 7, 1e-14, 0, "McNemar");
    assert_int_equal(sm.dof, 1);
    assert_close(sm.p, erfc(sqrt(25.0 / 7 / 2)), 1e-12, 0, "chi2(1) tail = erfc(sqrt(x/2))");
    assert_close(stats_cohen_kappa(mc, 2, NULL), 8.0 / 106, 1e-14, 0, "kappa by hand");
    assert_close(stats_agreement(mc, 2), 0.5, 0, 0, "agreement");
    int exact;
    assert_close(stats_stuart_maxwell_permutation(mc, 2, 10, 0, &exact), 16.0 / 128, 1e-14, 0,
                 "exact McNemar p");
    assert_true(exact);

    // Two parts with no discordance between them: {0,1} with 4 vs 0 and {2,3} with 3 vs 1: the
    // sum of two McNemar statistics 16/4 + 4/4, dof 1 + 1.
    int64_t two[16] = {5, 4, 0, 0, /**/ 0, 2, 0, 0, /**/ 0, 0, 1, 3, /**/ 0, 0, 1, 6};
    stats_stuart_maxwell(two, 4, &sm);
    assert_close(sm.stat, 5.0, 1e-14, 0, "two McNemar parts");
    assert_int_equal(sm.dof, 2);
    // A category rated only in agreement (statsmodels: a singular matrix) adds nothing: 9 / 5.
    int64_t diag_only[9] = {3, 0, 0, /**/ 0, 2, 4, /**/ 0, 1, 0};
    stats_stuart_maxwell(diag_only, 3, &sm);
    assert_close(sm.stat, 9.0 / 5, 1e-14, 0, "isolated category");
    assert_int_equal(sm.dof, 1);
    // Perfect agreement: no discordant case, margins equal: 0, dof 0, p 1; kappa 1.
    int64_t same[9] = {4, 0, 0, /**/ 0, 3, 0, /**/ 0, 0, 0};
    stats_stuart_maxwell(same, 3, &sm);
    assert_true(sm.stat == 0 && sm.dof == 0 && sm.p == 1);
    assert_close(stats_cohen_kappa(same, 3, NULL), 1.0, 1e-15, 0, "kappa of agreement");
    assert_true(stats_stuart_maxwell_permutation(same, 3, 10, 0, NULL) == 1);
    // All cases in one cell: kappa 0/0; empty: nothing defined.
    int64_t one[4] = {0, 0, 0, 9}, none[4] = {0};
    stats_status st;
    assert_true(isnan(stats_cohen_kappa(one, 2, &st)));
    assert_int_equal(st, STATS_CONSTANT);
    assert_true(isnan(stats_cohen_kappa(none, 2, &st)));
    assert_int_equal(st, STATS_EMPTY);
    assert_true(isnan(stats_agreement(none, 2)));
    stats_stuart_maxwell(none, 2, &sm);
    assert_int_equal(sm.status, STATS_EMPTY);
    assert_true(isnan(sm.stat) && isnan(sm.p) && sm.dof == -1);
    assert_true(isnan(stats_stuart_maxwell_permutation(none, 2, 10, 0, NULL)));
}

// Too many swap patterns for enumeration: Monte Carlo, seeded, close to the chi-square p at
// n = 106 (the permutation distribution tends to chi-square).
static void monte_carlo_when_large(void **state) {
    (void)state;
    int64_t t[16] = {6, 14, 2, 4, 13, 10, 12, 3, 1, 6, 11, 6, 1, 11, 5, 1};
    stats_stuart_maxwell_test sm;
    stats_stuart_maxwell(t, 4, &sm);
    int exact = 1;
    double p = stats_stuart_maxwell_permutation(t, 4, 20000, 3, &exact);
    assert_false(exact);
    assert_close(p, sm.p, 0, 0.03, "Monte Carlo p vs chi-square p");
    assert_true(p == stats_stuart_maxwell_permutation(t, 4, 20000, 3, NULL));
    assert_true(p != stats_stuart_maxwell_permutation(t, 4, 20000, 4, NULL));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(against_statsmodels_and_sklearn),
        cmocka_unit_test(by_hand),
        cmocka_unit_test(monte_carlo_when_large),
    };
    return cmocka_run_group_tests_name("stats/paired", tests, NULL, NULL);
}
