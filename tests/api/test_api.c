// api: the C API of libcxrgaze.so, through the shared library only (this binary links
// build/libcxrgaze.so and includes nothing but cxrgaze.h from the library): vocabularies, settings,
// thread-local errors, the model handle against PyTorch's float64 logits and Captum's saliency
// (tests/ref/densenet_ref.py, attr_ref.py fixtures), persistent plans, map metrics, regions and
// AUROC against hand-computed values, and a pack written by the command line.
#include <pthread.h>
#include <unistd.h>

#include "test.h"

#include "cxrgaze.h"

// ---- a fixture tensor, read here (the library's own reader is hidden behind the API) ----------
// F32 tensor `name` of a safetensors file into a malloc'd array; *n gets its element count.
static float *fixture_f32(const char *file, const char *name, size_t *n) {
    char path[512];
    snprintf(path, sizeof path, "tests/fixtures/%s", file);
    FILE *f = fopen(path, "rb");
    if (!f) fail_msg("%s: cannot open", path);
    uint64_t hlen;
    if (fread(&hlen, 8, 1, f) != 1) fail_msg("%s: short", path);
    char *h = malloc(hlen + 1);
    if (fread(h, 1, hlen, f) != hlen) fail_msg("%s: short header", path);
    h[hlen] = 0;
    char key[128];
    snprintf(key, sizeof key, "\"%s\":{", name);
    const char *e = strstr(h, key);
    if (!e) fail_msg("%s: no tensor %s", path, name);
    const char *dt = strstr(e, "\"dtype\":\"");
    if (!dt || strncmp(dt + 9, "F32\"", 4)) fail_msg("%s: %s is not F32", path, name);
    long long lo, hi;
    const char *off = strstr(e, "\"data_offsets\":[");
    if (!off || sscanf(off + 16, "%lld,%lld", &lo, &hi) != 2)
        fail_msg("%s: %s offsets", path, name);
    *n = (size_t)(hi - lo) / sizeof(float);
    float *v = malloc((size_t)(hi - lo));
    if (fseek(f, (long)(8 + hlen + lo), SEEK_SET) ||
        fread(v, 1, (size_t)(hi - lo), f) != (size_t)(hi - lo))
        fail_msg("%s: %s data", path, name);
    fclose(f);
    free(h);
    return v;
}

static void expect_status(cxg_status got, cxg_status want, const char *needle) {
    if (got != want) fail_msg("status %d, want %d: %s", got, want, cxg_last_error());
    if (needle && !strstr(cxg_last_error(), needle))
        fail_msg("message \"%s\" lacks \"%s\"", cxg_last_error(), needle);
    if (want == CXG_OK) assert_string_equal(cxg_last_error(), "");
}

// ---- library, vocabularies, settings, errors --------------------------------------------------
static void library_and_vocabularies(void **state) {
    (void)state;
    assert_int_equal(cxg_api_version(), CXG_API_VERSION);
    assert_string_equal(cxg_version(), "0.1.0");
    assert_int_equal(cxg_vocab_size(CXG_VOCAB_LABELS), 14);
    assert_string_equal(cxg_vocab_name(CXG_VOCAB_LABELS, 0), "Atelectasis");
    assert_string_equal(cxg_vocab_name(CXG_VOCAB_LABELS, 13), "Support Devices");
    assert_int_equal(cxg_vocab_size(CXG_VOCAB_REGIONS), 4);
    assert_string_equal(cxg_vocab_name(CXG_VOCAB_SPLITS, 2), "test");
    const char *methods[] = {"sl", "gc", "dl", "lc", "gs", "nt", "ig", "oc"};
    assert_int_equal(cxg_vocab_size(CXG_VOCAB_METHODS), 8);
    for (int i = 0; i < 8; i++)
        assert_string_equal(cxg_vocab_name(CXG_VOCAB_METHODS, i), methods[i]);
    const char *metrics[] = {"ssim", "cc", "nss", "kl", "sim", "auc_judd", "emd"};
    assert_int_equal(cxg_vocab_size(CXG_VOCAB_METRICS), 7);
    for (int i = 0; i < 7; i++)
        assert_string_equal(cxg_vocab_name(CXG_VOCAB_METRICS, i), metrics[i]);
    assert_string_equal(cxg_vocab_name(CXG_VOCAB_AUROC, 0), "auroc");
    assert_string_equal(cxg_vocab_name(CXG_VOCAB_DELONG, 5), "p");
    assert_null(cxg_vocab_name(CXG_VOCAB_LABELS, 14));
    assert_null(cxg_vocab_name(CXG_VOCAB_LABELS, -1));
    assert_int_equal(cxg_vocab_size((cxg_vocab)99), -1);
    // every settings key is described
    for (int i = 0; i < cxg_vocab_size(CXG_VOCAB_SETTINGS); i++)
        assert_non_null(cxg_settings_describe(cxg_vocab_name(CXG_VOCAB_SETTINGS, i)));
    assert_null(cxg_settings_describe("no_such_key"));
    int fh, fw; // hand-computed: 224 -> 112 -> 56 -> 7; 100 -> 50 -> 25 -> 3; 33 -> 17 -> 9 -> 1
    cxg_model_feature_size(224, 64, &fh, &fw);
    assert_int_equal(fh, 7), assert_int_equal(fw, 2);
    cxg_model_feature_size(100, 33, &fh, &fw);
    assert_int_equal(fh, 3), assert_int_equal(fw, 1);
}

static void settings_set_get(void **state) {
    (void)state;
    cxg_settings *s = cxg_settings_new();
    char buf[128];
    const char *defaults[][2] = {{"nt_samples", "25"}, {"map_sign", "abs"}, {"map_scale", "p98"},
                                 {"precision", "fp32"}, {"gs_baselines", "zero,blur"},
                                 {"gc_layer", "features.norm5"}, {"level", "0.94999999999999996"},
                                 {"n_bootstrap", "1000"}, {"batch", "16"}, {"gc_relu", "true"}};
    for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++) {
        expect_status(cxg_settings_get(s, defaults[i][0], buf, sizeof buf), CXG_OK, NULL);
        assert_string_equal(buf, defaults[i][1]);
    }
    // the captum preset sets what it decides (attr.h): GC without ReLU, nearest, NT 5 samples
    expect_status(cxg_settings_get(s, "preset", buf, sizeof buf), CXG_OK, NULL);
    assert_string_equal(buf, "cxrgaze");
    expect_status(cxg_settings_set(s, "preset", "captum"), CXG_OK, NULL);
    const char *captum[][2] = {{"preset", "captum"}, {"gc_relu", "false"}, {"upsample", "nearest"},
                               {"nt_samples", "5"}, {"gs_baselines", "zero"}};
    for (size_t i = 0; i < sizeof captum / sizeof captum[0]; i++) {
        expect_status(cxg_settings_get(s, captum[i][0], buf, sizeof buf), CXG_OK, NULL);
        assert_string_equal(buf, captum[i][1]);
    }
    expect_status(cxg_settings_set(s, "preset", "cxrgaze"), CXG_OK, NULL);
    expect_status(cxg_settings_set(s, "nt_samples", "7"), CXG_OK, NULL);
    expect_status(cxg_settings_set(s, "gc_layer", "denseblock4"), CXG_OK, NULL);
    expect_status(cxg_settings_set(s, "metrics", "cc,ssim"), CXG_OK, NULL);
    expect_status(cxg_settings_set(s, "gc_relu", "false"), CXG_OK, NULL);
    const char *now[][2] = {{"nt_samples", "7"}, {"gc_layer", "features.denseblock4"},
                            {"metrics", "ssim,cc"}, {"gc_relu", "false"}};
    for (size_t i = 0; i < 4; i++) {
        expect_status(cxg_settings_get(s, now[i][0], buf, sizeof buf), CXG_OK, NULL);
        assert_string_equal(buf, now[i][1]);
    }
    // refused values name the key and leave the old value
    expect_status(cxg_settings_set(s, "nt_samples", "0"), CXG_ERR_ARGUMENT,
                  "nt_samples = \"0\": expected an integer from 1 to 100000");
    expect_status(cxg_settings_set(s, "nt_samples", "7x"), CXG_ERR_ARGUMENT, "nt_samples");
    expect_status(cxg_settings_set(s, "map_sign", "absolute"), CXG_ERR_ARGUMENT,
                  "one of abs | positive | signed");
    expect_status(cxg_settings_set(s, "metrics", "ssim,xx"), CXG_ERR_ARGUMENT, "metrics");
    expect_status(cxg_settings_set(s, "seed", "-1"), CXG_ERR_ARGUMENT, "seed");
    expect_status(cxg_settings_set(s, "no_such_key", "1"), CXG_ERR_ARGUMENT,
                  "known: preset, precision");
    expect_status(cxg_settings_get(s, "nt_samples", buf, sizeof buf), CXG_OK, NULL);
    assert_string_equal(buf, "7");
    expect_status(cxg_settings_get(s, "gc_layer", buf, 5), CXG_ERR_ARGUMENT, "needs 21 bytes");
    cxg_settings_free(s);
    cxg_settings_free(NULL);
}

static void *fail_in_thread(void *arg) {
    (void)arg;
    cxg_model *m;
    return (void *)(intptr_t)cxg_model_load("no/such/model.safetensors", 0, &m);
}

static void errors_are_per_thread(void **state) {
    (void)state;
    cxg_model *m;
    expect_status(cxg_model_load("tests/fixtures/missing.safetensors", 0, &m), CXG_ERR_NOT_FOUND,
                  "tests/fixtures/missing.safetensors");
    assert_null(m);
    pthread_t t;
    void *rc;
    pthread_create(&t, NULL, fail_in_thread, NULL);
    pthread_join(t, &rc);
    assert_int_equal((intptr_t)rc, CXG_ERR_NOT_FOUND);
    assert_non_null(strstr(cxg_last_error(), "tests/fixtures/missing.safetensors")); // ours kept
    // a file that is not a model; a model with tensors DenseNet lacks (refused unless ignored)
    expect_status(cxg_model_load("tests/fixtures/stats_maps.safetensors", 0, &m), CXG_ERR_FILE,
                  "stats_maps.safetensors");
    expect_status(cxg_model_load("tests/fixtures/densenet121_ref.safetensors", 0, &m),
                  CXG_ERR_FILE, "densenet121_ref.safetensors");
    expect_status(cxg_model_load(NULL, 0, &m), CXG_ERR_ARGUMENT, "NULL");
    expect_status(cxg_model_load("x", 0, NULL), CXG_ERR_ARGUMENT, "out");
}

// ---- the model handle ---------------------------------------------------------------------------
static cxg_model *model;

static int load_model(void **state) {
    (void)state;
    if (cxg_model_load("tests/fixtures/densenet121_ref.safetensors", CXG_LOAD_IGNORE_UNKNOWN,
                       &model))
        fail_msg("%s", cxg_last_error());
    return 0;
}

static int free_model(void **state) {
    (void)state;
    cxg_model_free(model);
    return 0;
}

static void model_meta(void **state) {
    (void)state;
    assert_int_equal(cxg_model_outputs(model), 14);
    assert_string_equal(cxg_model_arch(model), "densenet121");
    assert_int_equal(cxg_model_has_gaze_head(model), 0);
    assert_int_equal(cxg_model_num_labels(model), 0);
    assert_null(cxg_model_label(model, 0));
    float mean[3], std[3]; // no mean/std recorded: ImageNet's (METHODS.md §1)
    cxg_model_normalisation(model, mean, std);
    assert_close(mean[0], 0.485, 0, 1e-7, "mean[0]");
    assert_close(std[2], 0.225, 0, 1e-7, "std[2]");
    uint8_t gray[32 * 32];
    for (int i = 0; i < 32 * 32; i++) gray[i] = (uint8_t)(i % 256);
    float x[3 * 32 * 32];
    expect_status(cxg_model_input_from_gray(model, gray, 1, 32, 32, x), CXG_OK, NULL);
    for (int c = 0; c < 3; c++)
        for (int i = 0; i < 32 * 32; i += 97)
            assert_close(x[c * 1024 + i], (gray[i] / 255.0 - mean[c]) / std[c], 1e-6, 1e-6, "x");
}

// Logits against PyTorch float64 (densenet_ref.py: torch's own fp32 is 2.6e-6 away), twice (the
// second call reuses the kept plans and must give the same bits), and batch 1 vs 16.
static void forward_matches_pytorch(void **state) {
    (void)state;
    size_t nx, nl;
    float *x = fixture_f32("densenet121_ref.safetensors", "input", &nx);
    float *want = fixture_f32("densenet121_ref.safetensors", "eval.logits", &nl);
    assert_int_equal(nx, 2 * 3 * 64 * 64);
    float a[28], b[28], c[28];
    expect_status(cxg_model_forward(model, x, 2, 64, 64, NULL, a, NULL), CXG_OK, NULL);
    double e = max_rel_err(a, want, 28);
    fprintf(stderr, "  forward vs PyTorch float64: %.2e\n", e);
    assert_true(e < 2e-5);
    expect_status(cxg_model_forward(model, x, 2, 64, 64, NULL, b, NULL), CXG_OK, NULL);
    assert_memory_equal(a, b, sizeof a);
    cxg_settings *s = cxg_settings_new();
    expect_status(cxg_settings_set(s, "batch", "1"), CXG_OK, NULL);
    expect_status(cxg_model_forward(model, x, 2, 64, 64, s, c, NULL), CXG_OK, NULL);
    assert_true(max_rel_err(c, want, 28) < 2e-5);
    cxg_settings_free(s);
    // bad input: sizes, NULLs
    expect_status(cxg_model_forward(model, x, 2, 16, 64, NULL, a, NULL), CXG_ERR_ARGUMENT, "16x64");
    expect_status(cxg_model_forward(model, NULL, 2, 64, 64, NULL, a, NULL), CXG_ERR_ARGUMENT, "x");
    expect_status(cxg_model_forward(model, x, -1, 64, 64, NULL, a, NULL), CXG_ERR_ARGUMENT, "-1");
    expect_status(cxg_model_forward(NULL, x, 2, 64, 64, NULL, a, NULL), CXG_ERR_ARGUMENT, "model");
    expect_status(cxg_model_forward(model, x, 0, 64, 64, NULL, NULL, NULL), CXG_OK, NULL);
    free(x), free(want);
}

// Saliency (raw, target 3) and GradCAM (bilinear map, target 7: target 3's ReLU'd cam is all 0)
// against Captum 0.8 (attr_ref.py), the
// completeness of DeepLift, the same maps from a second call after another input size, and the
// refusals.
static void attribute_matches_captum(void **state) {
    (void)state;
    size_t n, nw;
    float *x = fixture_f32("attr_ref.safetensors", "x", &n);
    assert_int_equal(n, 3 * 64 * 64);
    const int32_t t3 = 3;
    cxg_array *raw = NULL;
    float delta;
    expect_status(cxg_model_attribute_raw(model, "sl", x, 1, 64, 64, &t3, 1, NULL, &raw, &delta),
                  CXG_OK, NULL);
    assert_int_equal(cxg_array_ndim(raw), 5);
    const int64_t want_shape[5] = {1, 1, 3, 64, 64};
    assert_memory_equal(cxg_array_shape(raw), want_shape, sizeof want_shape);
    float *want = fixture_f32("attr_ref.safetensors", "sl.3", &nw);
    double e = max_rel_err(cxg_array_data(raw), want, nw);
    fprintf(stderr, "  sl raw vs Captum: %.2e\n", e);
    assert_true(e <= 1e-4);
    assert_true(isnan(delta)); // SL has no completeness
    cxg_array_free(raw);
    free(want);

    static float map[64 * 64], again[64 * 64], other[2 * 64 * 64];
    const int32_t t7 = 7;
    expect_status(cxg_model_attribute(model, "gc", x, 1, 64, 64, &t7, 1, NULL, map, NULL), CXG_OK,
                  NULL);
    want = fixture_f32("attr_ref.safetensors", "gc_bilinear.7", &nw);
    e = max_rel_err(map, want, nw);
    fprintf(stderr, "  gc map vs Captum (bilinear): %.2e\n", e);
    assert_true(e <= 1e-4);
    free(want);
    // another size in between (a new context), then the same call: the same bits
    float *x2 = calloc(3 * 32 * 64, sizeof *x2);
    for (int i = 0; i < 3 * 32 * 64; i++) x2[i] = x[i];
    const int32_t t2[2] = {3, 7};
    expect_status(cxg_model_attribute(model, "gc", x2, 1, 32, 64, t2, 2, NULL, other, NULL), CXG_OK,
                  NULL);
    expect_status(cxg_model_attribute(model, "gc", x, 1, 64, 64, &t7, 1, NULL, again, NULL), CXG_OK,
                  NULL);
    assert_memory_equal(map, again, sizeof map);
    // DeepLift: sum(attr) = f(x) - f(x') up to float rounding (completeness)
    cxg_settings *s = cxg_settings_new();
    expect_status(cxg_model_attribute(model, "dl", x, 1, 64, 64, &t3, 1, s, map, &delta), CXG_OK,
                  NULL);
    float logits[14], zero_logits[14];
    float *zero = calloc(3 * 64 * 64, sizeof *zero);
    expect_status(cxg_model_forward(model, x, 1, 64, 64, NULL, logits, NULL), CXG_OK, NULL);
    expect_status(cxg_model_forward(model, zero, 1, 64, 64, NULL, zero_logits, NULL), CXG_OK, NULL);
    double sum = 0;
    for (int i = 0; i < 64 * 64; i++) sum += map[i];
    fprintf(stderr, "  dl: sum %.6g, f(x) - f(0) %.6g, delta %.3g\n", sum,
            logits[3] - zero_logits[3], delta);
    assert_close(sum - (logits[3] - zero_logits[3]), delta, 0, 1e-3, "dl delta");
    assert_true(fabs(delta) < 1e-2 * fabs(logits[3] - zero_logits[3]) + 1e-3);
    // refusals
    const int32_t bad = 14;
    expect_status(cxg_model_attribute(model, "sl", x, 1, 64, 64, &bad, 1, s, map, NULL),
                  CXG_ERR_ARGUMENT, "target 14");
    expect_status(cxg_model_attribute(model, "xx", x, 1, 64, 64, &t3, 1, s, map, NULL),
                  CXG_ERR_ARGUMENT, "unknown attribution method");
    expect_status(cxg_model_attribute(model, "sl", x, 1, 64, 64, &t3, 0, s, map, NULL),
                  CXG_ERR_ARGUMENT, "0 targets");
    expect_status(cxg_model_attribute(model, "sl", x, 1, 64, 64, &t3, 1, s, NULL, NULL),
                  CXG_ERR_ARGUMENT, "maps");
    expect_status(cxg_model_attribute_raw(model, "sl", x, 0, 64, 64, &t3, 1, s, &raw, NULL),
                  CXG_ERR_ARGUMENT, "no images");
    expect_status(cxg_settings_set(s, "gc_layer", "features.nowhere"), CXG_OK, NULL);
    expect_status(cxg_model_attribute(model, "gc", x, 1, 64, 64, &t3, 1, s, map, NULL),
                  CXG_ERR_COMPUTE, "nowhere");
    cxg_settings_free(s);
    cxg_model_trim(model); // plans freed; the next call builds them again
    expect_status(cxg_model_attribute(model, "gc", x, 1, 64, 64, &t7, 1, NULL, again, NULL), CXG_OK,
                  NULL);
    want = fixture_f32("attr_ref.safetensors", "gc_bilinear.7", &nw);
    assert_true(max_rel_err(again, want, nw) <= 1e-4);
    free(want), free(x), free(x2), free(zero);
}

// ---- map metrics and regions against hand-computed values ---------------------------------------
#define MS 12
static void metrics_closed_forms(void **state) {
    (void)state;
    enum { SSIM, CC, NSS, KL, SIM, AUC, EMD };
    static float maps[3 * MS * MS], ref[3 * MS * MS];
    static uint8_t fix[3 * MS * MS];
    uint32_t r = 12345;
    for (int i = 0; i < MS * MS; i++) {
        r = r * 1664525u + 1013904223u;
        ref[i] = (float)(r >> 8) / 16777216.0f; // in [0,1)
    }
    ref[0] = 0, ref[1] = 1; // exactly [0,1]: every normalisation leaves it as it is
    memcpy(maps, ref, sizeof(float) * MS * MS);              // pair 0: map = ref
    for (int i = 0; i < MS * MS; i++) maps[MS * MS + i] = -ref[i]; // pair 1: map = -ref
    for (int i = 0; i < MS * MS; i++) maps[2 * MS * MS + i] = 3;    // pair 2: constant
    memcpy(ref + MS * MS, ref, sizeof(float) * MS * MS);
    memcpy(ref + 2 * MS * MS, ref, sizeof(float) * MS * MS);
    fix[5] = fix[MS * MS + 5] = fix[2 * MS * MS + 5] = 1; // one fixated pixel
    double v[3 * 7];
    int32_t constant[6];
    cxg_settings *s = cxg_settings_new();
    expect_status(cxg_settings_set(s, "map_scale", "minmax"), CXG_OK, NULL);
    expect_status(cxg_map_metrics(maps, ref, fix, 3, MS, MS, s, v, constant), CXG_OK, NULL);
    // pair 0: identical maps
    assert_close(v[SSIM], 1, 0, 1e-9, "ssim(m, m)");
    assert_close(v[CC], 1, 0, 1e-9, "cc(m, m)");
    assert_close(v[SIM], 1, 0, 1e-9, "sim(m, m)");
    assert_close(v[KL], 0, 0, 1e-9, "kl(m, m)");
    assert_close(v[EMD], 0, 0, 1e-6, "emd(m, m)");
    double mean = 0, ss = 0; // NSS at pixel 5: (m5 - mean) / sample sd
    for (int i = 0; i < MS * MS; i++) mean += ref[i];
    mean /= MS * MS;
    for (int i = 0; i < MS * MS; i++) ss += (ref[i] - mean) * (ref[i] - mean);
    assert_close(v[NSS], (ref[5] - mean) / sqrt(ss / (MS * MS - 1)), 1e-6, 0, "nss");
    // pair 1: sign abs makes -ref into ref: the same numbers
    for (int k = 0; k < 7; k++) assert_close(v[7 + k], v[k], 0, 1e-12, "abs(-m) = m");
    assert_int_equal(constant[0] + constant[1] + constant[2] + constant[3], 0);
    // pair 2: a constant map is flagged (callers exclude it) and has no CC
    assert_int_equal(constant[4], 1), assert_int_equal(constant[5], 0);
    assert_true(isnan(v[14 + CC]));
    // sign signed: -ref min-max normalised is 1 - ref: CC -1
    expect_status(cxg_settings_set(s, "map_sign", "signed"), CXG_OK, NULL);
    expect_status(cxg_map_metrics(maps, ref, NULL, 2, MS, MS, s, v, NULL), CXG_OK, NULL);
    assert_close(v[7 + CC], -1, 0, 1e-9, "cc(-m, m) signed");
    assert_true(isnan(v[NSS]) && isnan(v[AUC])); // no fixations
    // a selection: the others NaN; nss without fixations refused
    expect_status(cxg_settings_set(s, "metrics", "cc"), CXG_OK, NULL);
    expect_status(cxg_map_metrics(maps, ref, NULL, 1, MS, MS, s, v, NULL), CXG_OK, NULL);
    assert_true(isnan(v[SSIM]) && !isnan(v[CC]));
    expect_status(cxg_settings_set(s, "metrics", "nss"), CXG_OK, NULL);
    expect_status(cxg_map_metrics(maps, ref, NULL, 1, MS, MS, s, v, NULL), CXG_ERR_ARGUMENT,
                  "need fixations");
    expect_status(cxg_map_metrics(NULL, ref, NULL, 1, MS, MS, NULL, v, NULL), CXG_ERR_ARGUMENT,
                  "maps");
    expect_status(cxg_map_metrics(maps, ref, NULL, 0, MS, MS, NULL, NULL, NULL), CXG_OK, NULL);
    cxg_settings_free(s);
}

// Three 4x4 binary maps (abs + p98 leaves a 0/1 map as it is: the cumulative sum reaches 98% at a
// 1) on two regions (left and right halves) and an empty one: shares, z-scores, most salient.
static void regions_hand_computed(void **state) {
    (void)state;
    float maps[3][16] = {{1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0},  // all left: 8 / 0
                         {1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},  // 1 / 1
                         {0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0}}; // 0 / 4
    uint8_t masks[3][16] = {{0}};
    for (int i = 0; i < 16; i++) masks[0][i] = i % 4 < 2, masks[1][i] = i % 4 >= 2;
    double share[9], z[9];
    int32_t most[3], constant[3];
    expect_status(cxg_regions(&maps[0][0], 3, 4, 4, &masks[0][0], 3, 0, NULL, share, z, most,
                              constant),
                  CXG_OK, NULL);
    const double want[9] = {1, 0, NAN, 0.5, 0.5, NAN, 0, 1, NAN};
    for (int i = 0; i < 9; i++) {
        if (isnan(want[i])) assert_true(isnan(share[i]));
        else assert_close(share[i], want[i], 0, 1e-12, "share");
    }
    // left shares 1, .5, 0: mean .5, sample sd .5 -> z 1, 0, -1; right the opposite
    const double wz[6] = {1, -1, 0, 0, -1, 1};
    for (int i = 0; i < 3; i++)
        for (int k = 0; k < 2; k++) assert_close(z[i * 3 + k], wz[i * 2 + k], 0, 1e-12, "z");
    assert_int_equal(most[0], 0), assert_int_equal(most[1], 0), assert_int_equal(most[2], 1);
    assert_int_equal(constant[0] + constant[1] + constant[2], 0);
    expect_status(cxg_regions(&maps[0][0], 3, 4, 4, &masks[0][0], 0, 0, NULL, share, z, most, NULL),
                  CXG_ERR_ARGUMENT, "0 regions");
}

// ---- AUROC --------------------------------------------------------------------------------------
// Scores .1 .4 .35 .8, labels 0 0 1 1 (sklearn's roc_auc_score example): AUROC .75. DeLong by
// hand: positives' components V10 = (.5, 1), negatives' V01 = (1, .5); S10 = S01 = .125 (sample
// variances); var = S10/2 + S01/2 = .125; CI .75 -/+ 1.959964 sqrt(.125), clipped to [0,1].
static void auroc_hand_computed(void **state) {
    (void)state;
    const double score[4] = {0.1, 0.4, 0.35, 0.8};
    const uint8_t label[4] = {0, 0, 1, 1};
    const int64_t one_patient[4] = {7, 7, 7, 7};
    double out[10];
    expect_status(cxg_auroc(score, label, NULL, 4, NULL, out), CXG_OK, NULL);
    assert_close(out[0], 0.75, 0, 1e-15, "auroc");
    assert_close(out[1], 0.125, 0, 1e-15, "delong var");
    assert_close(out[2], 0.75 - 1.959963984540054 * sqrt(0.125), 0, 1e-9, "delong lo");
    assert_close(out[3], 1, 0, 0, "delong hi (clipped)");
    assert_close(out[6], 2, 0, 0, "n_pos"); assert_close(out[7], 2, 0, 0, "n_neg");
    // all cases of one patient: every resample is the data itself -> the CI is the point
    cxg_settings *s = cxg_settings_new();
    expect_status(cxg_settings_set(s, "n_bootstrap", "50"), CXG_OK, NULL);
    expect_status(cxg_auroc(score, label, one_patient, 4, s, out), CXG_OK, NULL);
    assert_close(out[4], 0.75, 0, 1e-15, "boot lo");
    assert_close(out[5], 0.75, 0, 1e-15, "boot hi");
    assert_close(out[8], 50, 0, 0, "boot used"); assert_close(out[9], 0, 0, 0, "boot skipped");
    // one class: undefined
    const uint8_t ones[4] = {1, 1, 1, 1};
    expect_status(cxg_auroc(score, ones, NULL, 4, s, out), CXG_OK, NULL);
    assert_true(isnan(out[0]) && isnan(out[2]) && isnan(out[4]));
    expect_status(cxg_settings_set(s, "n_bootstrap", "0"), CXG_OK, NULL);
    expect_status(cxg_auroc(score, label, NULL, 4, s, out), CXG_OK, NULL);
    assert_true(isnan(out[4]) && isnan(out[5]));
    cxg_settings_free(s);
    // DeLong test of a score against itself: diff 0, p 1
    expect_status(cxg_delong_test(score, score, label, 4, out), CXG_OK, NULL);
    assert_close(out[2], 0, 0, 0, "diff"); assert_close(out[5], 1, 0, 0, "p");
    expect_status(cxg_auroc(NULL, label, NULL, 4, NULL, out), CXG_ERR_ARGUMENT, "score");
}

// ---- a pack the command line writes (synth + prepare), read through the API ---------------------
static void pack_from_the_command_line(void **state) {
    (void)state;
    const char *cli = getenv("CXRGAZE");
    if (!cli) cli = "build/cxrgaze";
    const char *out = getenv("CXRGAZE_TEST_OUT");
    if (!out || !*out) out = "tests/out";
    char dir[1024], cmd[4096];
    snprintf(dir, sizeof dir, "%s/api_pack", out);
    snprintf(cmd, sizeof cmd,
             "rm -rf '%s' && mkdir -p '%s' && %s synth --out '%s/synth' --images 16 "
             "--gaze-images 8 --size 64 --quiet >/dev/null 2>&1 && %s prepare --mimic "
             "'%s/synth/mimic-cxr-jpg' --egd '%s/synth/egd-cxr' --truth '%s/synth/truth' --out "
             "'%s/data' --size 64 --quiet >/dev/null 2>&1",
             dir, dir, cli, dir, cli, dir, dir, dir, dir);
    assert_int_equal(system(cmd), 0);
    char data[1100];
    snprintf(data, sizeof data, "%s/data", dir);
    cxg_pack *p;
    expect_status(cxg_pack_open(data, &p), CXG_OK, NULL);
    const void *ptr;
    cxg_dtype dt;
    int ndim;
    int64_t shape[4];
    expect_status(cxg_pack_array(p, "images", &ptr, &dt, &ndim, shape), CXG_OK, NULL);
    assert_int_equal(dt, CXG_U8), assert_int_equal(ndim, 3);
    assert_true(shape[0] >= 8), assert_int_equal(shape[1], 64), assert_int_equal(shape[2], 64);
    const int64_t n = shape[0];
    expect_status(cxg_pack_array(p, "regions", &ptr, &dt, &ndim, shape), CXG_OK, NULL);
    assert_int_equal(ndim, 4), assert_int_equal(shape[1], 4);
    expect_status(cxg_pack_array(p, "truth", &ptr, &dt, &ndim, shape), CXG_OK, NULL);
    assert_int_equal(dt, CXG_U16);
    expect_status(cxg_pack_array(p, "labels", &ptr, &dt, &ndim, shape), CXG_OK, NULL);
    for (int64_t i = 0; i < n * 14; i++) {
        float v = ((const float *)ptr)[i];
        assert_true(v == 0 || v == 1);
    }
    expect_status(cxg_pack_array(p, "nothing", &ptr, &dt, &ndim, shape), CXG_ERR_ARGUMENT,
                  "nothing");
    // index.csv's rows, read here: row,dicom_id,subject_id,... in pack row order
    char path[1200], line[512];
    snprintf(path, sizeof path, "%s/index.csv", data);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    assert_non_null(fgets(line, sizeof line, f)); // header
    assert_true(strncmp(line, "row,dicom_id,subject_id", 23) == 0);
    for (int64_t i = 0; i < n && fgets(line, sizeof line, f); i++) {
        char *save, *row = strtok_r(line, ",", &save), *dicom = strtok_r(NULL, ",", &save);
        char *subject = strtok_r(NULL, ",", &save);
        assert_int_equal(atoll(row), i);
        assert_string_equal(cxg_pack_text(p, "dicom_id", i), dicom);
        assert_string_equal(cxg_pack_text(p, "subject_id", i), subject);
    }
    fclose(f);
    assert_null(cxg_pack_text(p, "dicom_id", n));
    assert_null(cxg_pack_text(p, "nothing", 0));
    cxg_pack_close(p);
    expect_status(cxg_pack_open("tests/fixtures", &p), CXG_ERR_FILE, "tests/fixtures");
    expect_status(cxg_pack_open("tests/no_such_pack", &p), CXG_ERR_NOT_FOUND, "no_such_pack");
}

// The library this binary runs with exports exactly docs/api.md's list (scripts/abi-check).
static void exports_match_docs(void **state) {
    (void)state;
    char exe[4096], cmd[8400];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    assert_true(len > 0);
    exe[len] = 0;
    *strrchr(exe, '/') = 0; // BUILD/tests/api
    snprintf(cmd, sizeof cmd, "scripts/abi-check '%s/../../libcxrgaze.so' docs/api.md", exe);
    assert_int_equal(system(cmd), 0);
}

int main(void) {
    cxg_set_log_level(0);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(library_and_vocabularies),
        cmocka_unit_test(exports_match_docs),
        cmocka_unit_test(settings_set_get),
        cmocka_unit_test(errors_are_per_thread),
        cmocka_unit_test_setup_teardown(model_meta, load_model, free_model),
        cmocka_unit_test_setup_teardown(forward_matches_pytorch, load_model, free_model),
        cmocka_unit_test_setup_teardown(attribute_matches_captum, load_model, free_model),
        cmocka_unit_test(metrics_closed_forms),
        cmocka_unit_test(regions_hand_computed),
        cmocka_unit_test(auroc_hand_computed),
        cmocka_unit_test(pack_from_the_command_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
