// model: a model file on an input tensor file -> logits (+ gaze maps), eval mode, batched
// (`cxrgaze forward`).
#include <stdio.h>
#include <stdlib.h>

#include "model/model.h"

void model_forward_settings_default(model_forward_settings *s) {
    *s = (model_forward_settings){.precision = NN_FP32, .batch = 16, .progress = 1};
}

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

// Y: "logits" [N,K] and, with gs, "gaze" gs = [N,1,h,w], plus the metadata; atomically.
static int write_outputs(const model_forward_settings *a, const model_meta *meta, const char *desc,
                         const int64_t ls[2], const float *logits, const int64_t *gs,
                         const float *gaze, cx_error *err) {
    st_writer *wr = st_writer_new();
    st_writer_add(wr, "logits", ST_F32, 2, ls, logits);
    if (gs) st_writer_add(wr, "gaze", ST_F32, 4, gs, gaze);
    st_writer_meta(wr, "model", a->model);
    st_writer_meta(wr, "model_description", desc);
    st_writer_meta(wr, "precision", nn_precision_name(a->precision));
    st_writer_meta(wr, "cxrgaze_version", CX_VERSION);
    if (meta->n_labels) {
        char labels[MODEL_MAX_LABELS * 64 + 1];
        size_t len = 0;
        for (int i = 0; i < meta->n_labels; i++)
            len += (size_t)snprintf(labels + len, sizeof labels - len, "%s%s", i ? "," : "",
                                    meta->labels[i]);
        st_writer_meta(wr, "labels", labels);
    }
    int rc = st_writer_write(wr, a->out, err);
    st_writer_free(wr);
    return rc;
}

int model_forward(const model_forward_settings *a, cx_error *err) {
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
            plan = densenet_plan_create(net, nb, h, w, a->precision, NN_EVAL, err);
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

    int64_t ls[2] = {n, k}, gs[4] = {n, 1, fh, fw};
    rc = write_outputs(a, &meta, desc, ls, logits, head ? gs : NULL, gaze, err);
out:
    densenet_plan_free(plan);
    densenet_free(net);
    if (f.map) st_close(&f);
    free(x);
    free(logits);
    free(gaze);
    return rc;
}
