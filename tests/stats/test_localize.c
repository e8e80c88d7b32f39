// stats/localize: Otsu's threshold of the 8-bit map, the binarisation and the IoU against
// scikit-image's threshold_otsu (tests/ref/localize_ref.py: two-valued maps, a spike, many ties,
// truncation, a constant map, an empty annotation); the pointing game's peak (its tie rule) and the
// mass share by hand on constructed maps.
#include "fixture.h"

#include <math.h>
#include <string.h>

#include "stats/stats.h"

static void otsu_against_skimage(void **state) {
    (void)state;
    st_file *f = fixture_open("localize_ref.safetensors");
    int c = 0;
    for (; fixture_tensor(f, "otsu/%d/map", c); c++) {
        const float *m = FX(f, "otsu/%d/map", c)->data;
        const uint8_t *annot = FX(f, "otsu/%d/annot", c)->data;
        const uint8_t *want_m8 = FX(f, "otsu/%d/m8", c)->data;
        int64_t want_t = *(const int64_t *)FX(f, "otsu/%d/threshold", c)->data;
        int64_t want_n = *(const int64_t *)FX(f, "otsu/%d/n_mask", c)->data;
        double want_iou = *(const double *)FX(f, "otsu/%d/iou", c)->data;
        double want_share = *(const double *)FX(f, "otsu/%d/mass_share", c)->data;
        size_t n = FX(f, "otsu/%d/map", c)->numel;
        uint8_t m8[32 * 32];
        assert_true(n <= sizeof m8);
        stats_map_to_u8(m, n, m8);
        char what[64];
        for (size_t i = 0; i < n; i++)
            if (m8[i] != want_m8[i])
                fail_msg("case %d pixel %zu: m8 %d, numpy %d (map %.9g)", c, i, m8[i], want_m8[i],
                         (double)m[i]);
        snprintf(what, sizeof what, "case %d threshold", c);
        assert_close(stats_otsu_u8(m8, n), (double)want_t, 0, 0, what);
        stats_localisation loc;
        stats_localise(m, 0, annot, n, -1, NULL, &loc);
        assert_int_equal(loc.threshold, want_t);
        assert_int_equal(loc.n_mask, want_n);
        snprintf(what, sizeof what, "case %d iou", c);
        assert_close_nan(loc.iou, want_iou, 1e-12, 0, what);
        snprintf(what, sizeof what, "case %d mass share", c);
        assert_close_nan(loc.mass_share, want_share, 1e-6, 0, what);
    }
    assert_true(c >= 10);
    st_close(f);
}

// Hand cases: {0,0,10,10}: one cut only (between 0 and 10): t = 0. {5,5,5}: constant: 5.
// {0,1,2,9,10}: cuts give w1 w2 (mu1-mu2)^2 = 1*4*(0-5.5)^2 = 121, 2*3*(0.5-7)^2 = 253.5,
// 3*2*(1-9.5)^2 = 433.5 (best), 4*1*(3-10)^2 = 196 (bins 3..8 are empty and tie with 2): t = 2.
static void otsu_by_hand(void **state) {
    (void)state;
    uint8_t a[] = {0, 10, 0, 10}, b[] = {5, 5, 5}, c[] = {9, 0, 2, 1, 10};
    assert_int_equal(stats_otsu_u8(a, 4), 0);
    assert_int_equal(stats_otsu_u8(b, 3), 5);
    assert_int_equal(stats_otsu_u8(c, 5), 2);
}

// m8 truncates: 255 * 0.999 = 254.745 -> 254; 1 -> 255; 0.5 -> 127 (127.5 truncated).
static void u8_truncates(void **state) {
    (void)state;
    float m[] = {0.999f, 1.0f, 0.5f, 0.0f, 0.00392f};
    uint8_t m8[5];
    stats_map_to_u8(m, 5, m8);
    assert_int_equal(m8[0], 254);
    assert_int_equal(m8[1], 255);
    assert_int_equal(m8[2], 127);
    assert_int_equal(m8[3], 0);
    assert_int_equal(m8[4], 0); // 0.9996 -> 0
}

// The peak is taken before the scale: raw 10 at pixel 40, 9.9 at pixel 2, 9 elsewhere (64
// pixels). |v| sorted: 62 x 9 (cumsum 558), 9.9 (567.9), 10 (577.9); 98% of the total is 566.3,
// so the p98 threshold is 9.9 and both 9.9 and 10 become 1: the first 1 in row-major order (pixel
// 2) is not the map's maximum.
static void peak_before_the_clip(void **state) {
    (void)state;
    float raw[64], m[64];
    uint8_t annot_at_40[64] = {0}, annot_at_2[64] = {0};
    for (int i = 0; i < 64; i++)
        raw[i] = 9.0f;
    raw[2] = 9.9f, raw[40] = 10.0f;
    annot_at_40[40] = 1, annot_at_2[2] = 1;
    assert_int_equal(stats_map_peak(raw, 64, STATS_SIGN_ABS), 40);
    memcpy(m, raw, sizeof m);
    assert_int_equal(stats_map_normalise(m, 64, (stats_map_norm){0}, NULL), 0);
    assert_close(m[2], 1, 0, 0, "clipped");
    assert_close(m[40], 1, 0, 0, "clipped");
    assert_close(m[0], 9.0 / 9.9, 1e-6, 0, "below the threshold");
    stats_localisation loc;
    stats_localise(m, stats_map_peak(raw, 64, STATS_SIGN_ABS), annot_at_40, 64, -1, NULL, &loc);
    assert_close(loc.hit, 1, 0, 0, "hit at the raw maximum");
    stats_localise(m, stats_map_peak(raw, 64, STATS_SIGN_ABS), annot_at_2, 64, -1, NULL, &loc);
    assert_close(loc.hit, 0, 0, 0, "no hit at the first clipped pixel");
}

// Equal raw maxima: the first in row-major order. Signs: abs takes the largest |v| (a negative
// pixel), positive the largest v > 0, signed the largest v.
static void peak_ties_and_signs(void **state) {
    (void)state;
    float tie[6] = {1, 3, 2, 3, 0, 3};
    assert_int_equal(stats_map_peak(tie, 6, STATS_SIGN_SIGNED), 1);
    float s[5] = {1, -5, 2, 4, -1};
    assert_int_equal(stats_map_peak(s, 5, STATS_SIGN_ABS), 1);
    assert_int_equal(stats_map_peak(s, 5, STATS_SIGN_POSITIVE), 3);
    assert_int_equal(stats_map_peak(s, 5, STATS_SIGN_SIGNED), 3);
    float bad[3] = {1, NAN, 2};
    assert_int_equal(stats_map_peak(bad, 3, STATS_SIGN_ABS), -1);
    assert_int_equal(stats_map_peak(bad, 0, STATS_SIGN_ABS), -1);
}

// Mass share and a fixed threshold by hand: m = {0.5, 0.25, 0.25, 0, 0.1, 0.9}, annotation
// {1,0,1,0,0,1}: mass in = 0.5 + 0.25 + 0.9 = 1.65 of 2.0 -> 0.825. Threshold 0.2: mask
// {1,1,1,0,0,1}, intersection 3, union 4 -> IoU 0.75; hit: peak at pixel 5 (0.9) inside.
static void mass_share_and_fixed_threshold(void **state) {
    (void)state;
    float m[6] = {0.5f, 0.25f, 0.25f, 0, 0.1f, 0.9f};
    uint8_t a[6] = {1, 0, 1, 0, 0, 1};
    stats_localisation loc;
    stats_localise(m, stats_map_peak(m, 6, STATS_SIGN_ABS), a, 6, 0.2, NULL, &loc);
    assert_close(loc.mass_share, 0.825, 1e-7, 0, "mass share");
    assert_close(loc.iou, 0.75, 0, 0, "iou");
    assert_close(loc.hit, 1, 0, 0, "hit");
    assert_int_equal(loc.threshold, -1);
    assert_int_equal(loc.n_mask, 4);
    // Threshold 0.5 (strictly above): only pixel 5 -> IoU 1/3.
    uint8_t work[6];
    stats_localise(m, 4, a, 6, 0.5, work, &loc);
    assert_close(loc.iou, 1.0 / 3.0, 1e-15, 0, "iou at 0.5");
    assert_close(loc.hit, 0, 0, 0, "peak 4 outside");
    stats_localise(m, -1, a, 6, 0.5, work, &loc);
    assert_true(isnan(loc.hit));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(otsu_against_skimage), cmocka_unit_test(otsu_by_hand),
        cmocka_unit_test(u8_truncates),         cmocka_unit_test(peak_before_the_clip),
        cmocka_unit_test(peak_ties_and_signs),  cmocka_unit_test(mass_share_and_fixed_threshold),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
