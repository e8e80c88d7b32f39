// study/attribute overlays: `attribute --overlays` draws each map with the settings' overlay_norm
// (METHODS.md §3). Oracle: the stage's own DeepLift map (DIR/dl.safetensors, signed), normalised
// here with stats_map_normalise, coloured by viridis and blended half and half with the radiograph
// the test built the input from; every pixel of the PNG (decoded by libpng) must equal it. The
// default (abs, p98) and positive draw the map's negative part differently.
#include <png.h>

#include "cli/train_pack.h"

#include "attr/attr.h"
#include "io/io.h"
#include "study/study.h"

#define PX 32
#define TARGET 2

static char model_path[4096], input_path[4096];
static const float model_mean[3] = {0.3f, 0.4f, 0.5f}, model_std[3] = {0.2f, 0.25f, 0.3f};
static uint8_t gray[PX * PX];

// A radiograph-like gray image, and the network input made from it with the model's mean/std
// (channel 0 maps back to exactly these bytes: the stage's gray for overlays).
static int setup(void **state) {
    (void)state;
    snprintf(model_path, sizeof model_path, "%s", test_out_path("study_ovl_model.safetensors"));
    snprintf(input_path, sizeof input_path, "%s", test_out_path("study_ovl_input.safetensors"));
    train_model_write(model_path, PX, 11, 0, model_mean, model_std);
    static float x[3 * PX * PX];
    for (int y = 0; y < PX; y++)
        for (int c = 0; c < PX; c++) {
            double v = 60 + 4 * c + 120 * exp(-((y - 12) * (y - 12) + (c - 20) * (c - 20)) / 40.0);
            gray[y * PX + c] = (uint8_t)lrint(fmin(v, 255));
        }
    for (int ch = 0; ch < 3; ch++)
        for (int p = 0; p < PX * PX; p++)
            x[ch * PX * PX + p] = (gray[p] / 255.0f - model_mean[ch]) / model_std[ch];
    int64_t shape[4] = {1, 3, PX, PX};
    cx_error err;
    st_writer *w = st_writer_new();
    st_writer_add(w, "input", ST_F32, 4, shape, x);
    if (st_writer_write(w, input_path, &err)) fail_msg("%s", err.msg);
    st_writer_free(w);
    return 0;
}

// The RGB pixels of a PNG ([h, w, 3], malloc'd) through libpng's simplified API.
static uint8_t *read_png_rgb(const char *path, int *w, int *h) {
    png_image im;
    memset(&im, 0, sizeof im);
    im.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_file(&im, path)) fail_msg("%s: %s", path, im.message);
    im.format = PNG_FORMAT_RGB;
    uint8_t *px = malloc(PNG_IMAGE_SIZE(im));
    if (!png_image_finish_read(&im, NULL, px, 0, NULL)) fail_msg("%s: %s", path, im.message);
    *w = (int)im.width, *h = (int)im.height;
    return px;
}

// Runs the stage with `norm` for the overlays; checks the PNG against the hand-normalised map;
// returns the PNG's pixels (malloc'd).
static uint8_t *overlay_checked(stats_map_norm norm, const char *dir_name) {
    const char *out = test_out_path(dir_name);
    sh("rm -rf '%s'", out);
    study_attr_settings s;
    study_attr_settings_default(&s);
    s.model = model_path, s.input = input_path, s.target = TARGET, s.out = out;
    s.n_methods = 1, s.methods[0] = ATTR_DL;
    s.n_overlays = 1, s.overlay_norm = norm;
    study_attr_result r;
    cx_error err = {0};
    if (study_attribute(&s, &r, &err)) fail_msg("%s", err.msg);
    study_attr_result_free(&r);
    // the stage's map
    char path[4400];
    snprintf(path, sizeof path, "%s/dl.safetensors", out);
    st_file f;
    if (st_open(&f, path, &err)) fail_msg("%s", err.msg);
    const st_tensor *t;
    int64_t shape[3] = {1, PX, PX};
    if (st_expect(&f, "dl", ST_F32, 3, shape, &t, &err)) fail_msg("%s", err.msg);
    float map[PX * PX];
    memcpy(map, t->data, sizeof map);
    st_close(&f);
    float lo = map[0], hi = map[0];
    for (int i = 0; i < PX * PX; i++)
        lo = fminf(lo, map[i]), hi = fmaxf(hi, map[i]);
    assert_true(lo < 0 && hi > 0); // signed: the modes differ
    assert_int_equal(stats_map_normalise(map, PX * PX, norm, NULL), 0);
    // its overlay
    char label[96];
    snprintf(label, sizeof label, "%s", CX_LABELS[TARGET]);
    for (char *c = label; *c; c++)
        if (*c == ' ' || *c == '/' || *c == '\\') *c = '_';
    snprintf(path, sizeof path, "%s/overlays/input0_%s_dl.png", out, label);
    int w, h;
    uint8_t *rgb = read_png_rgb(path, &w, &h);
    assert_int_equal(w, attr_overlay_width(PX)), assert_int_equal(h, PX);
    for (int y = 0; y < PX; y++)
        for (int x = 0; x < PX; x++) {
            uint8_t c[3];
            attr_viridis(map[y * PX + x], c);
            for (int k = 0; k < 3; k++) {
                long want = lrint(0.5 * gray[y * PX + x] + 0.5 * c[k]);
                if (rgb[((size_t)y * w + x) * 3 + k] != want)
                    fail_msg("%s (%d,%d)[%d]: %d, want %ld", dir_name, y, x, k,
                             rgb[((size_t)y * w + x) * 3 + k], want);
            }
        }
    return rgb;
}

static void overlays_follow_the_norm(void **state) {
    (void)state;
    study_attr_settings d;
    study_attr_settings_default(&d);
    assert_int_equal(d.overlay_norm.sign, STATS_SIGN_ABS);
    assert_int_equal(d.overlay_norm.scale, STATS_SCALE_P98);
    uint8_t *abs_p98 = overlay_checked(d.overlay_norm, "study_ovl_abs");
    uint8_t *pos = overlay_checked((stats_map_norm){STATS_SIGN_POSITIVE, STATS_SCALE_P98},
                                   "study_ovl_positive");
    uint8_t *mm = overlay_checked((stats_map_norm){STATS_SIGN_SIGNED, STATS_SCALE_MINMAX},
                                  "study_ovl_minmax");
    size_t n = (size_t)PX * attr_overlay_width(PX) * 3, differ_pos = 0, differ_mm = 0;
    for (size_t i = 0; i < n; i++)
        differ_pos += abs_p98[i] != pos[i], differ_mm += abs_p98[i] != mm[i];
    assert_true(differ_pos > 0 && differ_mm > 0); // three different drawings of one map
    free(abs_p98), free(pos), free(mm);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(overlays_follow_the_norm)};
    return cmocka_run_group_tests_name("study/attribute_overlay", tests, setup, NULL);
}
