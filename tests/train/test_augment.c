// train/augment + batch: augmentation keeps image, gaze map and region masks aligned (a marked
// spot moves to the same place in all three, to where the closed-form transform sends it; a
// flip swaps the lung masks); draws are a pure function of (seed, epoch, image); the gaze
// target is the exact area average (closed forms) scaled to max 1; input normalisation.
#include "test.h"

#include "data/data.h"
#include "train/train.h"

#define S 40

// Where the forward transform sends source pixel (x, y): flip then counter-clockwise rotation.
static void forward_map(const aug_params *a, double x, double y, double *ox, double *oy) {
    double c = 0.5 * (S - 1), t = a->angle_deg * M_PI / 180.0;
    double dx = x - c, dy = y - c;
    if (a->flip) dx = -dx;
    *ox = c + dx * cos(t) + dy * sin(t);
    *oy = c - dx * sin(t) + dy * cos(t);
}

static void centroid_f32(const float *m, double *cx, double *cy) {
    double w = 0, sx = 0, sy = 0;
    for (int y = 0; y < S; y++)
        for (int x = 0; x < S; x++) {
            double v = m[y * S + x];
            w += v, sx += v * x, sy += v * y;
        }
    *cx = sx / w, *cy = sy / w;
}
static void centroid_u8(const uint8_t *m, double *cx, double *cy) {
    double w = 0, sx = 0, sy = 0;
    for (int y = 0; y < S; y++)
        for (int x = 0; x < S; x++)
            if (m[y * S + x]) w += 1, sx += x, sy += y;
    *cx = sx / w, *cy = sy / w;
}

static void marked_spot_moves_alike(void **state) {
    (void)state;
    static float img[S * S], gaze[S * S], wimg[S * S], wgaze[S * S];
    static uint8_t reg[4 * S * S], wreg[4 * S * S];
    // A 3x3 spot at (28, 9) in the image and the gaze map; region r is a 3x3 block at its own
    // place; the right lung (index 1) carries the same spot as the image.
    const int mx = 28, my = 9;
    memset(reg, 0, sizeof reg);
    for (int dy = -1; dy <= 1; dy++)
        for (int dx = -1; dx <= 1; dx++) {
            img[(my + dy) * S + mx + dx] = 1.0f;
            gaze[(my + dy) * S + mx + dx] = 0.5f;
            reg[REGION_RIGHT_LUNG * S * S + (my + dy) * S + mx + dx] = 1;
            reg[REGION_LEFT_LUNG * S * S + (30 + dy) * S + 10 + dx] = 1;
            reg[REGION_AORTIC_KNOB * S * S + (20 + dy) * S + 20 + dx] = 1;
            reg[REGION_MEDIASTINUM * S * S + (5 + dy) * S + 5 + dx] = 1;
        }
    const aug_params cases[] = {{1, 0.0f}, {0, 12.0f}, {1, -14.5f}, {0, -7.0f}, {1, 15.0f}};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        const aug_params *a = &cases[k];
        aug_warp_f32(a, img, wimg, S, 0.0f);
        aug_warp_f32(a, gaze, wgaze, S, 0.0f);
        aug_warp_regions(a, reg, wreg, S);
        double ex, ey, ix, iy, gx, gy, rx, ry;
        forward_map(a, mx, my, &ex, &ey);
        centroid_f32(wimg, &ix, &iy);
        centroid_f32(wgaze, &gx, &gy);
        // The mask with the spot is the right lung before and the left lung after a flip.
        int lung = a->flip ? REGION_LEFT_LUNG : REGION_RIGHT_LUNG;
        centroid_u8(wreg + (size_t)lung * S * S, &rx, &ry);
        assert_close(ix, ex, 0, 0.05, "image spot x vs closed form");
        assert_close(iy, ey, 0, 0.05, "image spot y vs closed form");
        assert_close(gx, ix, 0, 1e-4, "gaze spot x = image spot x");
        assert_close(gy, iy, 0, 1e-4, "gaze spot y = image spot y");
        assert_close(rx, ex, 0, 0.75, "mask spot x (nearest) vs closed form");
        assert_close(ry, ey, 0, 0.75, "mask spot y (nearest) vs closed form");
        // The other lung mask holds the block that was at (10, 30).
        double ox, oy, lx, ly;
        forward_map(a, 10, 30, &ox, &oy);
        centroid_u8(wreg + (size_t)(a->flip ? REGION_RIGHT_LUNG : REGION_LEFT_LUNG) * S * S, &lx, &ly);
        assert_close(lx, ox, 0, 0.75, "other lung x");
        assert_close(ly, oy, 0, 0.75, "other lung y");
        // Mass is kept by bilinear rotation of an interior spot (to interpolation error).
        double m0 = 0, m1 = 0;
        for (int i = 0; i < S * S; i++) m0 += img[i], m1 += wimg[i];
        assert_close(m1, m0, 0.02, 0, "image mass");
    }
}

static void flip_is_exact_and_involutive(void **state) {
    (void)state;
    static float a[S * S], b[S * S], c[S * S];
    for (int i = 0; i < S * S; i++) a[i] = (float)((i * 7919) % 101);
    aug_params f = {1, 0.0f};
    aug_warp_f32(&f, a, b, S, 0.0f);
    for (int y = 0; y < S; y++)
        for (int x = 0; x < S; x++) assert_true(b[y * S + x] == a[y * S + (S - 1 - x)]);
    aug_warp_f32(&f, b, c, S, 0.0f);
    assert_memory_equal(a, c, sizeof a);
}

static void draws_are_pure_and_in_range(void **state) {
    (void)state;
    int flips = 0;
    double lo = 1e9, hi = -1e9;
    for (int64_t i = 0; i < 2000; i++) {
        aug_params p = aug_draw(TRAIN_AUG_FLIP_ROTATE, 42, 3, i), q = aug_draw(TRAIN_AUG_FLIP_ROTATE, 42, 3, i);
        assert_int_equal(p.flip, q.flip);
        assert_true(p.angle_deg == q.angle_deg);
        flips += p.flip;
        lo = fmin(lo, p.angle_deg);
        hi = fmax(hi, p.angle_deg);
        aug_params f = aug_draw(TRAIN_AUG_FLIP, 42, 3, i);
        assert_true(f.angle_deg == 0.0f);
        aug_params n = aug_draw(TRAIN_AUG_NONE, 42, 3, i);
        assert_int_equal(n.flip, 0);
    }
    assert_in_range(flips, 900, 1100); // p = 0.5: 2000 draws, > 4 sd margin
    assert_true(lo >= -15.0 && hi <= 15.0 && lo < -14.0 && hi > 14.0);
    // Another epoch or seed gives other draws.
    int same = 0;
    for (int64_t i = 0; i < 100; i++)
        same += aug_draw(TRAIN_AUG_FLIP_ROTATE, 42, 4, i).angle_deg ==
                aug_draw(TRAIN_AUG_FLIP_ROTATE, 42, 3, i).angle_deg;
    assert_true(same < 3);
    train_augment m;
    assert_int_equal(train_augment_parse("flip+rotate", &m), 0);
    assert_int_equal(m, TRAIN_AUG_FLIP_ROTATE);
    assert_int_equal(train_augment_parse("rotate", &m), -1);
}

// Area downsampling: closed forms for an exact ratio (224 -> 7: 32x32 block means) and a
// fractional one (10 -> 3: cell covers 10/3 pixels, boundary pixels split).
static void gaze_target_closed_form(void **state) {
    (void)state;
    enum { N = 224 };
    static float g[N * N];
    float t[49];
    for (int y = 0; y < N; y++)
        for (int x = 0; x < N; x++) g[y * N + x] = (float)(x + 1000 * (y / 32 == 2 ? 1 : 0));
    gaze_target_area(g, N, 7, 7, t);
    // Block (i, j) mean: x-mean 32 j + 15.5, plus 1000 in block row 2. Max: row 2, col 6.
    double mx = 1000 + 32 * 6 + 15.5;
    for (int i = 0; i < 7; i++)
        for (int j = 0; j < 7; j++)
            assert_close(t[i * 7 + j], (32 * j + 15.5 + (i == 2 ? 1000 : 0)) / mx, 1e-5, 1e-6,
                         "224->7 block mean / max");
    // 10 -> 3 on a ramp f(x) = x: cell o covers [10o/3, 10(o+1)/3): the mean of the ramp over a
    // continuous interval of unit-width pixels is sum of overlaps * x / length.
    float r[100], t3[9];
    for (int y = 0; y < 10; y++)
        for (int x = 0; x < 10; x++) r[y * 10 + x] = (float)x;
    gaze_target_area(r, 10, 3, 3, t3);
    double want[3];
    for (int o = 0; o < 3; o++) {
        double lo = 10.0 * o / 3, hi = 10.0 * (o + 1) / 3, acc = 0;
        for (int x = 0; x < 10; x++) acc += x * fmax(0, fmin(hi, x + 1.0) - fmax(lo, (double)x));
        want[o] = acc / (hi - lo);
    }
    for (int i = 0; i < 3; i++)
        for (int o = 0; o < 3; o++)
            assert_close(t3[i * 3 + o], want[o] / want[2], 1e-5, 1e-6, "10->3 ramp");
    // Constant map -> all ones; zero map stays zero.
    for (int i = 0; i < 100; i++) r[i] = 0.25f;
    gaze_target_area(r, 10, 3, 3, t3);
    for (int i = 0; i < 9; i++) assert_close(t3[i], 1.0, 1e-6, 0, "constant");
    memset(r, 0, sizeof r);
    gaze_target_area(r, 10, 3, 3, t3);
    for (int i = 0; i < 9; i++) assert_true(t3[i] == 0.0f);
}

static void normalisation_is_imagenet(void **state) {
    (void)state;
    float gray[4] = {0, 0.5f, 1, 0.485f}, x[12];
    model_meta m;
    model_meta_init(&m, 2);
    model_input_f32(&m, gray, 4, x);
    assert_close(x[0], -0.485 / 0.229, 1e-6, 0, "R of black");
    assert_close(x[4 + 1], (0.5 - 0.456) / 0.224, 1e-6, 0, "G of mid grey");
    assert_close(x[8 + 2], (1 - 0.406) / 0.225, 1e-6, 0, "B of white");
    assert_close(x[3], 0.0, 0, 1e-6, "R at the mean");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(marked_spot_moves_alike),
        cmocka_unit_test(flip_is_exact_and_involutive),
        cmocka_unit_test(draws_are_pure_and_in_range),
        cmocka_unit_test(gaze_target_closed_form),
        cmocka_unit_test(normalisation_is_imagenet),
    };
    return cmocka_run_group_tests_name("train/augment", tests, NULL, NULL);
}
