// io/dicom: DICOM radiographs written by pydicom (tests/ref/dicom_ref.py, independent of DCMTK)
// decode to the display values the standard's formulas give (numpy, in the fixture); the same
// images compressed by DCMTK's encoders decode to the same pixels; bad files are refused naming
// the file and the tag or transfer syntax.
#include "test.h"

#include "io/io.h"

static const char *const CASES[] = {
    "m2_u8_minmax",          "m2_u12_window",         "m1_u12_minmax", "m2_s12_rescale_window",
    "m1_u16_rescale_window", "m2_s16_rescale_minmax", "m2_u12_voilut"};
enum { N_CASES = sizeof CASES / sizeof CASES[0], W = 64, H = 48 };

static const char *dicom_path(const char *name, const char *suffix) {
    static char buf[512];
    snprintf(buf, sizeof buf, "tests/fixtures/dicom/%s%s.dcm", name, suffix);
    return buf;
}

static img_gray load_ok(const char *path) {
    cx_error err = {0};
    img_gray im;
    if (img_load_gray(path, 0, &im, &err) != 0) fail_msg("%s", err.msg);
    assert_int_equal(im.w, W);
    assert_int_equal(im.h, H);
    assert_int_equal(im.orig_w, W);
    assert_int_equal(im.orig_h, H);
    return im;
}

// The standard's display value y is real (PS3.3 C.11.2.1.2 defines no rounding); DCMTK converts
// it to 8 bits by a cast (dcmimgle/dimoopxt.h, window()), so it gives floor(y) where the
// fixture's y is exact, and a double rounding step away can land on the other side of an
// integer: every pixel must be floor(y) or ceil(y), |out - y| < 1. A VOI LUT's output range, and
// a presentation LUT, are scaled to 8 bits by DCMTK's own rounding (through an intermediate LUT
// index): there only |out - y| < 1 holds, not floor.
static void decodes_to_the_standard_display_values(void **state) {
    (void)state;
    st_file f;
    cx_error err = {0};
    if (st_open(&f, "tests/fixtures/dicom/dicom_expected.safetensors", &err))
        fail_msg("%s", err.msg);
    float want[W * H];
    for (int c = 0; c < N_CASES; c++) {
        const st_tensor *t;
        int64_t shape[2] = {H, W};
        if (st_expect(&f, CASES[c], ST_F32, 2, shape, &t, &err)) fail_msg("%s", err.msg);
        assert_int_equal(st_read_f32(&f, t, want, &err), 0);
        img_gray im = load_ok(dicom_path(CASES[c], ""));
        int exact = 0, lo = 255, hi = 0;
        for (int i = 0; i < W * H; i++) {
            double d = im.px[i] - (double)want[i];
            if (!(fabs(d) < 1.0 + 1e-4))
                fail_msg("%s: pixel (%d, %d) is %d, the standard gives %.4f", CASES[c], i % W,
                         i / W, im.px[i], want[i]);
            exact += im.px[i] == (int)floor(want[i] + 1e-4);
            lo = im.px[i] < lo ? im.px[i] : lo;
            hi = im.px[i] > hi ? im.px[i] : hi;
        }
        // Not a vacuous match: the windows span the whole grey range, and floor is the rule.
        assert_int_equal(lo, 0);
        assert_int_equal(hi, 255);
        if (!strstr(CASES[c], "voilut") && exact < W * H * 99 / 100)
            fail_msg("%s: only %d of %d pixels are floor(y)", CASES[c], exact, W * H);
        img_gray_free(&im);
    }
    st_close(&f);
}

// MONOCHROME1: the smallest stored value is displayed white (PS3.3 C.7.6.3.1.2). Pixel (0,0)
// holds the minimum, (W-1,H-1) the maximum (dicom_ref.py).
static void monochrome1_is_inverted(void **state) {
    (void)state;
    img_gray m1 = load_ok(dicom_path("m1_u12_minmax", ""));
    assert_int_equal(m1.px[0], 255);
    assert_int_equal(m1.px[W * H - 1], 0);
    img_gray m2 = load_ok(dicom_path("m2_u8_minmax", ""));
    assert_int_equal(m2.px[0], 0);
    assert_int_equal(m2.px[W * H - 1], 255);
    img_gray_free(&m1);
    img_gray_free(&m2);
}

// JPEG lossless, RLE and JPEG-LS (made by dcmcjpeg +e1, dcmcrle, dcmcjpls) decode to exactly the
// uncompressed file's pixels: all three are lossless.
static void compressed_equal_uncompressed(void **state) {
    (void)state;
    const char *names[] = {"m2_u8_minmax", "m2_u12_window", "m1_u12_minmax",
                           "m2_s12_rescale_window"};
    const char *syntaxes[] = {".jpegll", ".rle", ".jpls"};
    for (int c = 0; c < 4; c++) {
        img_gray plain = load_ok(dicom_path(names[c], ""));
        for (int s = 0; s < 3; s++) {
            img_gray packed = load_ok(dicom_path(names[c], syntaxes[s]));
            if (memcmp(plain.px, packed.px, W * H))
                fail_msg("%s%s decodes differently from the uncompressed file", names[c],
                         syntaxes[s]);
            img_gray_free(&packed);
        }
        img_gray_free(&plain);
    }
}

// A bare data set (no preamble, no meta header) is DICOM too: the same file without its first
// 132 + 12 + group-length bytes ((0002,0000) FileMetaInformationGroupLength) decodes alike.
static void bare_data_set_decodes(void **state) {
    (void)state;
    cx_error err = {0};
    char *buf;
    size_t n;
    const char *path = dicom_path("m2_u12_window", "");
    assert_int_equal(cx_read_file(path, &buf, &n, &err), 0);
    assert_memory_equal(buf + 128, "DICM\x02\x00\x00\x00UL", 10);
    uint32_t meta_len = (uint8_t)buf[140] | (uint8_t)buf[141] << 8 | (uint8_t)buf[142] << 16 |
                        (uint32_t)(uint8_t)buf[143] << 24;
    size_t skip = 144 + meta_len;
    assert_true(skip < n);
    img_gray bare, file = load_ok(path);
    if (img_decode_gray_mem((const uint8_t *)buf + skip, n - skip, "bare", 0, &bare, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(bare.w, W);
    assert_memory_equal(bare.px, file.px, W * H);
    free(buf);
    img_gray_free(&bare);
    img_gray_free(&file);
}

// The 128-byte preamble is free for other applications (PS3.10 7.1): one starting with a PNG or
// JPEG signature is still a DICOM file (found by fuzz_dicom: the PNG decoder took it).
static void preamble_with_png_signature_is_dicom(void **state) {
    (void)state;
    cx_error err = {0};
    char *buf;
    size_t n;
    const char *path = dicom_path("m2_u8_minmax", "");
    assert_int_equal(cx_read_file(path, &buf, &n, &err), 0);
    img_gray file = load_ok(path), dual;
    static const uint8_t sigs[2][8] = {{0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'},
                                       {0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, 'J', 'F'}};
    for (int k = 0; k < 2; k++) {
        memcpy(buf, sigs[k], 8);
        if (img_decode_gray_mem((const uint8_t *)buf, n, "dual", 0, &dual, &err))
            fail_msg("%s", err.msg);
        assert_memory_equal(dual.px, file.px, W * H);
        img_gray_free(&dual);
    }
    free(buf);
    img_gray_free(&file);
}

// img_info and img_load_fit (the prepare path) take DICOM through the same decoder.
static void info_and_fit(void **state) {
    (void)state;
    cx_error err = {0};
    const char *path = dicom_path("m1_u12_minmax", "");
    int w, h, ch;
    assert_int_equal(img_info(path, &w, &h, &ch, &err), 0);
    assert_int_equal(w, W);
    assert_int_equal(h, H);
    assert_int_equal(ch, 1);
    uint8_t fit[32 * 32], want[32 * 32];
    img_fit_geom g;
    if (img_load_fit(path, 32, fit, &g, &err)) fail_msg("%s", err.msg);
    img_gray im = load_ok(path);
    img_fit_geom g2;
    img_fit_geom_init(&g2, W, H, 32);
    assert_int_equal(img_fit_gray(im.px, W, H, &g2, want, &err), 0);
    assert_memory_equal(fit, want, sizeof fit);
    assert_int_equal(g.orig_w, W);
    img_gray_free(&im);
}

static void refused(const char *name, const char *what1, const char *what2) {
    cx_error err = {0};
    img_gray im = {0};
    const char *path = dicom_path(name, "");
    if (img_load_gray(path, 0, &im, &err) == 0) fail_msg("%s decoded, expected an error", path);
    assert_null(im.px);
    if (!strstr(err.msg, path) || !strstr(err.msg, what1) || (what2 && !strstr(err.msg, what2)))
        fail_msg("%s: message '%s' lacks '%s' / '%s'", name, err.msg, what1, what2 ? what2 : "");
    int w, h, ch;
    assert_int_equal(img_info(path, &w, &h, &ch, &err), -1);
}

static void bad_files_refused(void **state) {
    (void)state;
    refused("bad_rgb", "(0028,0004) PhotometricInterpretation is RGB", "MONOCHROME1/2");
    refused("bad_j2k", "unsupported transfer syntax 1.2.840.10008.1.2.4.90", "JPEG 2000");
    refused("bad_multiframe", "(0028,0008) NumberOfFrames is 2", NULL);
    refused("bad_truncated", "(7FE0,0010) PixelData", NULL);
    // A 4 GiB declared length in a small file ends the parse (fuzz_dicom's malloc limit caught the
    // allocation of the declared length; this test only checks the refusal and its message).
    refused("bad_huge_meta", "(0002,0001) FileMetaInformationVersion", NULL);
    refused("bad_huge_pixels", "(7FE0,0010) PixelData", NULL);
    refused("bad_short_pixels", "(7FE0,0010) PixelData has 2560 bytes, expected 3072", NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(decodes_to_the_standard_display_values),
        cmocka_unit_test(monochrome1_is_inverted),
        cmocka_unit_test(compressed_equal_uncompressed),
        cmocka_unit_test(bare_data_set_decodes),
        cmocka_unit_test(preamble_with_png_signature_is_dicom),
        cmocka_unit_test(info_and_fit),
        cmocka_unit_test(bad_files_refused),
    };
    return cmocka_run_group_tests_name("io/dicom", tests, NULL, NULL);
}
