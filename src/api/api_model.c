// api/api_model.c: the persistent model handle: a model loaded once, its forward plans and its
// attribution context (plans, arena) kept between calls (issue 16: load once, explain many);
// metadata, network input from grey pixels, forward.
#include <stdlib.h>
#include <string.h>

#include "api/api_internal.h"

cxg_status cxg_model_load(const char *path, unsigned flags, cxg_model **out) {
    static const char fn[] = "cxg_model_load";
    if (!out) return api_fail(CXG_ERR_ARGUMENT, "%s: out is NULL", fn);
    *out = NULL;
    cxg_status st = api_check_exists(fn, "model file", path);
    if (st) return st;
    if (flags & ~(unsigned)CXG_LOAD_IGNORE_UNKNOWN)
        return api_fail(CXG_ERR_ARGUMENT, "%s: unknown flags 0x%x", fn, flags);
    cxg_model *m = cx_calloc(1, sizeof *m);
    cx_error err = {{0}};
    unsigned mf = flags & CXG_LOAD_IGNORE_UNKNOWN ? MODEL_LOAD_IGNORE_UNKNOWN : 0;
    if (model_load_ex(path, mf, &m->net, &m->meta, &err)) {
        free(m);
        return api_fail_err(CXG_ERR_FILE, fn, &err);
    }
    *out = m;
    return api_ok();
}

void cxg_model_trim(cxg_model *m) {
    if (!m) return;
    for (int i = 0; i < API_FORWARD_PLANS; i++) {
        densenet_plan_free(m->fwd[i].plan);
        m->fwd[i].plan = NULL;
    }
    nn_arena_free(m->fwd_arena);
    m->fwd_arena = NULL;
    attr_ctx_free(m->ctx);
    m->ctx = NULL;
}

void cxg_model_free(cxg_model *m) {
    if (!m) return;
    cxg_model_trim(m);
    densenet_free(m->net);
    free(m);
}

int cxg_model_outputs(const cxg_model *m) { return m ? densenet_cfg(m->net)->num_classes : 0; }
int cxg_model_input_size(const cxg_model *m) { return m ? m->meta.input_size : 0; }
int cxg_model_has_gaze_head(const cxg_model *m) { return m ? densenet_cfg(m->net)->gaze_head : 0; }
const char *cxg_model_arch(const cxg_model *m) { return m ? densenet_cfg(m->net)->arch : NULL; }
int cxg_model_num_labels(const cxg_model *m) { return m ? m->meta.n_labels : 0; }

const char *cxg_model_label(const cxg_model *m, int i) {
    return m && i >= 0 && i < m->meta.n_labels ? m->meta.labels[i] : NULL;
}

void cxg_model_normalisation(const cxg_model *m, float mean[3], float std[3]) {
    if (!m) return;
    for (int c = 0; c < 3; c++) {
        if (mean) mean[c] = m->meta.mean[c];
        if (std) std[c] = m->meta.std[c];
    }
}

cxg_status cxg_model_input_from_gray(const cxg_model *m, const uint8_t *gray, int64_t n, int h,
                                     int w, float *x) {
    static const char fn[] = "cxg_model_input_from_gray";
    size_t npix;
    cxg_status st = api_check_dims(fn, n, 3, h, w, &npix);
    if (st) return st;
    if (!m || (n > 0 && (!gray || !x)))
        return api_fail(CXG_ERR_ARGUMENT, "%s: model, gray and x must be given", fn);
    for (int64_t i = 0; i < n; i++)
        model_input_u8(&m->meta, gray + npix * (size_t)i, npix, x + 3 * npix * (size_t)i);
    return api_ok();
}

// As nn/plan.c's plan_geometry: stem stride 2, max-pool stride 2 (both rounding up), three
// average-pool transitions (rounding down).
void cxg_model_feature_size(int h, int w, int *fh, int *fw) {
    int side[2] = {h, w};
    for (int k = 0; k < 2; k++) {
        int stem = (side[k] - 1) / 2 + 1, block1 = (stem - 1) / 2 + 1;
        side[k] = side[k] < 1 ? 0 : block1 / 8;
    }
    if (fh) *fh = side[0];
    if (fw) *fw = side[1];
}

// Input sizes the engine takes (as `cxrgaze forward`): 32..8192 pixels a side.
cxg_status api_check_input(const char *fn, const cxg_model *m, const float *x, int64_t n, int h,
                           int w, size_t *npix) {
    if (!m) return api_fail(CXG_ERR_ARGUMENT, "%s: model is NULL", fn);
    cxg_status st = api_check_dims(fn, n, 3, h, w, npix);
    if (st) return st;
    if (h < 32 || w < 32 || h > 8192 || w > 8192)
        return api_fail(CXG_ERR_ARGUMENT,
                        "%s: images %dx%d, expected 32 to 8192 pixels a side (DenseNet halves them "
                        "five times)", fn, h, w);
    if (n > INT32_MAX)
        return api_fail(CXG_ERR_ARGUMENT, "%s: too many images (%lld)", fn, (long long)n);
    if (n > 0 && !x) return api_fail(CXG_ERR_ARGUMENT, "%s: x is NULL", fn);
    return CXG_OK;
}

// The forward plan for (nb, h, w, precision): one of the handle's slots, the least recently used
// one replaced. Plans share the handle's forward arena (memory and converted weights).
static densenet_plan *forward_plan(cxg_model *m, int nb, int h, int w, nn_precision prec,
                                   cx_error *err) {
    int pick = 0;
    for (int i = 0; i < API_FORWARD_PLANS; i++) {
        api_forward_slot *f = &m->fwd[i];
        if (f->plan && f->batch == nb && f->h == h && f->w == w && f->precision == prec) {
            f->used = ++m->tick;
            return f->plan;
        }
        if (!f->plan || (m->fwd[pick].plan && f->used < m->fwd[pick].used)) pick = i;
    }
    if (!m->fwd_arena) m->fwd_arena = nn_arena_create();
    api_forward_slot *f = &m->fwd[pick];
    densenet_plan_free(f->plan);
    *f = (api_forward_slot){.batch = nb, .h = h, .w = w, .precision = prec, .used = ++m->tick};
    f->plan = densenet_plan_create_in(m->fwd_arena, m->net, nb, h, w, prec, NN_EVAL, err);
    return f->plan;
}

cxg_status cxg_model_forward(cxg_model *m, const float *x, int64_t n, int h, int w,
                             const cxg_settings *settings, float *logits, float *gaze) {
    static const char fn[] = "cxg_model_forward";
    size_t npix;
    cxg_status st = api_check_input(fn, m, x, n, h, w, &npix);
    if (st) return st;
    if (n > 0 && !logits) return api_fail(CXG_ERR_ARGUMENT, "%s: logits is NULL", fn);
    struct cxg_settings tmp;
    const struct cxg_settings *s = api_settings(settings, &tmp);
    const int k = densenet_cfg(m->net)->num_classes;
    int fh, fw;
    cxg_model_feature_size(h, w, &fh, &fw);
    if (!densenet_cfg(m->net)->gaze_head) gaze = NULL;
    // Batches as model_forward (`cxrgaze forward`): bmax = min(batch, n), the last one the rest.
    const int bmax = s->batch < n ? s->batch : (int)n;
    for (int64_t n0 = 0; n0 < n; n0 += bmax) {
        int nb = (int)(n - n0 < bmax ? n - n0 : bmax);
        cx_error err = {{0}};
        densenet_plan *p = forward_plan(m, nb, h, w, s->attr.precision, &err);
        if (!p) return api_fail_err(CXG_ERR_COMPUTE, fn, &err);
        if (densenet_forward(p, x + 3 * npix * (size_t)n0, logits + (size_t)n0 * k,
                             gaze ? gaze + (size_t)n0 * fh * fw : NULL, &err)) {
            cx_fail_wrap(&err, "images %lld-%lld", (long long)n0, (long long)(n0 + nb - 1));
            return api_fail_err(CXG_ERR_COMPUTE, fn, &err);
        }
    }
    return api_ok();
}
