// io/image: decode (real PNG/JPEG, 16-bit, palette, RGBA), DCT scaling, resize vs Pillow, fit
// geometry, masks, encode round trips, and refusal of oversized / truncated / foreign files.
#include "test.h"

#include <png.h>
#include <zlib.h>

#include "io/io.h"

// Writes a PNG of any colour type / depth from raw rows (big-endian 16-bit samples) with libpng.
static void write_png_raw(const char *path, int w, int h, int ctype, int depth, const uint8_t *raw,
                          size_t rowbytes, const png_color *pal, int npal) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    if (setjmp(png_jmpbuf(png))) fail_msg("libpng failed writing %s", path);
    png_init_io(png, f);
    png_set_IHDR(png, info, w, h, depth, ctype, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    if (pal) png_set_PLTE(png, info, pal, npal);
    png_write_info(png, info);
    for (int y = 0; y < h; y++)
        png_write_row(png, raw + (size_t)y * rowbytes);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    fclose(f);
}

static img_gray load_ok(const char *path, int min_short) {
    img_gray im;
    cx_error err = {0};
    if (img_load_gray(path, min_short, &im, &err) != 0) fail_msg("%s", err.msg);
    return im;
}

static int max_abs_diff(const uint8_t *a, const uint8_t *b, size_t n) {
    int worst = 0;
    for (size_t i = 0; i < n; i++) {
        int d = abs((int)a[i] - (int)b[i]);
        if (d > worst) worst = d;
    }
    return worst;
}

// ---- real files
// ------------------------------------------------------------------------------------
static void real_images_decode_to_header_size(void **state) {
    (void)state;
    static const char *const names[] = {"nih/00000001_000.png",         "nih/00002578_000.png",
                                        "nih/00004296_000.png",         "nih/00027426_000.png",
                                        "montgomery/MCU_1.jpg",         "montgomery/MCU_2.jpg",
                                        "montgomery/MCU_1-lungmask.png"};
    static const int want_w[] = {512, 1024, 1024, 512, 512, 512, 512};
    static const int want_ch[] = {1, 4, 1, 1, 1, 1, 1};
    for (int i = 0; i < 7; i++) {
        const char *path = real_data_path(names[i]);
        int w, h, ch;
        cx_error err = {0};
        if (img_info(path, &w, &h, &ch, &err) != 0) fail_msg("%s", err.msg);
        assert_int_equal(w, want_w[i]);
        assert_int_equal(h, want_w[i]);
        assert_int_equal(ch, want_ch[i]);
        img_gray im = load_ok(path, 0);
        assert_int_equal(im.w, w);
        assert_int_equal(im.h, h);
        assert_int_equal(im.orig_w, w);
        // A radiograph is not flat: some spread of grey levels.
        int lo = 255, hi = 0;
        for (int k = 0; k < w * h; k++) {
            if (im.px[k] < lo) lo = im.px[k];
            if (im.px[k] > hi) hi = im.px[k];
        }
        assert_true(hi - lo > 100);
        img_gray_free(&im);
    }
    // The lung mask is binary 0/255 and stays so through img_load_mask.
    img_gray m;
    cx_error err;
    assert_int_equal(img_load_mask(real_data_path("montgomery/MCU_1-lungmask.png"), &m, &err), 0);
    img_gray g = load_ok(real_data_path("montgomery/MCU_1-lungmask.png"), 0);
    assert_memory_equal(m.px, g.px, (size_t)m.w * m.h);
    img_gray_free(&m);
    img_gray_free(&g);
}

// ---- Pillow oracle
// ---------------------------------------------------------------------------------
static void resize_matches_pillow(void **state) {
    (void)state;
    img_gray src = load_ok(fixture_path("resize_src.png"), 0);
    assert_int_equal(src.w, 97);
    assert_int_equal(src.h, 61);
    static const char *const refs[] = {"resize_src_40x25.png", "resize_src_23x50.png"};
    static const int rw[] = {40, 23}, rh[] = {25, 50};
    cx_error err;
    for (int i = 0; i < 2; i++) {
        img_gray ref = load_ok(fixture_path(refs[i]), 0);
        assert_int_equal(ref.w, rw[i]);
        uint8_t *out = malloc((size_t)rw[i] * rh[i]);
        assert_int_equal(img_resize_gray(src.px, 97, 61, out, rw[i], rh[i], &err), 0);
        // Tolerance: 1 grey level (same algorithm in the same fixed point: expect 0).
        int d = max_abs_diff(out, ref.px, (size_t)rw[i] * rh[i]);
        if (d > 1) fail_msg("%s: max abs diff %d > 1", refs[i], d);
        free(out);
        img_gray_free(&ref);
    }
    // Resize(32) + CenterCrop(32): 97x61 -> 50x32, crop x from 9.
    img_fit_geom g;
    img_fit_geom_init(&g, 97, 61, 32);
    assert_int_equal(g.resized_w, 50);
    assert_int_equal(g.resized_h, 32);
    assert_int_equal(g.crop_x, 9);
    assert_int_equal(g.crop_y, 0);
    uint8_t out[32 * 32];
    assert_int_equal(img_fit_gray(src.px, 97, 61, &g, out, &err), 0);
    img_gray ref = load_ok(fixture_path("resize_src_fit32.png"), 0);
    assert_true(max_abs_diff(out, ref.px, sizeof out) <= 1);
    img_gray_free(&ref);
    img_gray_free(&src);
}

static void real_images_match_pillow(void **state) {
    (void)state;
    cx_error err;
    uint8_t *out = malloc(224 * 224);
    // Gray PNG, and RGBA PNG (convert('L') ignores alpha), both resized to 224.
    static const char *const src[] = {"nih/00000001_000.png", "nih/00002578_000.png"};
    static const char *const ref[] = {"resize_nih1_224.png", "resize_nih2578_224.png"};
    for (int i = 0; i < 2; i++) {
        img_gray im = load_ok(real_data_path(src[i]), 224);
        img_gray r = load_ok(fixture_path(ref[i]), 0);
        assert_int_equal(img_resize_gray(im.px, im.w, im.h, out, 224, 224, &err), 0);
        int d = max_abs_diff(out, r.px, 224 * 224);
        if (d > 1) fail_msg("%s: max abs diff %d vs Pillow > 1", src[i], d);
        img_gray_free(&im);
        img_gray_free(&r);
    }
    // JPEG: DCT scaling to 1/2 (256 >= 224, 3/8 would give 192) then resize, as Pillow's draft().
    img_fit_geom g;
    assert_int_equal(img_load_fit(real_data_path("montgomery/MCU_1.jpg"), 224, out, &g, &err), 0);
    assert_int_equal(g.orig_w, 512);
    img_gray half = load_ok(real_data_path("montgomery/MCU_1.jpg"), 224);
    assert_int_equal(half.w, 256);
    assert_int_equal(half.orig_w, 512);
    img_gray_free(&half);
    img_gray r = load_ok(fixture_path("resize_mcu1_draft224.png"), 0);
    int d = max_abs_diff(out, r.px, 224 * 224);
    if (d > 1) fail_msg("MCU_1.jpg: max abs diff %d vs Pillow draft+resize > 1", d);
    img_gray_free(&r);
    free(out);
}

static void rgb_to_gray_matches_pillow(void **state) {
    (void)state;
    img_gray im = load_ok(fixture_path("resize_rgb_src.png"), 0);
    img_gray ref = load_ok(fixture_path("resize_rgb_gray.png"), 0);
    assert_int_equal(im.w, 24);
    assert_memory_equal(im.px, ref.px, 24 * 16);
    // Closed form on the pixels we set: white 255, red round(.299*255)=76, blue round(.114*255)=29.
    assert_int_equal(im.px[0], 255);
    assert_int_equal(im.px[1], 76);
    assert_int_equal(im.px[2], 29);
    img_gray_free(&im);
    img_gray_free(&ref);
}

// ---- PNG variants
// -------------------------------------------------------------------------------------
static void png_16bit_palette_alpha(void **state) {
    (void)state;
    // 16-bit gray -> round(v / 257).
    static const uint16_t v16[8] = {0,     128,  129, 257, 257 * 100 + 128, 257 * 100 + 129,
                                    65534, 65535};
    static const uint8_t want16[8] = {0, 0, 1, 1, 100, 101, 255, 255};
    uint8_t raw[16];
    for (int i = 0; i < 8; i++) {
        raw[2 * i] = (uint8_t)(v16[i] >> 8);
        raw[2 * i + 1] = (uint8_t)v16[i];
    }
    const char *p16 = test_out_path("img_gray16.png");
    write_png_raw(p16, 8, 1, PNG_COLOR_TYPE_GRAY, 16, raw, 16, NULL, 0);
    img_gray im = load_ok(p16, 0);
    assert_memory_equal(im.px, want16, 8);
    img_gray_free(&im);

    // Palette: index -> colour -> luma.
    png_color pal[3] = {{0, 0, 0}, {255, 0, 0}, {0, 255, 0}};
    uint8_t idx[4] = {0, 1, 2, 1};
    const char *pp = test_out_path("img_palette.png");
    write_png_raw(pp, 4, 1, PNG_COLOR_TYPE_PALETTE, 8, idx, 4, pal, 3);
    int w, h, ch;
    cx_error err;
    assert_int_equal(img_info(pp, &w, &h, &ch, &err), 0);
    assert_int_equal(ch, 3);
    im = load_ok(pp, 0);
    uint8_t want_pal[4] = {0, 76, 150, 76}; // round(.299*255), round(.587*255)
    assert_memory_equal(im.px, want_pal, 4);
    img_gray_free(&im);

    // Gray + alpha: alpha ignored for the image; a transparent pixel is outside a mask.
    uint8_t ga[8] = {10, 255, 200, 0, 0, 255, 7, 128};
    const char *pga = test_out_path("img_gray_alpha.png");
    write_png_raw(pga, 4, 1, PNG_COLOR_TYPE_GRAY_ALPHA, 8, ga, 8, NULL, 0);
    assert_int_equal(img_info(pga, &w, &h, &ch, &err), 0);
    assert_int_equal(ch, 2);
    im = load_ok(pga, 0);
    uint8_t want_ga[4] = {10, 200, 0, 7};
    assert_memory_equal(im.px, want_ga, 4);
    img_gray_free(&im);
    assert_int_equal(img_load_mask(pga, &im, &err), 0);
    uint8_t want_mask[4] = {255, 0, 0, 255};
    assert_memory_equal(im.px, want_mask, 4);
    img_gray_free(&im);

    // 16-bit RGB: per channel round(v/257), then luma.
    uint8_t rgb16[6] = {0xFF, 0xFF, 0, 0, 0, 0}; // pure red
    const char *prgb = test_out_path("img_rgb16.png");
    write_png_raw(prgb, 1, 1, PNG_COLOR_TYPE_RGB, 16, rgb16, 6, NULL, 0);
    im = load_ok(prgb, 0);
    assert_int_equal(im.px[0], 76);
    img_gray_free(&im);
    // Mask from an RGB file: any non-zero colour channel is inside.
    uint8_t rgb[9] = {0, 0, 0, 0, 0, 1, 200, 0, 0};
    const char *pm = test_out_path("img_rgb_mask.png");
    write_png_raw(pm, 3, 1, PNG_COLOR_TYPE_RGB, 8, rgb, 9, NULL, 0);
    assert_int_equal(img_load_mask(pm, &im, &err), 0);
    uint8_t want_m3[3] = {0, 255, 255};
    assert_memory_equal(im.px, want_m3, 3);
    img_gray_free(&im);
}

// ---- encode round trips
// -----------------------------------------------------------------------------
static void encode_round_trips(void **state) {
    (void)state;
    enum { W = 64, H = 48 };
    uint8_t img[W * H];
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            img[y * W + x] = (uint8_t)(2 * x + y);
    cx_error err = {0};
    const char *pp = test_out_path("img_gray.png");
    assert_int_equal(img_write_png(pp, img, W, H, 1, &err), 0);
    img_gray im = load_ok(pp, 0);
    assert_memory_equal(im.px, img, sizeof img);
    img_gray_free(&im);

    // JPEG quality 95 on a smooth ramp: max error a few levels, mean below one.
    const char *pj = test_out_path("img_gray.jpg");
    assert_int_equal(img_write_jpeg_gray(pj, img, W, H, 95, &err), 0);
    int w, h, ch;
    assert_int_equal(img_info(pj, &w, &h, &ch, &err), 0);
    assert_true(w == W && h == H && ch == 1);
    im = load_ok(pj, 0);
    double sum = 0;
    for (int i = 0; i < W * H; i++)
        sum += abs((int)im.px[i] - img[i]);
    assert_true(max_abs_diff(im.px, img, sizeof img) <= 4);
    assert_true(sum / (W * H) < 1.0);
    img_gray_free(&im);

    // RGB / RGBA in memory, decoded back to luma; gray + alpha layout is refused.
    uint8_t rgba[2 * 4] = {255, 0, 0, 10, 0, 0, 255, 255};
    uint8_t *buf;
    size_t n;
    assert_int_equal(img_encode_png_mem(rgba, 2, 1, 4, &buf, &n, &err), 0);
    assert_int_equal(img_decode_gray_mem(buf, n, "mem", 0, &im, &err), 0);
    assert_int_equal(im.px[0], 76);
    assert_int_equal(im.px[1], 29);
    img_gray_free(&im);
    free(buf);
    assert_int_equal(img_encode_png_mem(rgba, 2, 1, 2, &buf, &n, &err), -1);
    assert_int_equal(img_write_jpeg_gray(pj, img, W, H, 0, &err), -1);
}

// ---- DCT scaling
// ---------------------------------------------------------------------------------------
static uint8_t *big_test_image(int w, int h, int bx, int by, int bs) {
    uint8_t *img = calloc((size_t)w * h, 1);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            img[(size_t)y * w + x] = 20;
    for (int y = by; y < by + bs; y++)
        for (int x = bx; x < bx + bs; x++)
            img[(size_t)y * w + x] = 250;
    return img;
}

static void centroid(const uint8_t *img, int w, int h, int bg, double *cx, double *cy) {
    double s = 0, sx = 0, sy = 0;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            double v = img[y * w + x] - bg;
            if (v <= 2) continue; // JPEG noise around the background level
            s += v;
            sx += v * (x + 0.5);
            sy += v * (y + 0.5);
        }
    *cx = sx / s;
    *cy = sy / s;
}

static void dct_scaling_picks_factor(void **state) {
    (void)state;
    int W = 3056, H = 2544;
    uint8_t *img = big_test_image(W, H, 1000, 700, 64);
    cx_error err = {0};
    const char *pj = test_out_path("img_3056x2544.jpg");
    assert_int_equal(img_write_jpeg_gray(pj, img, W, H, 90, &err), 0);
    free(img);
    img_gray im = load_ok(pj, 224); // 1/8: 382x318, shorter side 318 >= 224
    assert_int_equal(im.w, 382);
    assert_int_equal(im.h, 318);
    assert_int_equal(im.orig_w, W);
    assert_int_equal(im.orig_h, H);
    img_gray_free(&im);
    im = load_ok(pj, 319); // 1/8 too small now; 1/4: 764x636
    assert_int_equal(im.w, 764);
    assert_int_equal(im.h, 636);
    img_gray_free(&im);
    im = load_ok(pj, 0);
    assert_int_equal(im.w, W);
    img_gray_free(&im);
}

// ---- resize closed forms
// -----------------------------------------------------------------------------
static void resize_constant_and_ramp(void **state) {
    (void)state;
    cx_error err;
    // Constant stays constant, down and up, and through fit.
    int w = 317, h = 211;
    uint8_t *c = malloc((size_t)w * h);
    memset(c, 173, (size_t)w * h);
    uint8_t *out = malloc(400 * 300);
    assert_int_equal(img_resize_gray(c, w, h, out, 50, 33, &err), 0);
    for (int i = 0; i < 50 * 33; i++)
        assert_int_equal(out[i], 173);
    assert_int_equal(img_resize_gray(c, w, h, out, 400, 300, &err), 0);
    for (int i = 0; i < 400 * 300; i++)
        assert_int_equal(out[i], 173);
    img_fit_geom g;
    img_fit_geom_init(&g, w, h, 64);
    assert_int_equal(img_fit_gray(c, w, h, &g, out, &err), 0);
    for (int i = 0; i < 64 * 64; i++)
        assert_int_equal(out[i], 173);
    free(c);

    // Linear ramp v(x) = x (pixel x centred at x + 0.5): a symmetric filter centred at source
    // coordinate c = (o + 0.5) * 4 gives c - 0.5 = 4o + 1.5 away from the borders; rounded
    // 8-bit output within 1 level (tolerance stated: 1).
    uint8_t ramp[256 * 4];
    for (int y = 0; y < 4; y++)
        for (int x = 0; x < 256; x++)
            ramp[y * 256 + x] = (uint8_t)x;
    assert_int_equal(img_resize_gray(ramp, 256, 4, out, 64, 2, &err), 0);
    for (int y = 0; y < 2; y++)
        for (int o = 1; o < 63; o++)
            assert_close(out[y * 64 + o], 4.0 * o + 1.5, 0, 1.0, "ramp down");
    // Upscale x4 of v(x) = 16x: bilinear, source coordinate (o + 0.5) / 4 - 0.5.
    uint8_t r16[16];
    for (int x = 0; x < 16; x++)
        r16[x] = (uint8_t)(16 * x);
    assert_int_equal(img_resize_gray(r16, 16, 1, out, 64, 1, &err), 0);
    for (int o = 2; o < 62; o++)
        assert_close(out[o], 16.0 * ((o + 0.5) / 4 - 0.5), 0, 1.0, "ramp up");
    free(out);
}

// ---- geometry
// --------------------------------------------------------------------------------------------
static void geometry_tracks_bright_block(void **state) {
    (void)state;
    cx_error err = {0};
    // Closed forms: 3056x2544 -> 269x224 (int(224*3056/2544)), crop floor(45/2) = 22; portrait.
    img_fit_geom g0;
    img_fit_geom_init(&g0, 3056, 2544, 224);
    assert_true(g0.resized_w == 269 && g0.resized_h == 224 && g0.crop_x == 22 && g0.crop_y == 0);
    img_fit_geom_init(&g0, 2544, 3056, 224);
    assert_true(g0.resized_w == 224 && g0.resized_h == 269 && g0.crop_x == 0 && g0.crop_y == 22);
    // Landscape 300x200 -> 96x64 -> crop 16 px on the left.
    int w = 300, h = 200;
    uint8_t *img = big_test_image(w, h, 205, 47, 9);
    img_fit_geom g;
    img_fit_geom_init(&g, w, h, 64);
    assert_int_equal(g.resized_w, 96);
    assert_int_equal(g.crop_x, 16);
    uint8_t out[64 * 64];
    assert_int_equal(img_fit_gray(img, w, h, &g, out, &err), 0);
    double tx, ty, cx, cy, bx, by;
    img_fit_to_target(&g, 205 + 4.5, 47 + 4.5, &tx, &ty);
    centroid(out, 64, 64, 20, &cx, &cy);
    assert_close(cx, tx, 0, 0.15, "block x in target");
    assert_close(cy, ty, 0, 0.15, "block y in target");
    img_fit_to_orig(&g, tx, ty, &bx, &by);
    assert_close(bx, 209.5, 0, 1e-9, "round trip x");
    assert_close(by, 51.5, 0, 1e-9, "round trip y");
    free(img);

    // Through a DCT-scaled JPEG whose sides are not multiples of 8 (3001x2545 -> 1/8 = 376x319).
    w = 3001;
    h = 2545;
    img = big_test_image(w, h, 1801, 1203, 96);
    const char *pj = test_out_path("img_3001x2545.jpg");
    assert_int_equal(img_write_jpeg_gray(pj, img, w, h, 92, &err), 0);
    free(img);
    uint8_t *o224 = malloc(224 * 224);
    assert_int_equal(img_load_fit(pj, 224, o224, &g, &err), 0);
    assert_int_equal(g.orig_w, w);
    assert_int_equal(g.resized_w, 224 * 3001 / 2545);
    img_fit_to_target(&g, 1801 + 48, 1203 + 48, &tx, &ty);
    centroid(o224, 224, 224, 20, &cx, &cy);
    assert_close(cx, tx, 0, 0.2, "JPEG block x in target");
    assert_close(cy, ty, 0, 0.2, "JPEG block y in target");
    free(o224);
}

static double overlap(double a0, double a1, double b0, double b1) {
    double lo = fmax(a0, b0), hi = fmin(a1, b1);
    return hi > lo ? hi - lo : 0;
}

static void mask_area_coverage(void **state) {
    (void)state;
    int w = 300, h = 200;
    uint8_t *m = calloc((size_t)w * h, 1);
    for (int y = 20; y < 100; y++)
        for (int x = 30; x < 150; x++)
            m[y * w + x] = 1;
    img_fit_geom g;
    img_fit_geom_init(&g, w, h, 64);
    float cov[64 * 64];
    uint8_t bin[64 * 64];
    cx_error err;
    assert_int_equal(img_fit_mask_coverage(m, w, h, &g, cov, &err), 0);
    assert_int_equal(img_fit_mask(m, w, h, &g, bin, &err), 0);
    // Closed form: the rectangle maps to [30 s - 16, 150 s - 16) x [20 s, 100 s), s = 0.32.
    double x0, y0, x1, y1;
    img_fit_to_target(&g, 30, 20, &x0, &y0);
    img_fit_to_target(&g, 150, 100, &x1, &y1);
    for (int y = 0; y < 64; y++)
        for (int x = 0; x < 64; x++) {
            double want = overlap(x, x + 1, x0, x1) * overlap(y, y + 1, y0, y1);
            assert_close(cov[y * 64 + x], want, 0, 1e-5, "mask coverage");
            assert_int_equal(bin[y * 64 + x], want >= 0.5 ? 255 : 0);
        }
    free(m);
}

// ---- refusals
// ----------------------------------------------------------------------------------------------
static void put_be32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8),
    p[3] = (uint8_t)v;
}

static void huge_png_refused_before_allocation(void **state) {
    (void)state;
    // Signature + IHDR (100000 x 100000, 8-bit gray) + an empty IDAT + IEND, valid CRCs.
    uint8_t f[8 + 25 + 12 + 12];
    memcpy(f, "\x89PNG\r\n\x1a\n", 8);
    uint8_t *c = f + 8;
    put_be32(c, 13);
    memcpy(c + 4, "IHDR", 4);
    put_be32(c + 8, 100000);
    put_be32(c + 12, 100000);
    c[16] = 8, c[17] = 0, c[18] = 0, c[19] = 0, c[20] = 0;
    put_be32(c + 21, (uint32_t)crc32(0, c + 4, 17));
    c = f + 33;
    put_be32(c, 0);
    memcpy(c + 4, "IDAT", 4);
    put_be32(c + 8, (uint32_t)crc32(0, c + 4, 4));
    c = f + 45;
    put_be32(c, 0);
    memcpy(c + 4, "IEND", 4);
    put_be32(c + 8, (uint32_t)crc32(0, c + 4, 4));
    const char *path = test_out_path("img_huge.png");
    FILE *fp = fopen(path, "wb");
    fwrite(f, 1, sizeof f, fp);
    fclose(fp);
    int w, h, ch;
    cx_error err = {0};
    assert_int_equal(img_info(path, &w, &h, &ch, &err), 0);
    assert_int_equal(w, 100000);
    img_gray im;
    double peak0 = cx_peak_rss_mb();
    assert_int_equal(img_load_gray(path, 0, &im, &err), -1);
    assert_non_null(strstr(err.msg, "img_huge.png"));
    assert_non_null(strstr(err.msg, "100000x100000"));
    assert_null(im.px);
    assert_true(cx_peak_rss_mb() - peak0 < 100); // no 10 GB buffer was touched
}

static void truncate_copy(const char *src, const char *dst, double frac) {
    char *data;
    size_t n;
    cx_error err;
    assert_int_equal(cx_read_file(src, &data, &n, &err), 0);
    FILE *f = fopen(dst, "wb");
    fwrite(data, 1, (size_t)(n * frac), f);
    fclose(f);
    free(data);
}

static void damaged_files_refused(void **state) {
    (void)state;
    cx_error err = {0};
    img_gray im;
    const char *pj = test_out_path("img_truncated.jpg");
    truncate_copy(real_data_path("montgomery/MCU_1.jpg"), pj, 0.5);
    assert_int_equal(img_load_gray(pj, 0, &im, &err), -1);
    assert_non_null(strstr(err.msg, "img_truncated.jpg"));
    const char *pp = test_out_path("img_truncated.png");
    truncate_copy(real_data_path("nih/00000001_000.png"), pp, 0.5);
    assert_int_equal(img_load_gray(pp, 0, &im, &err), -1);
    assert_non_null(strstr(err.msg, "img_truncated.png"));
    assert_non_null(strstr(err.msg, "PNG"));
    const char *pt = test_out_path("img_not_an_image.png");
    FILE *f = fopen(pt, "wb");
    fputs("hello, world\n", f);
    fclose(f);
    assert_int_equal(img_load_gray(pt, 0, &im, &err), -1);
    assert_non_null(strstr(err.msg, "not a JPEG or PNG"));
    assert_int_equal(img_load_gray(test_out_path("img_missing.png"), 0, &im, &err), -1);
    assert_non_null(strstr(err.msg, "img_missing.png"));
    int w, h, ch;
    assert_int_equal(img_info(pt, &w, &h, &ch, &err), -1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(real_images_decode_to_header_size),
        cmocka_unit_test(resize_matches_pillow),
        cmocka_unit_test(real_images_match_pillow),
        cmocka_unit_test(rgb_to_gray_matches_pillow),
        cmocka_unit_test(png_16bit_palette_alpha),
        cmocka_unit_test(encode_round_trips),
        cmocka_unit_test(dct_scaling_picks_factor),
        cmocka_unit_test(resize_constant_and_ramp),
        cmocka_unit_test(geometry_tracks_bright_block),
        cmocka_unit_test(mask_area_coverage),
        cmocka_unit_test(huge_png_refused_before_allocation),
        cmocka_unit_test(damaged_files_refused),
    };
    return cmocka_run_group_tests_name("io/image", tests, NULL, NULL);
}
