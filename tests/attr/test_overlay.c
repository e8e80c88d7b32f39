// attr/overlay: attr_overlay_rgb draws the map normalised as compare and metrics do (METHODS.md §3,
// stats_map_normalise), checked pixel by pixel against viridis of values worked out by hand on a
// signed map with a large negative region: bright under abs, dark under positive, and the zero
// background at 1/3 (a teal wash) under the old min-max.
#include "test.h"

#include "attr/attr.h"

enum { H = 32, W = 32 };

// Background 0; a 12x12 square of -4 (144 px); a 4x4 square of +1 (16 px); one pixel of +8.
typedef enum { BACKGROUND, NEGATIVE, POSITIVE, SPIKE, N_REGIONS } region;
static region region_of(int y, int x) {
    if (y == 30 && x == 30) return SPIKE;
    if (y >= 2 && y < 14 && x >= 2 && x < 14) return NEGATIVE;
    if (y >= 20 && y < 24 && x >= 20 && x < 24) return POSITIVE;
    return BACKGROUND;
}
static const float region_value[N_REGIONS] = {0, -4, 1, 8};

static void signed_map(float *map) {
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            map[y * W + x] = region_value[region_of(y, x)];
}

// Checks every map pixel of rgb (alpha 1: the colour itself) against viridis(want[region]).
static void expect_regions(const uint8_t *rgb, const double want[N_REGIONS], const char *what) {
    int ow = attr_overlay_width(W);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            uint8_t c[3];
            attr_viridis(want[region_of(y, x)], c);
            const uint8_t *px = rgb + ((size_t)y * ow + x) * 3;
            for (int k = 0; k < 3; k++)
                if (px[k] != c[k]) // exact: t is the float the normalisation stores
                    fail_msg("%s (%d,%d)[%d]: %d, want %d (t = %g)", what, y, x, k, px[k], c[k],
                             want[region_of(y, x)]);
        }
}

// By hand. |map|: 0 x 879, 1 x 16, 4 x 144, 8 x 1; total 600, 98% = 588; the sorted cumsum
// reaches 588 at the 143rd 4 (16 + 143 * 4 = 588): t = 4. Positive part: 1 x 16, 8 x 1 (total
// 24, 98% = 23.52; the cumsum is 16 after the ones, 24 at the 8): t = 8. Min-max: (v + 4) / 12.
static void signed_map_by_mode(void **state) {
    (void)state;
    float map[H * W];
    uint8_t gray[H * W];
    signed_map(map);
    memset(gray, 77, sizeof gray);
    uint8_t *rgb = malloc((size_t)H * attr_overlay_width(W) * 3);
    struct {
        stats_map_norm norm;
        double want[N_REGIONS]; // background, negative, positive, spike
        const char *what;
    } modes[] = {
        {{STATS_SIGN_ABS, STATS_SCALE_P98}, {0, 1, 0.25, 1}, "abs p98 (default)"},
        {{STATS_SIGN_POSITIVE, STATS_SCALE_P98}, {0, 0, 0.125, 1}, "positive p98"},
        {{STATS_SIGN_SIGNED, STATS_SCALE_P98}, {0.5, 0, 0.625, 1}, "signed p98"},
        {{STATS_SIGN_ABS, STATS_SCALE_MINMAX}, {0, 0.5, 0.125, 1}, "abs minmax"},
        {{STATS_SIGN_SIGNED, STATS_SCALE_MINMAX}, {1 / 3.0, 0, 5 / 12.0, 1}, "signed minmax"},
    };
    for (size_t m = 0; m < sizeof modes / sizeof modes[0]; m++) {
        attr_overlay_rgb(gray, map, H, W, modes[m].norm, 1.0, rgb);
        double want[N_REGIONS];
        for (int r = 0; r < N_REGIONS; r++)
            want[r] = (float)modes[m].want[r]; // as stored
        expect_regions(rgb, want, modes[m].what);
    }
    // The same map zero-initialised ({0}) is the default: abs, p98.
    uint8_t *dflt = malloc((size_t)H * attr_overlay_width(W) * 3);
    attr_overlay_rgb(gray, map, H, W, (stats_map_norm){0}, 1.0, dflt);
    attr_overlay_rgb(gray, map, H, W, modes[0].norm, 1.0, rgb);
    assert_memory_equal(dflt, rgb, (size_t)H * attr_overlay_width(W) * 3);
    // The negative square: viridis(1) (yellow) under abs, viridis(0) (dark purple) under positive.
    uint8_t yellow[3], purple[3];
    attr_viridis(1, yellow), attr_viridis(0, purple);
    int ow = attr_overlay_width(W);
    assert_memory_equal(rgb + ((size_t)5 * ow + 5) * 3, yellow, 3);
    attr_overlay_rgb(gray, map, H, W, modes[1].norm, 1.0, rgb);
    assert_memory_equal(rgb + ((size_t)5 * ow + 5) * 3, purple, 3);
    free(dflt);
    free(rgb);
}

// alpha 0.5 blends: lrint(0.5 gray + 0.5 viridis(t)); the colour bar stays 1 at the top, 0 at the
// bottom whatever the norm; a map <= 0 under positive is constant and draws as 0.
static void blend_bar_and_constant(void **state) {
    (void)state;
    float map[H * W];
    uint8_t gray[H * W];
    signed_map(map);
    for (int i = 0; i < H * W; i++)
        gray[i] = (uint8_t)(i * 7 % 256);
    int ow = attr_overlay_width(W);
    uint8_t *rgb = malloc((size_t)H * ow * 3);
    attr_overlay_rgb(gray, map, H, W, (stats_map_norm){0}, 0.5, rgb);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            const double t[N_REGIONS] = {0, 1, 0.25, 1};
            uint8_t c[3];
            attr_viridis(t[region_of(y, x)], c);
            for (int k = 0; k < 3; k++)
                assert_int_equal(rgb[((size_t)y * ow + x) * 3 + k],
                                 lrint(0.5 * gray[y * W + x] + 0.5 * c[k]));
        }
    uint8_t top[3], bottom[3];
    attr_viridis(1, top), attr_viridis(0, bottom);
    assert_memory_equal(rgb + (size_t)(ow - 1) * 3, top, 3);
    assert_memory_equal(rgb + ((size_t)(H - 1) * ow + ow - 1) * 3, bottom, 3);
    for (int i = 0; i < H * W; i++)
        map[i] = -fabsf(map[i]) - 0.5f; // < 0 everywhere
    attr_overlay_rgb(gray, map, H, W, (stats_map_norm){STATS_SIGN_POSITIVE, STATS_SCALE_P98}, 1.0,
                     rgb);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            assert_memory_equal(rgb + ((size_t)y * ow + x) * 3, bottom, 3);
    for (int i = 0; i < H * W; i++) // the input is not modified
        assert_true(map[i] == -fabsf(region_value[region_of(i / W, i % W)]) - 0.5f);
    free(rgb);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(signed_map_by_mode),
        cmocka_unit_test(blend_bar_and_constant),
    };
    return cmocka_run_group_tests_name("attr/overlay", tests, NULL, NULL);
}
