// api/api_attr.c: attributions on a model handle (maps or Captum-shaped raw arrays), run the way
// the attribute stage runs them (study/attribute.c), on the handle's kept attribution context.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_internal.h"

// Images explained together in one attr_run: study/attribute.c's IMAGES_PER_CALL. Equal maps to
// `cxrgaze attribute` need the same grouping (the engine's batch shapes follow from it); the
// Python tests compare the two bit for bit.
#define IMAGES_PER_CALL 4

struct cxg_array {
    int ndim;
    int64_t shape[8];
    float *data;
};

int cxg_array_ndim(const cxg_array *a) { return a ? a->ndim : 0; }
const int64_t *cxg_array_shape(const cxg_array *a) { return a ? a->shape : NULL; }
float *cxg_array_data(cxg_array *a) { return a ? a->data : NULL; }
void cxg_array_free(cxg_array *a) {
    if (!a) return;
    free(a->data);
    free(a);
}

// Where one call's results go: maps [n,t,h,w] or a raw array allocated at the first result.
typedef struct attr_sink {
    float *maps;       // or NULL
    cxg_array **raw;   // or NULL
    float *delta;      // [n,t] or NULL
    int64_t n;
    int t;
    size_t npix;
} attr_sink;

static void sink_take(attr_sink *k, int64_t item, const attr_map *am) {
    if (k->maps) memcpy(k->maps + k->npix * (size_t)item, am->map, sizeof(float) * k->npix);
    if (k->raw) {
        size_t per = (size_t)(am->raw_shape[1] * am->raw_shape[2] * am->raw_shape[3]);
        if (!*k->raw) {
            cxg_array *a = cx_calloc(1, sizeof *a);
            a->ndim = 5;
            int64_t shape[5] = {k->n, k->t, am->raw_shape[1], am->raw_shape[2], am->raw_shape[3]};
            memcpy(a->shape, shape, sizeof shape);
            a->data = cx_malloc(sizeof(float) * per * (size_t)k->n * (size_t)k->t);
            *k->raw = a;
        }
        memcpy((*k->raw)->data + per * (size_t)item, am->raw, sizeof(float) * per);
    }
    if (k->delta) k->delta[item] = (float)am->delta;
}

// The handle's attribution context for h x w inputs with options opt (kept between calls: plans
// and arena survive; new options keep the plans unless the precision changes).
static attr_ctx *model_ctx(cxg_model *m, int h, int w, const attr_options *opt, cx_error *err) {
    if (m->ctx && (m->ctx_h != h || m->ctx_w != w)) {
        attr_ctx_free(m->ctx);
        m->ctx = NULL;
    }
    if (m->ctx) return attr_ctx_set_options(m->ctx, opt, err) ? NULL : m->ctx;
    m->ctx = attr_ctx_create(m->net, h, w, opt, err);
    m->ctx_h = h, m->ctx_w = w;
    return m->ctx;
}

static cxg_status run(const char *fn, cxg_model *m, const char *method, const float *x, int64_t n,
                      int h, int w, const int32_t *targets, int t, const cxg_settings *settings,
                      attr_sink *sink) {
    size_t npix;
    cxg_status st = api_check_input(fn, m, x, n, h, w, &npix);
    if (st) return st;
    cx_error err = {{0}};
    attr_method am;
    if (!method || attr_method_parse(method, &am, &err))
        return method ? api_fail_err(CXG_ERR_ARGUMENT, fn, &err)
                      : api_fail(CXG_ERR_ARGUMENT, "%s: method is NULL", fn);
    const int k = densenet_cfg(m->net)->num_classes;
    if (t < 1 || t > k)
        return api_fail(CXG_ERR_ARGUMENT, "%s: %d targets per image, expected 1 to %d", fn, t, k);
    if (n > 0 && !targets) return api_fail(CXG_ERR_ARGUMENT, "%s: targets is NULL", fn);
    for (int64_t i = 0; i < n * t; i++)
        if (targets[i] < 0 || targets[i] >= k)
            return api_fail(CXG_ERR_ARGUMENT,
                            "%s: target %d of image %lld is out of range: the model has %d outputs",
                            fn, targets[i], (long long)(i / t), k);
    struct cxg_settings tmp;
    const struct cxg_settings *s = api_settings(settings, &tmp);
    attr_options opt = s->attr;
    model_input_black(&m->meta, opt.black); // as study_attribute: the model's own black pixel
    if (n == 0) return api_ok();
    attr_ctx *ctx = model_ctx(m, h, w, &opt, &err);
    if (!ctx) return api_fail_err(CXG_ERR_ARGUMENT, fn, &err);
    sink->n = n, sink->t = t, sink->npix = npix;
    _Static_assert(sizeof(int) == sizeof(int32_t), "attr_request.targets is int");
    attr_request rq[IMAGES_PER_CALL];
    attr_map *res = cx_malloc(sizeof *res * IMAGES_PER_CALL * (size_t)t);
    st = CXG_OK;
    for (int64_t i0 = 0; i0 < n && !st; i0 += IMAGES_PER_CALL) {
        int nb = (int)(n - i0 < IMAGES_PER_CALL ? n - i0 : IMAGES_PER_CALL);
        for (int j = 0; j < nb; j++)
            rq[j] = (attr_request){.x = x + 3 * npix * (size_t)(i0 + j),
                                   .n_targets = t,
                                   .targets = (const int *)targets + (size_t)(i0 + j) * t,
                                   .stream = s->stream + (uint64_t)(i0 + j)};
        if (attr_run(ctx, am, rq, nb, res, &err)) {
            cx_fail_wrap(&err, "images %lld-%lld", (long long)i0, (long long)(i0 + nb - 1));
            st = api_fail_err(CXG_ERR_COMPUTE, fn, &err);
            break;
        }
        for (int o = 0; o < nb * t; o++) {
            sink_take(sink, i0 * t + o, &res[o]);
            attr_map_free(&res[o]);
        }
    }
    free(res);
    return st ? st : api_ok();
}

cxg_status cxg_model_attribute(cxg_model *m, const char *method, const float *x, int64_t n, int h,
                               int w, const int32_t *targets, int t, const cxg_settings *s,
                               float *maps, float *delta) {
    if (n > 0 && !maps)
        return api_fail(CXG_ERR_ARGUMENT, "cxg_model_attribute: maps is NULL");
    attr_sink sink = {.maps = maps, .delta = delta};
    return run("cxg_model_attribute", m, method, x, n, h, w, targets, t, s, &sink);
}

cxg_status cxg_model_attribute_raw(cxg_model *m, const char *method, const float *x, int64_t n,
                                   int h, int w, const int32_t *targets, int t,
                                   const cxg_settings *s, cxg_array **raw, float *delta) {
    static const char fn[] = "cxg_model_attribute_raw";
    if (!raw) return api_fail(CXG_ERR_ARGUMENT, "%s: raw is NULL", fn);
    *raw = NULL;
    if (n == 0) return api_fail(CXG_ERR_ARGUMENT, "%s: no images (the raw shape needs one)", fn);
    attr_sink sink = {.raw = raw, .delta = delta};
    cxg_status st = run(fn, m, method, x, n, h, w, targets, t, s, &sink);
    if (st) {
        cxg_array_free(*raw);
        *raw = NULL;
    }
    return st;
}
