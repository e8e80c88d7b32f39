// attr plan reuse on the random DenseNet-121 of tests/ref/densenet_ref.py at 64x64: one context
// whose plans share one arena (nn_arena) and live across methods, chunks and calls gives maps
// bit-identical to a fresh context per call, for every method, in fp32 and bf16, with chunk
// sizes that leave partial last chunks, with methods run in different orders, across precision
// switches; arena plans (sharing memory and converted weights) equal private ones; an arena plan's
// backward refuses to run after another plan of the arena ran a forward. attr_logits equals
// PyTorch's logits whatever the chunking (padded last chunk included), and a context that ran it
// still gives maps bit-identical to fresh ones.
#include "attr_testlib.h"

static densenet *net;
static float *x;      // the model fixture's two inputs [2,3,64,64]
#define N_IN (3 * 64 * 64)

static int setup(void **state) {
    (void)state;
    net = load_ref_densenet121();
    st_file f;
    cx_error err;
    if (st_open(&f, fixture_path("densenet121_ref.safetensors"), &err)) return -1;
    x = attr_fixture(&f, "input", NULL);
    st_close(&f);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    densenet_free(net);
    free(x);
    return 0;
}

// Small step and sample counts whose sample totals (3 targets) split unevenly into max_batch.
static void options(attr_options *o, nn_precision prec, int max_batch) {
    attr_options_default(o);
    o->precision = prec;
    o->max_batch = max_batch;
    o->lc_steps = 4;
    o->ig_steps = 5;
    o->gs_samples = 2;
    o->nt_samples = 3;
    o->oc_patch = 32;
    o->oc_stride = 16;
}

// Two images, three (image, target) items: the maps of method m from context c.
static void run(attr_ctx *c, attr_method m, attr_map out[3]) {
    static const int t0[2] = {3, 7}, t1[1] = {1};
    attr_request rq[2] = {{.x = x, .n_targets = 2, .targets = t0, .stream = 11},
                          {.x = x + N_IN, .n_targets = 1, .targets = t1, .stream = 12}};
    cx_error err = {{0}};
    if (attr_run(c, m, rq, 2, out, &err)) fail_msg("%s: %s", attr_method_name(m), err.msg);
}

static int same_float(double a, double b) { return memcmp(&a, &b, sizeof a) == 0; }

static void assert_maps_equal(const attr_map *a, const attr_map *b, attr_method m) {
    for (int i = 0; i < 3; i++) {
        size_t n = (size_t)(a[i].raw_shape[0] * a[i].raw_shape[1] * a[i].raw_shape[2] *
                            a[i].raw_shape[3]);
        assert_memory_equal(a[i].raw_shape, b[i].raw_shape, sizeof a[i].raw_shape);
        if (memcmp(a[i].raw, b[i].raw, n * sizeof(float)) ||
            memcmp(a[i].map, b[i].map, (size_t)64 * 64 * sizeof(float)))
            fail_msg("%s item %d: reused-context map differs from a fresh context's",
                     attr_method_name(m), i);
        assert_true(same_float(a[i].logit, b[i].logit));
        assert_true(same_float(a[i].logit_baseline, b[i].logit_baseline));
        assert_true(same_float(a[i].delta, b[i].delta));
    }
}

// Every method twice through context c (forward order, then backward order; NULL: a new one),
// against a fresh context per method.
static void reuse_matches_fresh(attr_ctx *c, nn_precision prec, int max_batch) {
    attr_options o;
    options(&o, prec, max_batch);
    cx_error err = {{0}};
    attr_map want[ATTR_NMETHODS][3], got[3];
    for (int m = 0; m < ATTR_NMETHODS; m++) {
        attr_ctx *fresh = attr_ctx_create(net, 64, 64, &o, &err);
        if (!fresh) fail_msg("%s", err.msg);
        run(fresh, (attr_method)m, want[m]);
        attr_ctx_free(fresh);
    }
    attr_ctx *own = c ? NULL : attr_ctx_create(net, 64, 64, &o, &err);
    if (!c && !(c = own)) fail_msg("%s", err.msg);
    if (attr_ctx_set_options(c, &o, &err)) fail_msg("%s", err.msg);
    for (int pass = 0; pass < 2; pass++)
        for (int k = 0; k < ATTR_NMETHODS; k++) {
            attr_method m = (attr_method)(pass ? ATTR_NMETHODS - 1 - k : k);
            run(c, m, got);
            assert_maps_equal(got, want[m], m);
            for (int i = 0; i < 3; i++) attr_map_free(&got[i]);
        }
    attr_ctx_free(own);
    for (int m = 0; m < ATTR_NMETHODS; m++)
        for (int i = 0; i < 3; i++) attr_map_free(&want[m][i]);
}

static void reuse_fp32_batch3(void **state) {
    (void)state;
    reuse_matches_fresh(NULL, NN_FP32, 3);
}

static void reuse_fp32_batch4(void **state) {
    (void)state;
    reuse_matches_fresh(NULL, NN_FP32, 4);
}

static void reuse_bf16_batch5(void **state) {
    (void)state;
    reuse_matches_fresh(NULL, NN_BF16, 5);
}

// One context through fp32, bf16 and fp32 again: its arena keeps both precisions' weights.
static void reuse_across_precisions(void **state) {
    (void)state;
    attr_options o;
    options(&o, NN_FP32, 3);
    cx_error err = {{0}};
    attr_ctx *c = attr_ctx_create(net, 64, 64, &o, &err);
    if (!c) fail_msg("%s", err.msg);
    reuse_matches_fresh(c, NN_FP32, 3);
    reuse_matches_fresh(c, NN_BF16, 3);
    reuse_matches_fresh(c, NN_FP32, 5);
    attr_ctx_free(c);
}

// attr_logits on three images (x0, x1, x0) against PyTorch's eval logits of x0 and x1: chunks of
// 2 + 1 (the last padded to 2) and of 3; then the same context's maps still match fresh contexts'.
static void logits_match_torch_and_keep_maps(void **state) {
    (void)state;
    st_file f;
    cx_error err = {{0}};
    if (st_open(&f, fixture_path("densenet121_ref.safetensors"), &err)) fail_msg("%s", err.msg);
    float *want = attr_fixture(&f, "eval.logits", NULL); // [2,14]
    st_close(&f);
    float *in = cx_malloc(sizeof *in * 3 * N_IN), got[3 * 14];
    memcpy(in, x, sizeof *in * 2 * N_IN);
    memcpy(in + 2 * N_IN, x, sizeof *in * N_IN);
    const int batches[2] = {2, 3};
    for (int bi = 0; bi < 2; bi++) {
        attr_options o;
        options(&o, NN_FP32, batches[bi]);
        attr_ctx *c = attr_ctx_create(net, 64, 64, &o, &err);
        if (!c) fail_msg("%s", err.msg);
        for (int k = 0; k < 3 * 14; k++) got[k] = NAN;
        if (attr_logits(c, in, 3, got, &err)) fail_msg("%s", err.msg);
        for (int i = 0; i < 3; i++)
            for (int k = 0; k < 14; k++)
                assert_close(got[i * 14 + k], want[(i % 2) * 14 + k], 1e-4, 1e-5, "attr_logits");
        reuse_matches_fresh(c, NN_FP32, batches[bi]);
        attr_ctx_free(c);
    }
    free(in);
    free(want);
}

// Two plans in one arena: each gives its private twin's logits and input gradient; a plan's
// backward fails once the other ran a forward, and works again after its own forward.
static void arena_plans_share_one_pass(void **state) {
    (void)state;
    cx_error err = {{0}};
    nn_arena *a = nn_arena_create();
    densenet_plan *p1 = densenet_plan_create_in(a, net, 1, 64, 64, NN_FP32, NN_EVAL, &err);
    densenet_plan *p2 = densenet_plan_create_in(a, net, 2, 64, 64, NN_FP32, NN_EVAL, &err);
    densenet_plan *q2 = densenet_plan_create(net, 2, 64, 64, NN_FP32, NN_EVAL, &err);
    assert_non_null(p1);
    assert_non_null(p2);
    assert_non_null(q2);
    float lg[2][28], dl[28] = {0}, dx[2][2 * N_IN];
    dl[3] = 1;
    dl[14 + 5] = 1;
    assert_int_equal(densenet_forward(q2, x, lg[1], NULL, &err), 0);
    assert_int_equal(densenet_backward(q2, dl, NULL, dx[1], NN_GRAD_INPUT, &err), 0);
    assert_int_equal(densenet_forward(p2, x, lg[0], NULL, &err), 0);
    assert_int_equal(densenet_forward(p1, x, lg[0], NULL, &err), 0);
    assert_int_not_equal(densenet_backward(p2, dl, NULL, dx[0], NN_GRAD_INPUT, &err), 0);
    assert_non_null(strstr(err.msg, "another plan"));
    assert_int_equal(densenet_forward(p2, x, lg[0], NULL, &err), 0);
    assert_int_equal(densenet_backward(p2, dl, NULL, dx[0], NN_GRAD_INPUT, &err), 0);
    assert_memory_equal(lg[0], lg[1], sizeof lg[0]);
    assert_memory_equal(dx[0], dx[1], sizeof dx[0]);
    densenet_plan_free(p1);
    densenet_plan_free(p2);
    densenet_plan_free(q2);
    nn_arena_free(a);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reuse_fp32_batch3),
        cmocka_unit_test(reuse_fp32_batch4),
        cmocka_unit_test(reuse_bf16_batch5),
        cmocka_unit_test(reuse_across_precisions),
        cmocka_unit_test(arena_plans_share_one_pass),
        cmocka_unit_test(logits_match_torch_and_keep_maps),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
