// stats/ssim: SSIM vs scikit-image 0.19 structural_similarity (fixture from tests/ref/stats_ref.py:
// random, correlated, identical, constant, all-zero, non-square, 7x7, 7x9, 9x7, smooth 96x80),
// plus invariants (symmetry, identity, size limits).
#include "fixture.h"

#include "stats/stats.h"

static void ssim_matches_skimage(void **state) {
    (void)state;
    st_file *f = fixture_open("stats_ssim.safetensors");
    int c = 0;
    for (; fixture_tensor(f, "ssim/%d/a", c); c++) {
        const st_tensor *ta = FX(f, "ssim/%d/a", c);
        const float *a = ta->data, *b = FX(f, "ssim/%d/b", c)->data;
        double want = ((const double *)FX(f, "ssim/%d/want", c)->data)[0];
        int h = (int)ta->shape[0], w = (int)ta->shape[1];
        char what[64];
        snprintf(what, sizeof what, "ssim case %d (%dx%d)", c, h, w);
        assert_close(stats_ssim(a, b, h, w), want, 0, 1e-9, what);
        assert_close(stats_ssim(b, a, h, w), want, 0, 1e-9, what); // symmetric
    }
    assert_true(c >= 10);
    st_close(f);
}

static void ssim_limits(void **state) {
    (void)state;
    float a[6 * 9], b[6 * 9];
    for (int i = 0; i < 54; i++)
        a[i] = (float)(i % 7) / 7, b[i] = (float)(i % 5) / 5;
    assert_true(isnan(stats_ssim(a, b, 6, 9))); // smaller than the 7x7 window
    assert_true(isnan(stats_ssim(a, b, 9, 6)));
    float big[64 * 48];
    cx_rng r;
    cx_rng_seed(&r, 3, 0);
    for (int i = 0; i < 64 * 48; i++)
        big[i] = (float)cx_rng_uniform(&r);
    assert_close(stats_ssim(big, big, 64, 48), 1.0, 0, 1e-12, "ssim(x, x)");
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(ssim_matches_skimage),
                                       cmocka_unit_test(ssim_limits)};
    return cmocka_run_group_tests_name("stats/ssim", tests, NULL, NULL);
}
