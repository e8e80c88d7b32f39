// stats/fixation_metrics: shuffled AUC and information gain against tests/ref/fixation_metrics_ref.py
// (pysaliency's shuffled AUC by sklearn with weights and by the pairwise sum; InfoGain.m), and
// closed forms: a map equal to the fixation map, a centre-bias map on centre-biased fixations.
#include "fixture.h"

#include "stats/stats.h"

static void against_reference(void **state) {
    (void)state;
    st_file *f = fixture_open("stats_fixation.safetensors");
    int c = 0;
    for (; fixture_tensor(f, "fix/%d/map", c); c++) {
        const st_tensor *tm = FX(f, "fix/%d/map", c);
        size_t n = tm->numel;
        const float *s = tm->data, *base = FX(f, "fix/%d/baseline", c)->data;
        const uint8_t *fix = FX(f, "fix/%d/fixations", c)->data; // [n_img, h, w], image 0 scored
        const int64_t *other64 = FX(f, "fix/%d/other", c)->data;
        const double *want = FX(f, "fix/%d/want", c)->data;
        uint32_t *other = malloc(n * sizeof *other), *all = malloc(n * sizeof *all);
        for (size_t p = 0; p < n; p++) other[p] = (uint32_t)other64[p];
        assert_close(stats_sauc(s, fix, other, n), want[0], 1e-12, 1e-12, "shuffled AUC");
        assert_close(stats_info_gain(s, base, fix, n), want[1], 1e-9, 1e-9, "information gain");
        // The other images' counts are all images' counts minus image 0's own map.
        const st_tensor *tf = FX(f, "fix/%d/fixations", c);
        stats_fixation_counts(fix, (size_t)tf->shape[0], n, all);
        for (size_t p = 0; p < n; p++) assert_int_equal(all[p] - (fix[p] != 0), other[p]);
        free(other), free(all);
    }
    assert_true(c >= 4);
    st_close(f);
}

static void closed_forms(void **state) {
    (void)state;
    enum { H = 32, W = 32, N = H * W };
    float cb[N], fixmap[N], flat[N];
    uint8_t fix[N] = {0};
    uint32_t other[N] = {0};
    stats_center_bias_map(cb, H, W);
    // Fixations of this image and of the others on the same ring around the centre: the centre
    // bias map gives both the same values, so the shuffled AUC is exactly 1/2 (every pair ties).
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            int d2 = (2 * y - (H - 1)) * (2 * y - (H - 1)) + (2 * x - (W - 1)) * (2 * x - (W - 1));
            if (d2 != 2 * 9 * 9) continue;
            if (x < W / 2) fix[y * W + x] = 1;
            else other[y * W + x] = 3;
        }
    assert_close(stats_sauc(cb, fix, other, N), 0.5, 0, 1e-15, "centre bias on a ring");
    // A map that is 1 exactly at this image's fixations separates them from every other
    // location: sAUC 1 (where they share a pixel with another image, that pair ties).
    for (int p = 0; p < N; p++) fixmap[p] = fix[p], flat[p] = 1.0f;
    assert_close(stats_sauc(fixmap, fix, other, N), 1.0, 0, 1e-15, "oracle map");
    // Information gain of a map over itself is 0; of the oracle map over a flat one, with k
    // fixated pixels: log2((1/k) / (1/N)) = log2(N/k) bits per fixation (up to eps).
    size_t k = 0;
    for (int p = 0; p < N; p++) k += fix[p];
    assert_close(stats_info_gain(cb, cb, fix, N), 0.0, 0, 1e-12, "IG of a map over itself");
    assert_close(stats_info_gain(fixmap, flat, fix, N), log2((double)N / (double)k), 1e-12, 0,
                 "IG oracle over flat");
    // Undefined: no fixation, no negatives, a zero map.
    uint8_t none[N] = {0};
    uint32_t zero[N] = {0};
    float z[N] = {0};
    assert_true(isnan(stats_sauc(cb, none, other, N)));
    assert_true(isnan(stats_sauc(cb, fix, zero, N)));
    assert_true(isnan(stats_info_gain(cb, cb, none, N)));
    assert_true(isnan(stats_info_gain(z, cb, fix, N)));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(against_reference),
        cmocka_unit_test(closed_forms),
    };
    return cmocka_run_group_tests_name("stats/fixation_metrics", tests, NULL, NULL);
}
