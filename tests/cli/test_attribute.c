// cli/attribute and cli/sanity: `cxrgaze attribute` writes the maps the library computes (the
// test recomputes them with attr_run on its own normalised images), maps.csv rows and
// probabilities (sigmoid of the test's own forward pass), Captum-shaped --raw tensors, overlays;
// usage errors exit 2, bad input 1. `cxrgaze sanity` writes one row per method and step with
// statistics in range, and randomising the classifier changes saliency. (At S = 32 the final
// feature map is 1x1, so GC/LC maps are constant there: the sanity test uses SL and DL.)
#include "cli/train_pack.h"

#include <jansson.h>

#include "attr/attr.h"
#include "io/io.h"
#include "train/train.h"

#define N_IMG 20
#define S 32

static char pack_dir[4096], model_path[4096];

static int setup(void **state) {
    (void)state;
    snprintf(model_path, sizeof model_path, "%s", test_out_path("cli_attr_model.safetensors"));
    train_pack_fresh(pack_dir, "cli_attr_pack", N_IMG, S, 7, 0);
    train_model_write(model_path, S, 5, 0, NULL, NULL);
    return 0;
}

static int count_lines(const char *path) {
    char *text;
    size_t n;
    cx_error err;
    if (cx_read_file(path, &text, &n, &err)) fail_msg("%s", err.msg);
    int lines = 0;
    for (size_t i = 0; i < n; i++) lines += text[i] == '\n';
    free(text);
    return lines;
}

static void attribute_pack_maps(void **state) {
    (void)state;
    const char *out = test_out_path("cli_attr_out");
    sh("rm -rf '%s'", out);
    int rc = sh("%s attribute --model %s --data %s --split test --limit 3 --methods sl,gc,nt "
                "--nt-samples 3 --seed 3 --overlays 1 --out %s --quiet",
                cxrgaze_bin(), model_path, pack_dir, out);
    assert_int_equal(rc, 0);
    // the expected (image, target) list from the pack: positive labels of the first 3 test rows
    pack pk;
    cx_error err;
    if (pack_open(&pk, pack_dir, &err)) fail_msg("%s", err.msg);
    int64_t *rows;
    int64_t n = pack_split_rows(&pk, SPLIT_TEST, &rows);
    assert_true(n >= 3);
    int img_row[64], tgt[64], m = 0, first_img_maps = 0;
    for (int i = 0; i < 3; i++)
        for (int c = 0; c < CX_N_LABELS; c++)
            if (pk.labels[rows[i] * CX_N_LABELS + c] > 0.5f) {
                img_row[m] = (int)rows[i];
                tgt[m++] = c;
                if (i == 0) first_img_maps++;
            }
    assert_true(m > 0);
    char path[4400];
    snprintf(path, sizeof path, "%s/maps.csv", out);
    assert_int_equal(count_lines(path), m + 1);
    // the library on the same images: normalise, run, compare map row 0 and the probability
    densenet *net;
    if (model_load(model_path, &net, &err)) fail_msg("%s", err.msg);
    attr_options o;
    attr_options_default(&o);
    o.nt_samples = 3;
    o.seed = 3;
    attr_ctx *ctx = attr_ctx_create(net, S, S, &o, &err);
    float x[3 * S * S];
    model_meta im;
    model_meta_init(&im, S);
    model_input_u8(&im, pk.images + (size_t)img_row[0] * S * S, (size_t)S * S, x);
    const char *methods[3] = {"sl", "gc", "nt"};
    attr_method ms[3] = {ATTR_SL, ATTR_GC, ATTR_NT};
    for (int k = 0; k < 3; k++) {
        snprintf(path, sizeof path, "%s/%s.safetensors", out, methods[k]);
        st_file f;
        if (st_open(&f, path, &err)) fail_msg("%s", err.msg);
        const st_tensor *t;
        int64_t shape[3] = {m, S, S};
        if (st_expect(&f, methods[k], ST_F32, 3, shape, &t, &err)) fail_msg("%s", err.msg);
        const st_tensor *tt = st_find(&f, "target");
        assert_non_null(tt);
        for (int i = 0; i < m; i++) assert_int_equal(((const int32_t *)tt->data)[i], tgt[i]);
        attr_request rq = {.x = x, .n_targets = 1, .targets = &tgt[0], .stream = (uint64_t)img_row[0]};
        attr_map am;
        if (attr_run(ctx, ms[k], &rq, 1, &am, &err)) fail_msg("%s", err.msg);
        double e = max_rel_err(t->data, am.map, S * S);
        fprintf(stderr, "  %s map 0: CLI vs library %.2e\n", methods[k], e);
        assert_true(e < 1e-5);
        if (k == 0) { // probability = sigmoid(f_t(x)) (SL's logit)
            char *text;
            size_t len;
            snprintf(path, sizeof path, "%s/maps.csv", out);
            assert_int_equal(cx_read_file(path, &text, &len, &err), 0);
            char *line = strchr(text, '\n') + 1, *last = strrchr(strtok(line, "\n"), ',');
            double p = atof(last + 1);
            assert_close(p, 1.0 / (1.0 + exp(-am.logit)), 1e-4, 1e-6, "probability");
            assert_non_null(strstr(line, pk.dicom_id[img_row[0]]));
            free(text);
        }
        attr_map_free(&am);
        st_close(&f);
        // overlays of the first image: one per target and method
        snprintf(path, sizeof path, "%s/overlays", out);
        char cmd[4600];
        snprintf(cmd, sizeof cmd, "test $(ls '%s' | grep -c '_%s.png$') -eq %d", path, methods[k],
                 first_img_maps);
        assert_int_equal(sh("%s", cmd), 0);
    }
    attr_ctx_free(ctx);
    densenet_free(net);
    free(rows);
    pack_close(&pk);
}

static void attribute_input_raw(void **state) {
    (void)state;
    char xin[4096];
    snprintf(xin, sizeof xin, "%s", test_out_path("cli_attr_input.safetensors"));
    float x[2 * 3 * S * S];
    cx_rng r;
    cx_rng_seed(&r, 1, 0);
    for (int i = 0; i < 2 * 3 * S * S; i++) x[i] = (float)cx_rng_normal(&r);
    int64_t shape[4] = {2, 3, S, S};
    st_writer *w = st_writer_new();
    st_writer_add(w, "input", ST_F32, 4, shape, x);
    cx_error err;
    assert_int_equal(st_writer_write(w, xin, &err), 0);
    st_writer_free(w);
    const char *out = test_out_path("cli_attr_raw");
    sh("rm -rf '%s'", out);
    assert_int_equal(sh("%s attribute --model %s --input %s --target 2 --methods gc,lc,dl "
                        "--lc-steps 4 --raw --out %s --quiet",
                        cxrgaze_bin(), model_path, xin, out), 0);
    char path[4400];
    st_file f;
    const st_tensor *t;
    snprintf(path, sizeof path, "%s/gc.safetensors", out);
    assert_int_equal(st_open(&f, path, &err), 0);
    int64_t gs[4] = {2, 1, 1, 1}; // S/32 = 1
    if (st_expect(&f, "gc", ST_F32, 4, gs, &t, &err)) fail_msg("%s", err.msg);
    st_close(&f);
    snprintf(path, sizeof path, "%s/lc.safetensors", out);
    assert_int_equal(st_open(&f, path, &err), 0);
    int64_t ls[4] = {2, 1024, 1, 1}, ds[1] = {2};
    if (st_expect(&f, "lc", ST_F32, 4, ls, &t, &err)) fail_msg("%s", err.msg);
    if (st_expect(&f, "delta", ST_F32, 1, ds, &t, &err)) fail_msg("%s", err.msg);
    st_close(&f);
    snprintf(path, sizeof path, "%s/dl.safetensors", out);
    assert_int_equal(st_open(&f, path, &err), 0);
    if (st_expect(&f, "dl", ST_F32, 4, shape, &t, &err)) fail_msg("%s", err.msg);
    assert_int_equal(st_expect(&f, "delta", ST_F32, 1, ds, &t, &err), 0);
    for (int i = 0; i < 2; i++) assert_true(fabsf(((const float *)t->data)[i]) < 1e-3f); // DeepLift
    st_close(&f);
    snprintf(path, sizeof path, "%s/maps.csv", out);
    assert_false(cx_path_exists(path)); // no dataset, no maps.csv
}

static void attribute_usage_and_input_errors(void **state) {
    (void)state;
    const char *b = cxrgaze_bin();
    char out[4096];
    snprintf(out, sizeof out, "%s", test_out_path("cli_attr_err"));
    assert_int_equal(sh("%s attribute --help > /dev/null", b), 0);
    assert_int_equal(sh("%s attribute --data %s --out %s 2>/dev/null", b, pack_dir, out), 2);
    assert_int_equal(sh("%s attribute --model %s --data %s --input x --out %s 2>/dev/null", b,
                        model_path, pack_dir, out), 2);
    assert_int_equal(sh("%s attribute --model %s --data %s --methods sl,zz --out %s 2>/dev/null", b,
                        model_path, pack_dir, out), 2);
    assert_int_equal(sh("%s attribute --model %s --data %s --target 3 --out %s 2>/dev/null", b,
                        model_path, pack_dir, out), 2);
    assert_int_equal(sh("%s attribute --model %s --data %s --nt-samples 0 --out %s 2>/dev/null", b,
                        model_path, pack_dir, out), 2);
    assert_int_equal(sh("%s attribute --model /nonexistent.safetensors --data %s --out %s "
                        "2>/dev/null", b, pack_dir, out), 1);
    assert_int_equal(sh("%s attribute --model %s --data %s --targets Nonsense --out %s 2>/dev/null",
                        b, model_path, pack_dir, out), 1);
    assert_int_equal(sh("%s sanity --help > /dev/null", b), 0);
    assert_int_equal(sh("%s sanity --model %s --out %s 2>/dev/null", b, model_path, out), 2);
}

static void sanity_rows(void **state) {
    (void)state;
    const char *out = test_out_path("cli_sanity_out");
    sh("rm -rf '%s'", out);
    assert_int_equal(sh("%s sanity --model %s --data %s --limit 2 --methods sl,dl --modes cascading "
                        "--out %s --quiet 2>/dev/null",
                        cxrgaze_bin(), model_path, pack_dir, out), 0);
    char path[4400], *text;
    size_t n;
    cx_error err;
    snprintf(path, sizeof path, "%s/sanity.csv", out);
    assert_int_equal(cx_read_file(path, &text, &n, &err), 0);
    assert_non_null(strstr(text, "method,mode,randomised_up_to,n,spearman_abs_mean,spearman_abs_sd,"
                                 "spearman_mean,spearman_sd,ssim_mean,ssim_sd\n"));
    int rows = 0;
    double sl_classifier = NAN;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        if (!strncmp(line, "method,", 7)) continue;
        rows++;
        char method[8], mode[16], step[32];
        int cnt;
        double sa;
        assert_int_equal(sscanf(line, "%7[^,],%15[^,],%31[^,],%d,%lf", method, mode, step, &cnt, &sa), 5);
        assert_string_equal(mode, "cascading");
        assert_true(cnt <= 2 && sa >= -1 && sa <= 1);
        if (!strcmp(method, "sl") && !strcmp(step, "classifier")) sl_classifier = sa;
    }
    assert_int_equal(rows, 2 * 10);
    assert_true(sl_classifier < 0.999); // the gradient runs through the classifier
    // sanity.json: the settings and one verdict per method
    snprintf(path, sizeof path, "%s/sanity.json", out);
    json_error_t je;
    json_t *rec = json_load_file(path, 0, &je);
    if (!rec) fail_msg("%s: %s", path, je.text);
    assert_int_equal(json_integer_value(json_object_get(rec, "images")), 2);
    assert_int_equal(json_array_size(json_object_get(rec, "randomised_layers")), 10);
    json_t *v = json_object_get(rec, "verdicts");
    assert_int_equal(json_array_size(v), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(v, 1), "method")), "dl");
    assert_true(json_is_false(json_object_get(rec, "independent")));
    json_decref(rec);
    free(text);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(attribute_pack_maps),
        cmocka_unit_test(attribute_input_raw),
        cmocka_unit_test(attribute_usage_and_input_errors),
        cmocka_unit_test(sanity_rows),
    };
    return cmocka_run_group_tests_name("cli/attribute", tests, setup, NULL);
}
