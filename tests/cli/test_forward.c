// cli/forward: `cxrgaze forward` on the PyTorch fixtures (tests/ref/densenet_ref.py) against
// torchvision's float64 eval logits; batching (a last partial batch), F64 input, bf16, the gaze
// head (oracle: with the head set to classifier row 3, the spatial mean of logit(gaze) is
// logit 3); bad input exits 1 naming file and tensor and writes nothing; usage errors exit 2.
#include <sys/wait.h>

#include "test.h"

#include "io/io.h"
#include "train/train.h"

#define FIX121 "tests/fixtures/densenet121_ref.safetensors"
#define FIX169 "tests/fixtures/densenet169_ref.safetensors"

// test_out_path() returns one static buffer: keep each path in its own.
#define OUT_PATH(var, name)                                                                        \
    char var[4096];                                                                                \
    snprintf(var, sizeof var, "%s", test_out_path(name))

static const char *cxrgaze(void) {
    const char *b = getenv("CXRGAZE");
    return b && *b ? b : "build/cxrgaze";
}

// Runs `cxrgaze forward ARGS --quiet`, stderr into errfile; returns the exit status.
static int run_forward(const char *args, const char *errfile) {
    char line[8192];
    snprintf(line, sizeof line, "%s forward %s --quiet --threads 2 2>%s >/dev/null", cxrgaze(),
             args, errfile);
    int rc = system(line);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static char *slurp(const char *path) {
    char *d = NULL;
    size_t n;
    if (cx_read_file(path, &d, &n, NULL)) return cx_strdup("");
    return d;
}

static float *read_tensor(const char *path, const char *name, int ndim, const int64_t *shape) {
    st_file f;
    cx_error err = {0};
    if (st_open(&f, path, &err)) fail_msg("%s", err.msg);
    const st_tensor *t;
    if (st_expect(&f, name, ST_F32, ndim, shape, &t, &err)) fail_msg("%s", err.msg);
    float *out = cx_malloc(sizeof(float) * t->numel);
    memcpy(out, t->data, sizeof(float) * t->numel);
    st_close(&f);
    return out;
}

static void expect_logits(const char *out, const char *fixture, int n, double tol) {
    int64_t s[2] = {n, 14};
    float *got = read_tensor(out, "logits", 2, s),
          *want = read_tensor(fixture, "eval.logits", 2, s);
    double e = max_rel_err(got, want, (size_t)n * 14);
    if (!(e <= tol)) fail_msg("%s: logits max rel err %.3g > %.3g", fixture, e, tol);
    free(got);
    free(want);
}

static void fixture_logits_match_torch(void **state) {
    (void)state;
    OUT_PATH(out, "fwd_121.safetensors");
    OUT_PATH(errf, "fwd.err");
    char args[2048];
    // The fixture holds "input" [2,3,64,64] beside the weights; batch 1 -> two passes.
    snprintf(args, sizeof args, "--model %s --ignore-unknown --input %s --out %s --batch 1", FIX121,
             FIX121, out);
    if (run_forward(args, errf)) fail_msg("forward failed: %s", slurp(errf));
    expect_logits(out, FIX121, 2, 1e-4);
    st_file f;
    cx_error err = {0};
    assert_int_equal(st_open(&f, out, &err), 0);
    assert_string_equal(st_meta(&f, "precision"), "fp32");
    assert_null(st_find(&f, "gaze"));
    st_close(&f);

    snprintf(args, sizeof args, "--model %s --ignore-unknown --input %s --out %s", FIX169, FIX169,
             out);
    if (run_forward(args, errf)) fail_msg("forward 169 failed: %s", slurp(errf));
    expect_logits(out, FIX169, 1, 1e-4);

    // bf16 compute (AMX): measured max rel err 2.3e-2 against float64 on this fixture.
    snprintf(args, sizeof args,
             "--model %s --ignore-unknown --input %s --out %s "
             "--precision bf16",
             FIX121, FIX121, out);
    if (run_forward(args, errf)) fail_msg("forward bf16 failed: %s", slurp(errf));
    expect_logits(out, FIX121, 2, 6e-2);
}

// 3 samples [s1, s0, s1] as F64 with batch 2: a full and a partial batch, converted input.
static void partial_batch_and_f64_input(void **state) {
    (void)state;
    OUT_PATH(in, "fwd_in3.safetensors");
    OUT_PATH(out, "fwd_3.safetensors");
    OUT_PATH(errf, "fwd.err");
    int64_t s4[4] = {2, 3, 64, 64}, s3[4] = {3, 3, 64, 64};
    float *x = read_tensor(FIX121, "input", 4, s4);
    size_t per = 3 * 64 * 64;
    double *x3 = cx_malloc(sizeof(double) * 3 * per);
    for (size_t i = 0; i < per; i++) {
        x3[i] = x[per + i];
        x3[per + i] = x[i];
        x3[2 * per + i] = x[per + i];
    }
    st_writer *w = st_writer_new();
    st_writer_add(w, "input", ST_F64, 4, s3, x3);
    cx_error err = {0};
    assert_int_equal(st_writer_write(w, in, &err), 0);
    st_writer_free(w);
    char args[2048];
    snprintf(args, sizeof args, "--model %s --ignore-unknown --input %s --out %s --batch 2", FIX121,
             in, out);
    if (run_forward(args, errf)) fail_msg("forward failed: %s", slurp(errf));
    int64_t sl[2] = {3, 14}, sw[2] = {2, 14};
    float *got = read_tensor(out, "logits", 2, sl),
          *want = read_tensor(FIX121, "eval.logits", 2, sw);
    float want3[3 * 14];
    memcpy(want3, want + 14, 14 * sizeof(float));
    memcpy(want3 + 14, want, 14 * sizeof(float));
    memcpy(want3 + 28, want + 14, 14 * sizeof(float));
    double e = max_rel_err(got, want3, 3 * 14);
    if (!(e <= 1e-4)) fail_msg("partial batch: logits max rel err %.3g", e);
    free(got);
    free(want);
    free(x);
    free(x3);
}

// A DenseNet-Aug model whose head is classifier row 3: gaze = sigmoid(w3 . F_ij + b3), so the
// spatial mean of logit(gaze) equals logit 3 (global average pooling is linear).
static void gaze_head_output(void **state) {
    (void)state;
    OUT_PATH(model, "fwd_aug.safetensors");
    OUT_PATH(out, "fwd_aug_out.safetensors");
    OUT_PATH(errf, "fwd.err");
    cx_error err = {0};
    densenet *plain = NULL;
    if (model_load_ex(FIX121, MODEL_LOAD_IGNORE_UNKNOWN, &plain, NULL, &err))
        fail_msg("%s", err.msg);
    densenet_config cfg = *densenet_cfg(plain);
    cfg.gaze_head = 1;
    densenet *aug = densenet_create(&cfg);
    for (int i = 0; i < densenet_num_tensors(plain); i++) {
        const nn_tensor_info *a = densenet_tensor(plain, i), *b = densenet_tensor(aug, i);
        if (a->kind == NN_COUNTER)
            *b->counter = *a->counter;
        else
            memcpy(b->data, a->data, a->numel * sizeof(float));
    }
    const nn_tensor_info *cw = densenet_find_tensor(aug, "classifier.weight"),
                         *cb = densenet_find_tensor(aug, "classifier.bias"),
                         *gw = densenet_find_tensor(aug, "gaze_head.weight"),
                         *gb = densenet_find_tensor(aug, "gaze_head.bias");
    memcpy(gw->data, cw->data + 3 * 1024, 1024 * sizeof(float));
    gb->data[0] = cb->data[3];
    assert_int_equal(model_save(aug, model, NULL, &err), 0);
    char args[2048];
    snprintf(args, sizeof args, "--model %s --input %s --out %s", model, FIX121, out);
    if (run_forward(args, errf)) fail_msg("forward failed: %s", slurp(errf));
    expect_logits(out, FIX121, 2, 1e-4); // the head leaves the logits alone
    int64_t sg[4] = {2, 1, 2, 2}, sw[2] = {2, 14};
    float *g = read_tensor(out, "gaze", 4, sg), *want = read_tensor(FIX121, "eval.logits", 2, sw);
    for (int n = 0; n < 2; n++) {
        double mean = 0;
        for (int j = 0; j < 4; j++) {
            double p = g[n * 4 + j];
            assert_true(p > 0 && p < 1);
            mean += log(p / (1 - p)) / 4;
        }
        assert_close(mean, want[n * 14 + 3], 1e-4, 1e-4, "mean logit(gaze) vs logit 3");
    }
    free(g);
    free(want);
    densenet_free(plain);
    densenet_free(aug);
}

// Exit 1, the message names `frag1` and `frag2`, and no output file appears.
static void expect_bad(const char *args, const char *out, const char *frag1, const char *frag2) {
    OUT_PATH(errf, "fwd_bad.err");
    remove(out);
    int rc = run_forward(args, errf);
    char *msg = slurp(errf);
    if (rc != 1) fail_msg("exit %d (want 1) for %s: %s", rc, args, msg);
    if (frag1 && !strstr(msg, frag1)) fail_msg("no '%s' in: %s", frag1, msg);
    if (frag2 && !strstr(msg, frag2)) fail_msg("no '%s' in: %s", frag2, msg);
    if (cx_path_exists(out)) fail_msg("%s was written despite the error", out);
    free(msg);
}

static void bad_input_exits_1_and_writes_nothing(void **state) {
    (void)state;
    OUT_PATH(in, "fwd_bad_in.safetensors");
    OUT_PATH(out, "fwd_bad_out.safetensors");
    char args[2048];
    cx_error err = {0};
    float img[2 * 1 * 64 * 64] = {0};
    int32_t ints[1 * 3 * 64 * 64] = {0};
    int64_t s1[4] = {2, 1, 64, 64}, s3[4] = {1, 3, 64, 64}, s_small[4] = {1, 3, 16, 16};

    st_writer *w = st_writer_new(); // no tensor "input"
    st_writer_add(w, "images", ST_F32, 4, s1, img);
    assert_int_equal(st_writer_write(w, in, &err), 0);
    st_writer_free(w);
    snprintf(args, sizeof args, "--model %s --ignore-unknown --input %s --out %s", FIX121, in, out);
    expect_bad(args, out, in, "missing tensor \"input\"");

    w = st_writer_new(); // one channel
    st_writer_add(w, "input", ST_F32, 4, s1, img);
    assert_int_equal(st_writer_write(w, in, &err), 0);
    st_writer_free(w);
    expect_bad(args, out, in, "expected [N,3,H,W]");

    w = st_writer_new(); // integers
    st_writer_add(w, "input", ST_I32, 4, s3, ints);
    assert_int_equal(st_writer_write(w, in, &err), 0);
    st_writer_free(w);
    expect_bad(args, out, in, "dtype I32");

    w = st_writer_new(); // too small for five halvings
    st_writer_add(w, "input", ST_F32, 4, s_small, img);
    assert_int_equal(st_writer_write(w, in, &err), 0);
    st_writer_free(w);
    expect_bad(args, out, in, "16x16");

    // Strict model loading: the fixture holds reference tensors besides the weights.
    snprintf(args, sizeof args, "--model %s --input %s --out %s", FIX121, FIX121, out);
    expect_bad(args, out, FIX121, "not part of densenet121");
    snprintf(args, sizeof args, "--model %s --input %s --out %s",
             test_out_path("fwd_no_such_model.safetensors"), FIX121, out);
    expect_bad(args, out, "fwd_no_such_model.safetensors", NULL);
}

static void usage_errors_exit_2(void **state) {
    (void)state;
    OUT_PATH(errf, "fwd_usage.err");
    assert_int_equal(run_forward("--model m --input x", errf), 2);
    char *msg = slurp(errf);
    assert_non_null(strstr(msg, "--out is required"));
    free(msg);
    assert_int_equal(run_forward("--model m --input x --out y --precision fp8", errf), 2);
    assert_int_equal(run_forward("--model m --input x --out y --batch 0", errf), 2);
    assert_int_equal(run_forward("--model m --input x --out y --bogus", errf), 2);
    char line[4096];
    snprintf(line, sizeof line, "%s forward --help > %s", cxrgaze(), errf);
    int rc = system(line);
    assert_true(WIFEXITED(rc) && WEXITSTATUS(rc) == 0);
    msg = slurp(errf);
    const char *flags[] = {"--model",   "--input",          "--out",  "--precision", "--batch",
                           "--threads", "--ignore-unknown", "--quiet"};
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
        if (!strstr(msg, flags[i])) fail_msg("--help lacks %s", flags[i]);
    free(msg);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(usage_errors_exit_2),
        cmocka_unit_test(bad_input_exits_1_and_writes_nothing),
        cmocka_unit_test(fixture_logits_match_torch),
        cmocka_unit_test(partial_batch_and_f64_input),
        cmocka_unit_test(gaze_head_output),
    };
    return cmocka_run_group_tests_name("cli/forward", tests, NULL, NULL);
}
