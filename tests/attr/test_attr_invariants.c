// attr invariants on the random DenseNet-121 of tests/ref/densenet_ref.py at 1x3x64x64:
// saliency = central finite differences of the logit; SmoothGrad with zero noise = saliency;
// DeepLift summation-to-delta; IG completeness error falls with steps; conductance sums to
// f(x) - f(x'); GradCAM and conductance coincide on a post-ReLU layer feeding GAP + linear;
// GradientSHAP with every baseline equal to x is zero; seeded repeats; batching = one at a time.
#include "attr_testlib.h"

static densenet *net;
static attr_ctx *ctx;        // one context: its plans are reused across tests
static densenet_plan *plan1; // batch 1, for plain logits
static float *x, *x2;        // the model fixture's two inputs [3,64,64] (N(0,1) noise)
static float *xs;            // a smooth radiograph-like image, normalised [3,64,64]
#define N_IN (3 * 64 * 64)

static int setup(void **state) {
    (void)state;
    net = load_ref_densenet121();
    st_file f;
    cx_error err;
    if (st_open(&f, fixture_path("densenet121_ref.safetensors"), &err)) return -1;
    float *in = attr_fixture(&f, "input", NULL); // [2,3,64,64]
    x = malloc(sizeof *x * N_IN);
    x2 = malloc(sizeof *x2 * N_IN);
    memcpy(x, in, sizeof *x * N_IN);
    memcpy(x2, in + N_IN, sizeof *x2 * N_IN);
    free(in);
    st_close(&f);
    // The random network is very kinky along straight paths from noise inputs; a smooth image
    // gives path integrals (IG, LC) that converge within a few dozen steps.
    uint8_t g[64 * 64];
    for (int y = 0; y < 64; y++)
        for (int c = 0; c < 64; c++)
            g[y * 64 + c] = (uint8_t)(128 + 60 * sin(c / 7.0) * cos(y / 11.0) + 40.0 * (y - 32) / 32);
    xs = malloc(sizeof *xs * N_IN);
    model_meta im;
    model_meta_init(&im, 64);
    model_input_u8(&im, g, 64 * 64, xs);
    attr_options o;
    attr_options_default(&o);
    ctx = attr_ctx_create(net, 64, 64, &o, &err);
    plan1 = densenet_plan_create(net, 1, 64, 64, NN_FP32, NN_EVAL, &err);
    return ctx && plan1 ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    attr_ctx_free(ctx);
    densenet_plan_free(plan1);
    densenet_free(net);
    free(x);
    free(x2);
    free(xs);
    return 0;
}

// One method, one request; fails the test on error.
static void run1(const attr_options *o, attr_method m, const float *in, const int *targets, int nt,
                 uint64_t stream, attr_map *out) {
    cx_error err = {{0}};
    if (attr_ctx_set_options(ctx, o, &err)) fail_msg("%s", err.msg);
    attr_request rq = {.x = in, .n_targets = nt, .targets = targets, .stream = stream};
    if (attr_run(ctx, m, &rq, 1, out, &err)) fail_msg("%s", err.msg);
}

static float logit_of(const float *in, int t) {
    cx_error err;
    float lg[14];
    if (densenet_set_tap(plan1, NULL, &err) || densenet_forward(plan1, in, lg, NULL, &err))
        fail_msg("%s", err.msg);
    return lg[t];
}

// Central differences where the logit is locally smooth: a probe whose difference quotients at
// eps and eps/4 disagree (by 1% of the largest gradient) straddles a ReLU kink and is replaced by
// the next candidate; the rest must agree with saliency within 2% of the largest gradient.
static void saliency_is_finite_difference(void **state) {
    (void)state;
    attr_options o;
    attr_options_default(&o);
    int t = 3;
    attr_map sl;
    run1(&o, ATTR_SL, xs, &t, 1, 0, &sl);
    float mx = 0;
    for (int i = 0; i < N_IN; i++) mx = fmaxf(mx, sl.raw[i]);
    float *xp = malloc(sizeof *xp * N_IN);
    int checked = 0, kinks = 0;
    for (int start = 500; start < N_IN && checked < 4; start += 1500) {
        int best = start; // the largest |grad| in a window: a well-conditioned derivative
        for (int i = start; i < start + 300 && i < N_IN; i++)
            if (sl.raw[i] > sl.raw[best]) best = i;
        if (sl.raw[best] < 0.05f * mx) continue; // a dead region: nothing to compare
        double fd[2];
        const float eps[2] = {4e-3f, 1e-3f};
        for (int e = 0; e < 2; e++) {
            memcpy(xp, xs, sizeof *xp * N_IN);
            xp[best] = xs[best] + eps[e];
            float fp = logit_of(xp, t);
            xp[best] = xs[best] - eps[e];
            float fm = logit_of(xp, t);
            fd[e] = fabs(((double)fp - fm) / (2.0 * ((double)(xs[best] + eps[e]) - (xs[best] - eps[e])) / 2.0));
        }
        fprintf(stderr, "  pixel %d: |fd| %.6f (eps 4e-3) %.6f (eps 1e-3), saliency %.6f\n", best,
                fd[0], fd[1], sl.raw[best]);
        if (fabs(fd[0] - fd[1]) > 1e-2 * mx) {
            kinks++;
            continue;
        }
        // fp32 logits carry ~1e-6 of rounding: the quotient at eps 1e-3 is good to ~1e-3 absolute
        assert_close(sl.raw[best], fd[1], 0, 2e-2 * mx, "saliency vs central difference");
        checked++;
    }
    assert_int_equal(checked, 4);
    assert_true(kinks <= 2);
    free(xp);
    attr_map_free(&sl);
}

static void smoothgrad_without_noise_is_saliency(void **state) {
    (void)state;
    attr_options o;
    attr_options_default(&o);
    o.nt_stdev = 0;
    o.nt_samples = 3;
    int t = 7;
    attr_map sl, nt;
    run1(&o, ATTR_SL, x, &t, 1, 0, &sl);
    run1(&o, ATTR_NT, x, &t, 1, 0, &nt);
    double e = max_rel_err(nt.raw, sl.raw, N_IN);
    if (e > 1e-6) fail_msg("NT(stdev 0) vs SL: %.3g", e);
    o.nt_stdev = -1; // the default 15% of the range really adds noise
    attr_map_free(&nt);
    run1(&o, ATTR_NT, x, &t, 1, 0, &nt);
    assert_true(max_rel_err(nt.raw, sl.raw, N_IN) > 1e-2);
    attr_map_free(&sl);
    attr_map_free(&nt);
}

static void deeplift_sums_to_delta(void **state) {
    (void)state;
    attr_options o;
    attr_options_default(&o);
    const int t[2] = {3, 7};
    attr_baseline bl[3] = {ATTR_BASELINE_ZERO, ATTR_BASELINE_BLACK, ATTR_BASELINE_BLUR};
    for (int b = 0; b < 3; b++) {
        o.baseline = bl[b];
        attr_map dl[2];
        run1(&o, ATTR_DL, x, t, 2, 0, dl);
        for (int k = 0; k < 2; k++) {
            double df = (double)dl[k].logit - dl[k].logit_baseline, s = 0;
            for (int i = 0; i < N_IN; i++) s += dl[k].raw[i];
            fprintf(stderr, "  DL %s target %d: sum %.6f, f(x)-f(x') %.6f\n",
                    attr_baseline_name(bl[b]), t[k], s, df);
            assert_close(s, df, 1e-3, 1e-5, "DeepLift summation-to-delta");
            assert_close(dl[k].delta, s - df, 1e-6, 1e-6, "reported delta");
            assert_close(dl[k].logit, logit_of(x, t[k]), 1e-5, 1e-5, "f(x) of the 2N forward");
            attr_map_free(&dl[k]);
        }
    }
    // --captum-compat runs Captum's (non-conserving) rules on the same network
    o.baseline = ATTR_BASELINE_ZERO;
    attr_map a, b2;
    run1(&o, ATTR_DL, x, t, 1, 0, &a);
    o.dl_captum_compat = 1;
    run1(&o, ATTR_DL, x, t, 1, 0, &b2);
    assert_true(max_rel_err(b2.raw, a.raw, N_IN) > 1e-4);
    attr_map_free(&a);
    attr_map_free(&b2);
}

static void ig_completeness_improves_with_steps(void **state) {
    (void)state;
    attr_options o;
    attr_options_default(&o);
    const int t[3] = {3, 7, 1};
    double d[3], df = 0;
    const int steps[3] = {4, 16, 64};
    for (int k = 0; k < 3; k++) {
        o.ig_steps = steps[k];
        attr_map ig[3];
        run1(&o, ATTR_IG, xs, t, 3, 0, ig);
        d[k] = 0;
        df = 0;
        for (int j = 0; j < 3; j++) {
            double s = 0;
            for (int i = 0; i < N_IN; i++) s += ig[j].raw[i];
            assert_close(ig[j].delta, s - ((double)ig[j].logit - ig[j].logit_baseline), 1e-6, 1e-6,
                         "delta");
            d[k] += fabs(ig[j].delta);
            df += fabs((double)ig[j].logit - ig[j].logit_baseline);
            attr_map_free(&ig[j]);
        }
        fprintf(stderr, "  IG %d steps: sum |completeness error| %.5f (sum |f(x)-f(x')| %.5f)\n",
                steps[k], d[k], df);
    }
    assert_true(d[1] < d[0] && d[2] < d[1]);
    assert_true(d[2] < 0.15 * df);
}

static void conductance_sums_to_delta(void **state) {
    (void)state;
    attr_options o;
    attr_options_default(&o);
    o.lc_steps = 64;
    int t = 3;
    attr_map lc;
    run1(&o, ATTR_LC, xs, &t, 1, 0, &lc);
    double df = (double)lc.logit - lc.logit_baseline, s = 0;
    for (int i = 0; i < 1024 * 4; i++) s += lc.raw[i];
    fprintf(stderr, "  LC: sum %.5f, f(x)-f(x') %.5f\n", s, df);
    assert_close(lc.delta, s - df, 1e-6, 1e-6, "delta");
    assert_true(fabs(lc.delta) <= 0.1 * fabs(df));
    attr_map_free(&lc);
}

// At relu5 (post-ReLU, then GAP and the linear classifier) dF/dA_kij = W_tk / (h w) everywhere,
// so conductance = (A(x_S) - A(x_0)) W_t / (hw): its channel sum is GC's cam at x_S minus the cam
// at x_0 (nodes x_s = a_s x for the zero baseline).
static void gradcam_and_conductance_coincide_after_relu(void **state) {
    (void)state;
    attr_options o;
    attr_options_default(&o);
    snprintf(o.gc_layer, sizeof o.gc_layer, "features.relu5");
    snprintf(o.lc_layer, sizeof o.lc_layer, "features.relu5");
    o.gc_relu = 0;
    o.lc_steps = 6;
    int t = 3;
    attr_map lc, g_hi, g_lo;
    run1(&o, ATTR_LC, x, &t, 1, 0, &lc);
    double a[7], w[7];
    attr_gauss_legendre(7, a, w);
    float *xs = malloc(sizeof *xs * N_IN);
    for (int i = 0; i < N_IN; i++) xs[i] = (float)a[6] * x[i];
    run1(&o, ATTR_GC, xs, &t, 1, 0, &g_hi);
    for (int i = 0; i < N_IN; i++) xs[i] = (float)a[0] * x[i];
    run1(&o, ATTR_GC, xs, &t, 1, 0, &g_lo);
    int64_t c = lc.raw_shape[1], hw = lc.raw_shape[2] * lc.raw_shape[3];
    assert_int_equal(c, 1024);
    float lcsum[4], want[4];
    for (int e = 0; e < hw; e++) {
        lcsum[e] = 0;
        for (int k = 0; k < c; k++) lcsum[e] += lc.raw[k * hw + e];
        want[e] = g_hi.raw[e] - g_lo.raw[e];
    }
    double err = max_rel_err(lcsum, want, (size_t)hw);
    fprintf(stderr, "  LC channel sum vs GC(x_S) - GC(x_0): %.2e\n", err);
    assert_true(err <= 1e-4);
    free(xs);
    attr_map_free(&lc);
    attr_map_free(&g_hi);
    attr_map_free(&g_lo);
}

static void gradient_shap_zero_when_baselines_equal_input(void **state) {
    (void)state;
    attr_options o;
    attr_options_default(&o);
    uint8_t black[64 * 64] = {0};
    float *xb = malloc(sizeof *xb * N_IN);
    model_meta im;
    model_meta_init(&im, 64);
    model_input_u8(&im, black, 64 * 64, xb);
    // black = normalised gray 0 = x; the blur of a constant image is that image
    o.gs_baselines = (1u << ATTR_BASELINE_BLACK) | (1u << ATTR_BASELINE_BLUR);
    int t = 3;
    attr_map gs, sl;
    run1(&o, ATTR_GS, xb, &t, 1, 0, &gs);
    run1(&o, ATTR_SL, xb, &t, 1, 0, &sl);
    float mg = 0, ms = 0;
    for (int i = 0; i < N_IN; i++) {
        mg = fmaxf(mg, fabsf(gs.raw[i]));
        ms = fmaxf(ms, sl.raw[i]);
    }
    fprintf(stderr, "  max |GS| %.3g with max |grad| %.3g\n", mg, ms);
    assert_true(ms > 1e-4);     // the gradient itself is not zero there
    assert_true(mg <= 1e-6 * ms);
    free(xb);
    attr_map_free(&gs);
    attr_map_free(&sl);
}

static void stochastic_methods_repeat_for_a_seed(void **state) {
    (void)state;
    attr_options o;
    attr_options_default(&o);
    o.nt_samples = 3;
    o.gs_samples = 3;
    o.seed = 5;
    int t = 7;
    attr_method ms[2] = {ATTR_NT, ATTR_GS};
    for (int k = 0; k < 2; k++) {
        attr_map a, b, c;
        o.seed = 5;
        run1(&o, ms[k], x, &t, 1, 9, &a);
        run1(&o, ms[k], x, &t, 1, 9, &b);
        assert_memory_equal(a.raw, b.raw, sizeof(float) * N_IN);
        o.seed = 6;
        run1(&o, ms[k], x, &t, 1, 9, &c);
        assert_true(max_rel_err(c.raw, a.raw, N_IN) > 1e-3);
        attr_map_free(&c);
        o.seed = 5; // another image stream draws differently too
        run1(&o, ms[k], x, &t, 1, 10, &c);
        assert_true(max_rel_err(c.raw, a.raw, N_IN) > 1e-3);
        attr_map_free(&a);
        attr_map_free(&b);
        attr_map_free(&c);
    }
}

// Two images with 1 and 2 targets together (one batch) vs each alone in small chunks.
static void batching_equals_one_at_a_time(void **state) {
    (void)state;
    attr_options o;
    attr_options_default(&o);
    o.nt_samples = 3;
    o.gs_samples = 3;
    o.ig_steps = 6;
    o.lc_steps = 6;
    o.oc_patch = 32;
    o.oc_stride = 16;
    o.seed = 11;
    const int ta[1] = {3}, tb[2] = {7, 1};
    attr_request rq[2] = {{.x = x, .n_targets = 1, .targets = ta, .stream = 100},
                          {.x = x2, .n_targets = 2, .targets = tb, .stream = 101}};
    cx_error err = {{0}};
    for (int m = 0; m < ATTR_NMETHODS; m++) {
        attr_map all[3], one[3];
        o.max_batch = 16;
        if (attr_ctx_set_options(ctx, &o, &err) || attr_run(ctx, (attr_method)m, rq, 2, all, &err))
            fail_msg("%s", err.msg);
        o.max_batch = 2;
        if (attr_ctx_set_options(ctx, &o, &err) ||
            attr_run(ctx, (attr_method)m, &rq[0], 1, &one[0], &err) ||
            attr_run(ctx, (attr_method)m, &rq[1], 1, &one[1], &err))
            fail_msg("%s", err.msg);
        for (int k = 0; k < 3; k++) {
            assert_int_equal(all[k].target, one[k].target);
            double e = max_rel_err(all[k].map, one[k].map, 64 * 64);
            fprintf(stderr, "  %s item %d: batched vs alone %.2e\n", attr_method_name(m), k, e);
            if (e > 1e-5) fail_msg("%s item %d: batched vs alone %.3g", attr_method_name(m), k, e);
            attr_map_free(&all[k]);
            attr_map_free(&one[k]);
        }
    }
}

static void bf16_close_to_fp32(void **state) {
    (void)state;
    attr_options o;
    attr_options_default(&o);
    int t = 7;
    attr_method ms[2] = {ATTR_GC, ATTR_SL};
    double min_r[2] = {0.95, 0.6};
    for (int k = 0; k < 2; k++) {
        attr_map a, b;
        o.precision = NN_FP32;
        run1(&o, ms[k], x, &t, 1, 0, &a);
        o.precision = NN_BF16;
        run1(&o, ms[k], x, &t, 1, 0, &b);
        double r = pearson_f(a.map, b.map, 64 * 64);
        fprintf(stderr, "  %s bf16 vs fp32 map: Pearson %.4f\n", attr_method_name(ms[k]), r);
        assert_true(r >= min_r[k]);
        attr_map_free(&a);
        attr_map_free(&b);
    }
}

static void bad_requests_are_refused(void **state) {
    (void)state;
    attr_options o;
    attr_options_default(&o);
    cx_error err = {{0}};
    assert_int_equal(attr_ctx_set_options(ctx, &o, &err), 0);
    int t = 14;
    attr_request rq = {.x = x, .n_targets = 1, .targets = &t};
    attr_map out[1];
    assert_int_equal(attr_run(ctx, ATTR_SL, &rq, 1, out, &err), -1);
    assert_non_null(strstr(err.msg, "target 14"));
    snprintf(o.lc_layer, sizeof o.lc_layer, "features.nolayer");
    assert_int_equal(attr_ctx_set_options(ctx, &o, &err), 0);
    t = 1;
    assert_int_equal(attr_run(ctx, ATTR_LC, &rq, 1, out, &err), -1);
    assert_non_null(strstr(err.msg, "nolayer"));
    o.oc_patch = 100;
    assert_null(attr_ctx_create(net, 64, 64, &o, &err));
    assert_int_equal(attr_ctx_set_options(ctx, &o, &err), -1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(saliency_is_finite_difference),
        cmocka_unit_test(smoothgrad_without_noise_is_saliency),
        cmocka_unit_test(deeplift_sums_to_delta),
        cmocka_unit_test(ig_completeness_improves_with_steps),
        cmocka_unit_test(conductance_sums_to_delta),
        cmocka_unit_test(gradcam_and_conductance_coincide_after_relu),
        cmocka_unit_test(gradient_shap_zero_when_baselines_equal_input),
        cmocka_unit_test(stochastic_methods_repeat_for_a_seed),
        cmocka_unit_test(batching_equals_one_at_a_time),
        cmocka_unit_test(bf16_close_to_fp32),
        cmocka_unit_test(bad_requests_are_refused),
    };
    return cmocka_run_group_tests_name("attr/invariants", tests, setup, teardown);
}
