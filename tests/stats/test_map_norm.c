// stats/map_norm: sign modes and scales of METHODS.md §3 on hand-computed cases. The p98 scale is
// Captum's cumulative-sum threshold (sort, cumsum, first value reaching 98% of the total), which
// differs from numpy's 98th percentile: the cases below are chosen so the two disagree. Then every
// sign x scale on random maps (Gaussian, Cauchy tails, integer ties, a large negative region,
// sparse spikes, tiny scale, constant cases) against tests/ref/map_norm_ref.py, a re-implementation
// of Captum 0.8's _normalize_attr / _cumulative_sum_threshold / _normalize_scale.
#include "fixture.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stats/stats.h"

static void names_parse_back(void **state) {
    (void)state;
    for (int s = 0; s < STATS_N_SIGNS; s++)
        assert_int_equal(stats_map_sign_parse(stats_map_sign_name((stats_map_sign)s)), s);
    for (int s = 0; s < STATS_N_SCALES; s++)
        assert_int_equal(stats_map_scale_parse(stats_map_scale_name((stats_map_scale)s)), s);
    assert_string_equal(stats_map_sign_name(STATS_SIGN_ABS), "abs");
    assert_string_equal(stats_map_scale_name(STATS_SCALE_P98), "p98");
    assert_int_equal(stats_map_sign_parse("absolute"), -1);
    assert_int_equal(stats_map_scale_parse("p99"), -1);
}

// {1,1,1,1,96}: cumsum 1,2,3,4,100 reaches 98 at 96 (numpy's 98th percentile would be 92.2).
// {40,10,30,20}: sorted cumsum 10,30,60,100 reaches 98 at 40.
static void cumsum_threshold_by_hand(void **state) {
    (void)state;
    float a[] = {1, 96, 1, 1, 1}, b[] = {40, 10, 30, 20};
    assert_close(stats_cumsum_threshold(a, 5, 98, NULL), 96, 0, 0, "a");
    assert_close(stats_cumsum_threshold(b, 4, 98, NULL), 40, 0, 0, "b");
    assert_close(stats_cumsum_threshold(b, 4, 50, NULL), 30, 0, 0, "b at 50%");
    assert_true(isnan(stats_cumsum_threshold(b, 0, 98, NULL)));
    assert_close(a[1], 96, 0, 0, "input untouched");
}

// 100 values 1..100: total 5050, 98% = 4949; cumsum k(k+1)/2 >= 4949 first at k = 99.
static void abs_p98_clips_the_top(void **state) {
    (void)state;
    float m[100];
    for (int i = 0; i < 100; i++)
        m[i] = (i % 2 ? -1.0f : 1.0f) * (float)(i + 1);
    stats_map_norm norm = {STATS_SIGN_ABS, STATS_SCALE_P98};
    assert_int_equal(stats_map_normalise(m, 100, norm, NULL), 0);
    for (int i = 0; i < 100; i++)
        assert_close(m[i], i + 1 >= 99 ? 1.0 : (i + 1) / 99.0, 1e-6, 0, "abs p98");
}

static void positive_and_signed(void **state) {
    (void)state;
    float p[4] = {-3, 1, 2, -1}, s[4] = {-4, 0, 2, 1}, mm[4] = {-4, 0, 2, 1};
    assert_int_equal(
        stats_map_normalise(p, 4, (stats_map_norm){STATS_SIGN_POSITIVE, STATS_SCALE_MINMAX}, NULL),
        0);
    const double want_p[4] = {0, 0.5, 1, 0};
    for (int i = 0; i < 4; i++)
        assert_close(p[i], want_p[i], 1e-7, 0, "positive minmax");
    // |s| sorted 0,1,2,4 (total 7, 98% = 6.86) -> t = 4; s/4 = -1,0,.5,.25 -> (v+1)/2
    assert_int_equal(
        stats_map_normalise(s, 4, (stats_map_norm){STATS_SIGN_SIGNED, STATS_SCALE_P98}, NULL), 0);
    const double want_s[4] = {0, 0.5, 0.75, 0.625};
    for (int i = 0; i < 4; i++)
        assert_close(s[i], want_s[i], 1e-7, 0, "signed p98");
    // signed minmax: the old behaviour, (v - min) / (max - min)
    assert_int_equal(
        stats_map_normalise(mm, 4, (stats_map_norm){STATS_SIGN_SIGNED, STATS_SCALE_MINMAX}, NULL),
        0);
    const double want_m[4] = {0, 4 / 6.0, 1, 5 / 6.0};
    for (int i = 0; i < 4; i++)
        assert_close(mm[i], want_m[i], 1e-7, 0, "signed minmax");
}

// Constant after the sign mode: all zero, all equal, a positive map of a map <= 0, a NaN.
static void constant_maps_flagged(void **state) {
    (void)state;
    float z[5] = {0}, c[5] = {2, 2, 2, 2, 2}, neg[5] = {-1, -2, 0, -3, -1}, pm[4] = {-2, 2, 2, -2},
          nan_[3] = {1, NAN, 2};
    stats_map_norm def = {0};
    assert_int_equal(stats_map_normalise(z, 5, def, NULL), 1);
    assert_int_equal(stats_map_normalise(c, 5, def, NULL), 1);
    assert_int_equal(
        stats_map_normalise(neg, 5, (stats_map_norm){STATS_SIGN_POSITIVE, STATS_SCALE_P98}, NULL),
        1);
    assert_int_equal(stats_map_normalise(pm, 4, def, NULL), 1); // |.| all 2
    assert_int_equal(stats_map_normalise(nan_, 3, def, NULL), 1);
    for (int i = 0; i < 5; i++)
        assert_true(c[i] == 0 && neg[i] == 0);
    assert_true(nan_[1] == 0);
    float pm2[4] = {-2, 2, 2, -2}; // signed keeps the contrast
    assert_int_equal(
        stats_map_normalise(pm2, 4, (stats_map_norm){STATS_SIGN_SIGNED, STATS_SCALE_P98}, NULL), 0);
    assert_close(pm2[0], 0, 0, 0, "signed -t -> 0");
    assert_close(pm2[1], 1, 0, 0, "signed +t -> 1");
}

// Scratch space gives the same result as allocating.
static void work_buffer_same(void **state) {
    (void)state;
    float a[64], b[64], work[64];
    for (int i = 0; i < 64; i++)
        a[i] = b[i] = (float)sin(i * 0.7) * (float)(i % 9);
    stats_map_normalise(a, 64, (stats_map_norm){0}, NULL);
    stats_map_normalise(b, 64, (stats_map_norm){0}, work);
    for (int i = 0; i < 64; i++)
        assert_true(a[i] == b[i]);
}

// Every case x sign x scale against the Captum re-implementation, to 1e-6 (constant flag k =
// 2 sign + scale); the constant flags and the p98 thresholds exactly (the threshold is one of the
// map's own values).
static void captum_reference(void **state) {
    (void)state;
    st_file *f = fixture_open("map_norm_ref.safetensors");
    int c = 0, n_constant = 0;
    for (; fixture_tensor(f, "norm/%d/map", c); c++) {
        const st_tensor *tm = FX(f, "norm/%d/map", c);
        const size_t n = tm->numel;
        const uint8_t *want_const = FX(f, "norm/%d/constant", c)->data;
        const double *want_t = FX(f, "norm/%d/threshold", c)->data;
        float *m = malloc(n * sizeof *m), *work = malloc(n * sizeof *work);
        for (int k = 0; k < 6; k++) {
            stats_map_norm norm = {(stats_map_sign)(k / 2), (stats_map_scale)(k % 2)};
            char mode[32], what[64];
            snprintf(mode, sizeof mode, "%s_%s", stats_map_sign_name(norm.sign),
                     stats_map_scale_name(norm.scale)); // the fixture's name, e.g. "abs_p98"
            snprintf(what, sizeof what, "case %d %s", c, mode);
            const float *want = FX(f, "norm/%d/%s", c, mode)->data;
            memcpy(m, tm->data, n * sizeof *m);
            int constant = stats_map_normalise(m, n, norm, work);
            if (constant != want_const[k])
                fail_msg("%s: constant %d, want %d", what, constant, want_const[k]);
            n_constant += constant;
            for (size_t i = 0; i < n; i++)
                if (!(fabs(m[i] - want[i]) <= 1e-6))
                    fail_msg("%s [%zu]: %.9g, want %.9g", what, i, m[i], want[i]);
        }
        // The thresholds: of |a| (abs, signed) and of max(a, 0) (positive).
        float *v = malloc(n * sizeof *v);
        const float *a = tm->data;
        for (int s = 0; s < STATS_N_SIGNS; s++) {
            if (isnan(want_t[s])) continue; // constant under this sign
            for (size_t i = 0; i < n; i++)
                v[i] = s == STATS_SIGN_POSITIVE ? (a[i] > 0 ? a[i] : 0) : fabsf(a[i]);
            assert_close(stats_cumsum_threshold(v, n, 98, NULL), want_t[s], 0, 0, "threshold");
        }
        free(v), free(m), free(work);
    }
    assert_int_equal(c, 8);
    assert_int_equal(n_constant, 4); // case 6 (<= 0) under positive, case 7 (+-2) under abs
    st_close(f);
}

static int cmp_f(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

// The quickselect threshold equals the definition (full sort, ascending cumulative sum) on
// integer-valued maps (exact sums, many ties) of every size around the insertion-sort cut-off,
// and on random reals up to rounding of the running sum.
static void threshold_equals_sorted_cumsum(void **state) {
    (void)state;
    uint64_t r = 12345;
    float v[3000], s[3000];
    for (int trial = 0; trial < 400; trial++) {
        size_t n = trial < 100 ? (size_t)trial + 1 : 100 + (size_t)(trial * 7) % 2900;
        int ints = trial % 2 == 0;
        for (size_t i = 0; i < n; i++) {
            r = r * 6364136223846793005ull + 1442695040888963407ull;
            double u = (double)(r >> 11) / 9007199254740992.0;
            v[i] = ints ? (float)((r >> 33) % 7) : (float)(u * u * u * 10);
        }
        memcpy(s, v, n * sizeof *s);
        qsort(s, n, sizeof *s, cmp_f);
        double total = 0, cum = 0, want;
        for (size_t i = 0; i < n; i++) total += s[i];
        want = total * 0.98;
        float t = s[n - 1];
        for (size_t i = 0; i < n; i++)
            if ((cum += s[i]) >= want) {
                t = s[i];
                break;
            }
        if (total == 0) continue;
        assert_close(stats_cumsum_threshold(v, n, 98, NULL), t, ints ? 0 : 1e-6, 0, "threshold");
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(names_parse_back),      cmocka_unit_test(cumsum_threshold_by_hand),
        cmocka_unit_test(abs_p98_clips_the_top), cmocka_unit_test(positive_and_signed),
        cmocka_unit_test(constant_maps_flagged), cmocka_unit_test(work_buffer_same),
        cmocka_unit_test(threshold_equals_sorted_cumsum),
        cmocka_unit_test(captum_reference),
    };
    return cmocka_run_group_tests_name("stats/map_norm", tests, NULL, NULL);
}
