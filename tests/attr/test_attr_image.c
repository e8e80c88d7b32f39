// attr building blocks without the engine: Gauss-Legendre nodes (closed forms, exactness on
// polynomials), upsampling and blur against PyTorch/scipy (tests/ref/attr_ref.py), viridis against
// matplotlib values, overlay layout, name parsing, sanity steps.
#include "attr_testlib.h"

static void gauss_legendre_closed_forms(void **state) {
    (void)state;
    double a[3], w[3];
    attr_gauss_legendre(2, a, w); // nodes +-1/sqrt(3), weights 1 (on (-1,1))
    assert_close(a[0], 0.5 - 0.5 / sqrt(3.0), 0, 1e-15, "n=2 node 0");
    assert_close(a[1], 0.5 + 0.5 / sqrt(3.0), 0, 1e-15, "n=2 node 1");
    assert_close(w[0], 0.5, 0, 1e-15, "n=2 weight");
    attr_gauss_legendre(3, a, w); // 0, +-sqrt(3/5); 8/9, 5/9
    assert_close(a[0], 0.5 - 0.5 * sqrt(0.6), 0, 1e-15, "n=3 node 0");
    assert_close(a[1], 0.5, 0, 1e-15, "n=3 node 1");
    assert_close(w[1], 4.0 / 9, 0, 1e-15, "n=3 middle weight");
    assert_close(w[2], 5.0 / 18, 0, 1e-15, "n=3 outer weight");
}

// An n-node rule integrates t^k on (0,1) exactly for k <= 2n-1; ascending nodes inside (0,1).
static void gauss_legendre_exact_on_polynomials(void **state) {
    (void)state;
    int sizes[] = {1, 7, 50, 51};
    for (int si = 0; si < 4; si++) {
        int n = sizes[si];
        double a[64], w[64];
        attr_gauss_legendre(n, a, w);
        for (int i = 0; i < n; i++) {
            assert_true(a[i] > 0 && a[i] < 1);
            if (i) assert_true(a[i] > a[i - 1]);
        }
        for (int k = 0; k <= 2 * n - 1; k++) {
            double s = 0;
            for (int i = 0; i < n; i++) s += w[i] * pow(a[i], k);
            char what[64];
            snprintf(what, sizeof what, "n=%d: integral of t^%d", n, k);
            assert_close(s, 1.0 / (k + 1), 1e-12, 1e-14, what);
        }
    }
}

static void gauss_legendre_matches_numpy(void **state) {
    (void)state;
    st_file f;
    cx_error err;
    if (st_open(&f, fixture_path("attr_gl_ref.safetensors"), &err)) fail_msg("%s", err.msg);
    const int sizes[4] = {2, 7, 50, 51};
    for (int k = 0; k < 4; k++) {
        int n = sizes[k];
        double a[64], w[64], ra[64], rw[64];
        char name[32];
        snprintf(name, sizeof name, "gl%d.alpha", n);
        const st_tensor *t = st_find(&f, name);
        assert_non_null(t);
        assert_int_equal(t->numel, n);
        memcpy(ra, t->data, sizeof(double) * n);
        snprintf(name, sizeof name, "gl%d.weight", n);
        t = st_find(&f, name);
        assert_non_null(t);
        memcpy(rw, t->data, sizeof(double) * n);
        attr_gauss_legendre(n, a, w);
        for (int i = 0; i < n; i++) {
            assert_close(a[i], ra[i], 0, 1e-14, "node vs numpy");
            assert_close(w[i], rw[i], 0, 1e-14, "weight vs numpy");
        }
    }
    st_close(&f);
}

static void upsample_matches_torch(void **state) {
    (void)state;
    st_file f;
    cx_error err;
    if (st_open(&f, fixture_path("attr_ref.safetensors"), &err)) fail_msg("%s", err.msg);
    const char *targets[] = {"3", "7"};
    for (int t = 0; t < 2; t++) {
        char name[64];
        snprintf(name, sizeof name, "gc.%s", targets[t]);
        float *cam = attr_fixture(&f, name, NULL); // [1,1,2,2]
        for (int i = 0; i < 4; i++) cam[i] = fmaxf(cam[i], 0);
        float got[64 * 64];
        snprintf(name, sizeof name, "gc_bilinear.%s", targets[t]);
        float *want = attr_fixture(&f, name, NULL);
        attr_upsample_plane(cam, 2, 2, got, 64, 64, ATTR_UPSAMPLE_BILINEAR);
        assert_true(max_rel_err(got, want, 64 * 64) < 1e-6);
        free(want);
        snprintf(name, sizeof name, "gc_nearest.%s", targets[t]);
        want = attr_fixture(&f, name, NULL);
        attr_upsample_plane(cam, 2, 2, got, 64, 64, ATTR_UPSAMPLE_NEAREST);
        assert_true(max_rel_err(got, want, 64 * 64) < 1e-7);
        free(want);
        free(cam);
    }
    // 7 -> 224 (the real case): corners copy, the centre of input pixel 3 maps onto itself
    float in[49], out[224 * 224];
    for (int i = 0; i < 49; i++) in[i] = (float)i;
    attr_upsample_plane(in, 7, 7, out, 224, 224, ATTR_UPSAMPLE_BILINEAR);
    assert_true(out[0] == 0 && out[224 * 224 - 1] == 48);
    // output x = 111.5 * 7/224 - 0.5 = 3 at d = 111.5 -> between 111 and 112, symmetric
    assert_close(0.5 * (out[111 * 224 + 111] + out[112 * 224 + 112]), 24.0, 0, 1e-5, "centre");
    st_close(&f);
}

static void blur_matches_scipy(void **state) {
    (void)state;
    st_file f;
    cx_error err;
    if (st_open(&f, fixture_path("attr_ref.safetensors"), &err)) fail_msg("%s", err.msg);
    float *x = attr_fixture(&f, "x", NULL);
    float *want = attr_fixture(&f, "blur", NULL);
    float *got = malloc(sizeof *got * 3 * 64 * 64);
    attr_options o;
    attr_options_default(&o); // blur sigma 0.1 * side, black from ImageNet's mean/std
    attr_make_baseline(ATTR_BASELINE_BLUR, &o, x, 64, 64, got); // sigma 6.4 px
    double e = max_rel_err(got, want, 3 * 64 * 64);
    if (e > 1e-5) fail_msg("blur baseline vs scipy: max rel err %.3g", e);
    // a constant image is its own blur (reflect borders), and black is (0 - mean) / std
    for (int i = 0; i < 3 * 64 * 64; i++) x[i] = 0.7f;
    attr_gaussian_blur(x, 3, 64, 64, 30.0, got); // radius 120 > size: repeated reflection
    for (int i = 0; i < 3 * 64 * 64; i++) assert_close(got[i], 0.7, 1e-6, 0, "constant blur");
    attr_make_baseline(ATTR_BASELINE_BLACK, &o, x, 64, 64, got);
    assert_close(got[0], -0.485 / 0.229, 1e-6, 0, "black, channel 0");
    assert_close(got[2 * 64 * 64], -0.406 / 0.225, 1e-6, 0, "black, channel 2");
    uint8_t g[4] = {0, 255, 128, 1};
    float xn[12];
    model_meta m;
    model_meta_init(&m, 2);
    model_input_u8(&m, g, 4, xn);
    assert_close(xn[1], (1 - 0.485) / 0.229, 1e-6, 0, "white, channel 0");
    assert_close(xn[4 + 2], (128 / 255.0 - 0.456) / 0.224, 1e-6, 0, "grey, channel 1");
    free(x);
    free(want);
    free(got);
    st_close(&f);
}

// matplotlib 3.6 viridis: cm.viridis(t) * 255 at t = 0, 0.25, 0.5, 0.75, 1 (and two off-anchor
// points), rounded; the 33-anchor interpolation stays within 3 levels.
static void viridis_matches_matplotlib(void **state) {
    (void)state;
    const double t[] = {0, 0.25, 0.5, 0.75, 1, 0.1, 0.9};
    const int want[][3] = {{68, 1, 84},     {59, 82, 139},  {33, 145, 140}, {94, 201, 98},
                           {253, 231, 37},  {72, 36, 117},  {189, 223, 38}};
    for (int i = 0; i < 7; i++) {
        uint8_t c[3];
        attr_viridis(t[i], c);
        for (int k = 0; k < 3; k++)
            if (abs(c[k] - want[i][k]) > 3)
                fail_msg("viridis(%g)[%d] = %d, want %d", t[i], k, c[k], want[i][k]);
    }
    uint8_t c[3];
    attr_viridis(NAN, c);
    assert_int_equal(c[0], 68);
    attr_viridis(7, c);
    assert_int_equal(c[2], 37);
}

static void overlay_layout(void **state) {
    (void)state;
    const stats_map_norm minmax = {STATS_SIGN_SIGNED, STATS_SCALE_MINMAX}; // the ramp's ends: 0, 1
    int h = 64, w = 64, ow = attr_overlay_width(w);
    assert_true(ow > w + 8);
    uint8_t gray[64 * 64];
    float map[64 * 64];
    for (int i = 0; i < h * w; i++) {
        gray[i] = 100;
        map[i] = (float)(i % w); // ramp left to right
    }
    uint8_t *rgb = malloc((size_t)h * ow * 3);
    attr_overlay_rgb(gray, map, h, w, minmax, 1.0, rgb); // alpha 1: pure colour map
    uint8_t lo[3], hi[3];
    attr_viridis(0, lo);
    attr_viridis(1, hi);
    assert_memory_equal(rgb, lo, 3);                       // left column: map minimum
    assert_memory_equal(rgb + (size_t)(w - 1) * 3, hi, 3); // right column: maximum
    assert_memory_equal(rgb + (size_t)(ow - 1) * 3, hi, 3);                    // bar top = 1
    assert_memory_equal(rgb + ((size_t)(h - 1) * ow + ow - 1) * 3, lo, 3);    // bar bottom = 0
    attr_overlay_rgb(gray, map, h, w, minmax, 0.0, rgb); // alpha 0: the radiograph
    assert_int_equal(rgb[(5 * ow + 7) * 3 + 1], 100);
    for (int i = 0; i < h * w; i++) map[i] = 2.0f; // constant map draws as 0
    attr_overlay_rgb(gray, map, h, w, minmax, 1.0, rgb);
    assert_memory_equal(rgb + (size_t)(w - 1) * 3, lo, 3);
    free(rgb);
}

static void names_and_steps(void **state) {
    (void)state;
    attr_method m[ATTR_NMETHODS];
    int n;
    cx_error err;
    assert_int_equal(attr_methods_parse("sl,gc,dl,lc,gs,nt,ig,oc", m, &n, &err), 0);
    assert_int_equal(n, 8);
    assert_int_equal(m[3], ATTR_LC);
    assert_string_equal(attr_method_name(m[7]), "oc");
    assert_int_equal(attr_methods_parse("sl,xx", m, &n, &err), -1);
    assert_non_null(strstr(err.msg, "xx"));
    assert_int_equal(attr_methods_parse("sl,sl", m, &n, &err), -1);
    assert_int_equal(attr_methods_parse("sl,,gc", m, &n, &err), -1);
    attr_baseline b;
    assert_int_equal(attr_baseline_parse("blur", &b, &err), 0);
    assert_int_equal(b, ATTR_BASELINE_BLUR);
    assert_int_equal(attr_baseline_parse("mean", &b, &err), -1);
    const char *names[16];
    assert_int_equal(attr_sanity_steps(names, 16), 10);
    assert_string_equal(names[0], "classifier");
    assert_string_equal(names[2], "denseblock4");
    assert_string_equal(names[9], "conv0");
}

// Cascading step k re-initialises the tensors of steps 0..k and nothing else; independent step k
// only its own; the same seed gives the same weights.
static void sanity_randomisation_scopes(void **state) {
    (void)state;
    densenet_config cfg;
    cx_error err;
    assert_int_equal(densenet_config_for("densenet121", 14, 0, &cfg, &err), 0);
    densenet *ref = densenet_create(&cfg);
    densenet_init(ref, 42);
    const char *changed_cascade[] = {"classifier.", "features.norm5.", "features.denseblock4."};
    for (int mode = 0; mode < 2; mode++) {
        densenet *a = densenet_clone(ref), *b = densenet_clone(ref);
        attr_sanity_randomise(a, 2, mode == 0, 7);
        attr_sanity_randomise(b, 2, mode == 0, 7);
        int n_changed = 0;
        for (int i = 0; i < densenet_num_tensors(ref); i++) {
            const nn_tensor_info *tr = densenet_tensor(ref, i), *ta = densenet_tensor(a, i),
                                 *tb = densenet_tensor(b, i);
            if (tr->kind == NN_COUNTER) continue;
            int in_scope = 0;
            for (int k = mode == 0 ? 0 : 2; k < 3; k++)
                in_scope |= !strncmp(tr->name, changed_cascade[k], strlen(changed_cascade[k]));
            int differs = memcmp(tr->data, ta->data, tr->numel * sizeof(float)) != 0;
            assert_memory_equal(ta->data, tb->data, tr->numel * sizeof(float)); // seeded
            // BN buffers re-initialise to their (constant) defaults; weights must change
            if (in_scope && tr->kind == NN_PARAM && strstr(tr->name, "conv")) assert_true(differs);
            if (!in_scope && differs) fail_msg("mode %d: %s changed outside the step", mode, tr->name);
            n_changed += differs;
        }
        assert_true(n_changed > 10);
        densenet_free(a);
        densenet_free(b);
    }
    densenet_free(ref);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(gauss_legendre_closed_forms),
        cmocka_unit_test(gauss_legendre_exact_on_polynomials),
        cmocka_unit_test(gauss_legendre_matches_numpy),
        cmocka_unit_test(upsample_matches_torch),
        cmocka_unit_test(blur_matches_scipy),
        cmocka_unit_test(viridis_matches_matplotlib),
        cmocka_unit_test(overlay_layout),
        cmocka_unit_test(names_and_steps),
        cmocka_unit_test(sanity_randomisation_scopes),
    };
    return cmocka_run_group_tests_name("attr/image", tests, NULL, NULL);
}
