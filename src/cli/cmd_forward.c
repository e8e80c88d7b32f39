// cxrgaze forward: a model on an input tensor file -> logits (+ gaze maps), eval mode, batched.
// For Python users: X.safetensors "input" [N,3,H,W] (normalised) -> Y.safetensors "logits".
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "io/io.h"
#include "nn/nn.h"
#include "train/train.h"

static const char USAGE[] = "usage: cxrgaze forward --model M.safetensors --input X.safetensors "
                            "--out Y.safetensors [flags]";
static const char ABOUT[] =
    "Runs the model in eval mode (BN running statistics) on every sample of X.\n"
    "  X: tensor \"input\" [N,3,H,W], already normalised (METHODS.md: ImageNet mean/std),\n"
    "     F32 (F16, BF16, F64 are converted); H and W at least 32.\n"
    "  Y: tensor \"logits\" [N,K] F32 (K = the model's classes, order = its \"labels\"\n"
    "     metadata), and for a DenseNet-Aug model \"gaze\" [N,1,h,w] F32, the gaze head's\n"
    "     sigmoid output on the final feature map (h = H/32). Written atomically; nothing\n"
    "     is written on error.";

typedef struct forward_args {
    const char *model, *input, *out;
    nn_precision prec;
    int batch, ignore_unknown, progress;
} forward_args;

// Samples [n0, n0+nb) of the input tensor as fp32 into x (converted from any float dtype).
static int read_samples(const st_file *f, const st_tensor *t, int64_t n0, int nb, float *x,
                        cx_error *err) {
    size_t per = t->numel / (size_t)t->shape[0], es = st_dtype_size(t->dtype);
    st_tensor slice = *t;
    slice.data = (const char *)t->data + (size_t)n0 * per * es;
    slice.numel = (size_t)nb * per;
    slice.nbytes = slice.numel * es;
    slice.shape[0] = nb;
    return st_read_f32(f, &slice, x, err);
}

static int check_input(const st_file *f, const st_tensor **out, cx_error *err) {
    const st_tensor *t = st_find(f, "input");
    if (!t) return cx_fail(err, "%s: missing tensor \"input\" ([N,3,H,W] float)", f->path);
    if (t->dtype != ST_F32 && t->dtype != ST_F16 && t->dtype != ST_BF16 && t->dtype != ST_F64)
        return cx_fail(err, "%s: tensor \"input\": dtype %s, expected F32 (or F16, BF16, F64)",
                       f->path, st_dtype_name(t->dtype));
    if (t->ndim != 4 || t->shape[1] != 3)
        return cx_fail(err, "%s: tensor \"input\": %d dimensions%s, expected [N,3,H,W]", f->path,
                       t->ndim, t->ndim == 4 ? " with C != 3" : "");
    if (t->shape[0] < 1) return cx_fail(err, "%s: tensor \"input\": no samples (N = 0)", f->path);
    if (t->shape[2] < 32 || t->shape[3] < 32 || t->shape[2] > 8192 || t->shape[3] > 8192)
        return cx_fail(err,
                       "%s: tensor \"input\": images %lldx%lld, expected 32 to 8192 pixels "
                       "a side (DenseNet halves them five times)",
                       f->path, (long long)t->shape[2], (long long)t->shape[3]);
    if (t->shape[0] > INT32_MAX)
        return cx_fail(err, "%s: tensor \"input\": too many samples", f->path);
    *out = t;
    return 0;
}

static int run(const forward_args *a, cx_error *err) {
    densenet *net = NULL;
    densenet_plan *plan = NULL;
    st_file f = {0};
    float *x = NULL, *logits = NULL, *gaze = NULL;
    int rc = -1;
    model_meta meta;
    if (model_load_ex(a->model, a->ignore_unknown ? MODEL_LOAD_IGNORE_UNKNOWN : 0, &net, &meta,
                      err))
        return -1;
    char desc[160];
    model_describe(net, desc, sizeof desc);
    cx_verbose("forward: %s: %s", a->model, desc);
    if (st_open(&f, a->input, err)) goto out;
    const st_tensor *t = NULL;
    if (check_input(&f, &t, err)) goto out;
    const int n = (int)t->shape[0], h = (int)t->shape[2], w = (int)t->shape[3];
    const int k = densenet_cfg(net)->num_classes, head = densenet_cfg(net)->gaze_head;
    if (meta.input_size && (meta.input_size != h || meta.input_size != w))
        cx_warn("forward: %s was trained at %dx%d, %s holds %dx%d images", a->model,
                meta.input_size, meta.input_size, a->input, h, w);

    const int bmax = a->batch < n ? a->batch : n;
    const size_t per = (size_t)3 * h * w;
    x = cx_malloc(sizeof(float) * per * (size_t)bmax);
    logits = cx_malloc(sizeof(float) * (size_t)n * k);
    int fh = 0, fw = 0;
    cx_progress prog;
    int show = a->progress && n > bmax;
    if (show) cx_progress_start(&prog, "forward", "img", n);
    for (int n0 = 0; n0 < n; n0 += bmax) {
        int nb = n - n0 < bmax ? n - n0 : bmax;
        if (!plan || densenet_plan_batch(plan) != nb) { // one plan per batch size (last: rest)
            densenet_plan_free(plan);
            plan = densenet_plan_create(net, nb, h, w, a->prec, NN_EVAL, err);
            if (!plan) {
                cx_fail_wrap(err, "%s", a->model);
                goto out;
            }
            densenet_plan_feature_hw(plan, &fh, &fw);
            if (head && !gaze) gaze = cx_malloc(sizeof(float) * (size_t)n * fh * fw);
        }
        if (read_samples(&f, t, n0, nb, x, err)) goto out;
        if (densenet_forward(plan, x, logits + (size_t)n0 * k,
                             head ? gaze + (size_t)n0 * fh * fw : NULL, err)) {
            cx_fail_wrap(err, "%s: samples %d-%d", a->input, n0, n0 + nb - 1);
            goto out;
        }
        if (show) cx_progress_update(&prog, n0 + nb, NULL);
    }
    if (show) cx_progress_finish(&prog);

    st_writer *wr = st_writer_new();
    int64_t ls[2] = {n, k}, gs[4] = {n, 1, fh, fw};
    st_writer_add(wr, "logits", ST_F32, 2, ls, logits);
    if (head) st_writer_add(wr, "gaze", ST_F32, 4, gs, gaze);
    st_writer_meta(wr, "model", a->model);
    st_writer_meta(wr, "model_description", desc);
    st_writer_meta(wr, "precision", a->prec == NN_BF16 ? "bf16" : "fp32");
    st_writer_meta(wr, "cxrgaze_version", CX_VERSION);
    if (meta.n_labels) {
        char labels[MODEL_MAX_LABELS * 64 + 1];
        size_t len = 0;
        for (int i = 0; i < meta.n_labels; i++)
            len += (size_t)snprintf(labels + len, sizeof labels - len, "%s%s", i ? "," : "",
                                    meta.labels[i]);
        st_writer_meta(wr, "labels", labels);
    }
    rc = st_writer_write(wr, a->out, err);
    st_writer_free(wr);
out:
    densenet_plan_free(plan);
    densenet_free(net);
    if (f.map) st_close(&f);
    free(x);
    free(logits);
    free(gaze);
    return rc;
}

int cmd_forward(int argc, char **argv) {
    static const char cmd[] = "forward";
    forward_args a = {.prec = NN_FP32, .batch = 16, .progress = 1};
    const cli_flag flags[] = {
        CLI_FLAG_STRING("model", "FILE", &a.model, NULL,
                        "model weights, torchvision names (required)"),
        CLI_FLAG_STRING("input", "FILE", &a.input, NULL, "input tensor file (required)"),
        CLI_FLAG_STRING("out", "FILE", &a.out, NULL, "output tensor file (required)"),
        CLI_FLAG_PRECISION(&a.prec, "fp32; bf16 compute, fp32 weights", "fp32 | bf16"),
        CLI_FLAG_INT("batch", "B", &a.batch, 1, 4096, "16", "samples per forward pass"),
        CLI_FLAG_SWITCH("ignore-unknown", &a.ignore_unknown, 1, ": such a file is refused",
                        "load a model file that also holds tensors DenseNet does not have"),
        CLI_FLAG_THREADS,
        CLI_FLAG_SWITCH("quiet", &a.progress, 0, NULL, "no progress bar"),
        CLI_FLAG_HELP};
    const cli_table table = {cmd, USAGE, ABOUT, flags, CLI_N_FLAGS(flags), NULL};
    int r = cli_parse(&table, argc, argv, NULL, NULL);
    if (r != CLI_CONTINUE) return r;
    if (!a.model) return cli_usage_error(cmd, "--model is required");
    if (!a.input) return cli_usage_error(cmd, "--input is required");
    if (!a.out) return cli_usage_error(cmd, "--out is required");
    cx_error err = {{0}};
    if (run(&a, &err)) return cli_error(cmd, &err);
    return CLI_OK;
}
