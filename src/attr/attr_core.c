// attr/attr_core.c: method names and options, the context with its plan cache, dispatch.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "attr/attr_internal.h"

// One name per attr_method and per attr_baseline, in enum order.
static const char *const method_names[] = {"sl", "gc", "dl", "lc", "gs", "nt", "ig", "oc"};
_Static_assert(sizeof method_names / sizeof *method_names == ATTR_NMETHODS,
               "method_names must name every attr_method");
static const char *const baseline_names[] = {"zero", "black", "blur"};
_Static_assert(sizeof baseline_names / sizeof *baseline_names == ATTR_BASELINE_BLUR + 1,
               "baseline_names must name every attr_baseline");

const char *attr_method_name(attr_method m) {
    return (unsigned)m < ATTR_NMETHODS ? method_names[m] : "?";
}

int attr_method_parse(const char *name, attr_method *m, cx_error *err) {
    for (int i = 0; i < ATTR_NMETHODS; i++)
        if (!strcmp(name, method_names[i])) {
            *m = (attr_method)i;
            return 0;
        }
    return cx_fail(err, "unknown attribution method \"%s\" (expected sl, gc, dl, lc, gs, nt, ig, oc)",
                   name);
}

int attr_methods_parse(const char *list, attr_method *methods, int *n, cx_error *err) {
    *n = 0;
    const char *s = list;
    while (*s) {
        const char *e = strchr(s, ',');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        char name[16];
        if (len == 0 || len >= sizeof name)
            return cx_fail(err, "bad method list \"%s\" (expected e.g. sl,gc,dl)", list);
        memcpy(name, s, len);
        name[len] = 0;
        attr_method m = ATTR_SL; // set by the parse (gcc, inlining it, cannot tell)
        if (attr_method_parse(name, &m, err)) return -1;
        for (int i = 0; i < *n; i++)
            if (methods[i] == m) return cx_fail(err, "method \"%s\" listed twice in \"%s\"", name, list);
        methods[(*n)++] = m;
        s = e ? e + 1 : s + len;
    }
    if (*n == 0) return cx_fail(err, "empty method list");
    return 0;
}

// What each preset sets, in attr_preset's order (attr.h says why).
const char *const ATTR_PRESET_NAMES[ATTR_N_PRESETS] = {"cxrgaze", "captum"};
static const struct preset_settings {
    attr_baseline baseline;
    attr_upsample upsample;
    int gc_relu, lc_steps, dl_captum_compat, gs_samples;
    unsigned gs_baselines;
    double gs_stdev;
    int nt_samples;
    double nt_stdev; // < 0: 0.15 * (max(x) - min(x))
    int ig_steps;
} presets[ATTR_N_PRESETS] = {
    [ATTR_PRESET_CXRGAZE] = {ATTR_BASELINE_ZERO, ATTR_UPSAMPLE_BILINEAR, 1, 50, 0, 5,
                             (1u << ATTR_BASELINE_ZERO) | (1u << ATTR_BASELINE_BLUR), 0, 25, -1, 50},
    [ATTR_PRESET_CAPTUM] = {ATTR_BASELINE_ZERO, ATTR_UPSAMPLE_NEAREST, 0, 50, 1, 5,
                            1u << ATTR_BASELINE_ZERO, 0, 5, 1.0, 50},
};

const char *attr_preset_name(attr_preset p) {
    return (unsigned)p < ATTR_N_PRESETS ? ATTR_PRESET_NAMES[p] : "?";
}

void attr_options_preset(attr_options *o, attr_preset p) {
    CX_ASSERT((unsigned)p < ATTR_N_PRESETS);
    const struct preset_settings *s = &presets[p];
    o->preset = p;
    o->baseline = s->baseline;
    o->upsample = s->upsample;
    o->gc_relu = s->gc_relu;
    o->lc_steps = s->lc_steps;
    o->dl_captum_compat = s->dl_captum_compat;
    o->gs_samples = s->gs_samples;
    o->gs_baselines = s->gs_baselines;
    o->gs_stdev = s->gs_stdev;
    o->nt_samples = s->nt_samples;
    o->nt_stdev = s->nt_stdev;
    o->ig_steps = s->ig_steps;
}

const char *attr_baseline_name(attr_baseline b) {
    return (unsigned)b <= ATTR_BASELINE_BLUR ? baseline_names[b] : "?";
}

void attr_baselines_text(unsigned set, const char *sep, char *buf, size_t cap) {
    size_t at = 0;
    buf[0] = 0;
    for (int b = ATTR_BASELINE_ZERO; b <= ATTR_BASELINE_BLUR && at < cap; b++)
        if (set & (1u << b))
            at += (size_t)snprintf(buf + at, cap - at, "%s%s", at ? sep : "",
                                   attr_baseline_name((attr_baseline)b));
}

int attr_baseline_parse(const char *name, attr_baseline *b, cx_error *err) {
    for (int i = 0; i <= ATTR_BASELINE_BLUR; i++)
        if (!strcmp(name, baseline_names[i])) {
            *b = (attr_baseline)i;
            return 0;
        }
    return cx_fail(err, "unknown baseline \"%s\" (expected zero, black or blur)", name);
}

void attr_options_default(attr_options *o) {
    memset(o, 0, sizeof *o);
    o->precision = NN_FP32;
    o->max_batch = 16;
    o->seed = 0;
    o->blur_sigma_frac = 0.1;
    model_meta imagenet;
    model_meta_init(&imagenet, 0);
    model_input_black(&imagenet, o->black);
    snprintf(o->gc_layer, sizeof o->gc_layer, "features.norm5");
    snprintf(o->lc_layer, sizeof o->lc_layer, "features.norm5");
    o->oc_patch = 16;
    o->oc_stride = 8;
    attr_options_preset(o, ATTR_PRESET_CXRGAZE);
}

static int check_options(const attr_options *opt, int h, int w, cx_error *err) {
    if (opt->max_batch < 2 || opt->lc_steps < 1 || opt->ig_steps < 1 || opt->gs_samples < 1 ||
        opt->nt_samples < 1 || opt->oc_patch < 1 || opt->oc_stride < 1 ||
        opt->oc_stride > opt->oc_patch || opt->oc_patch > (h < w ? h : w) ||
        !(opt->gs_baselines & 7u) || opt->blur_sigma_frac < 0)
        return cx_fail(err, "invalid attribution options (max_batch >= 2, steps/samples >= 1, "
                            "1 <= oc_stride <= oc_patch <= image size %dx%d, at least one GS "
                            "baseline, blur sigma >= 0)", h, w);
    return 0;
}

attr_ctx *attr_ctx_create(densenet *net, int h, int w, const attr_options *opt, cx_error *err) {
    if (h < 32 || w < 32) {
        cx_fail(err, "attribution input %dx%d too small (DenseNet needs at least 32x32)", h, w);
        return NULL;
    }
    if (check_options(opt, h, w, err)) return NULL;
    attr_ctx *c = cx_calloc(1, sizeof *c);
    c->net = net;
    c->h = h;
    c->w = w;
    c->k = densenet_cfg(net)->num_classes;
    c->opt = *opt;
    c->arena = nn_arena_create();
    return c;
}

int attr_ctx_set_options(attr_ctx *c, const attr_options *opt, cx_error *err) {
    if (check_options(opt, c->h, c->w, err)) return -1;
    if (opt->precision != c->opt.precision) attr_ctx_drop_plans(c);
    c->opt = *opt;
    return 0;
}

void attr_ctx_drop_plans(attr_ctx *c) {
    for (int i = 0; i < ATTR_PLAN_SLOTS; i++) {
        densenet_plan_free(c->slot[i].plan);
        c->slot[i].plan = NULL;
        c->slot[i].batch = 0;
    }
}

float *attr_buf(attr_ctx *c, attr_buf_id id, size_t n) {
    if (c->buf[id].cap < n) {
        cx_huge_free(c->buf[id].p);
        c->buf[id].p = cx_huge_alloc(sizeof(float) * n);
        c->buf[id].cap = n;
    }
    return c->buf[id].p;
}

void attr_ctx_free(attr_ctx *c) {
    if (!c) return;
    attr_ctx_drop_plans(c);
    nn_arena_free(c->arena);
    for (int i = 0; i < ATTR_N_BUFS; i++) cx_huge_free(c->buf[i].p);
    free(c);
}

void attr_ctx_counters(const attr_ctx *c, int64_t *forwards, int64_t *backwards, int64_t *samples) {
    if (forwards) *forwards = c->n_forward;
    if (backwards) *backwards = c->n_backward;
    if (samples) *samples = c->n_samples;
}

densenet_plan *attr_plan(attr_ctx *c, int batch, const char *tap, cx_error *err) {
    int pick = -1;
    for (int i = 0; i < ATTR_PLAN_SLOTS; i++)
        if (c->slot[i].plan && c->slot[i].batch == batch) pick = i;
    if (pick < 0) {
        // a free slot, else the least recently used
        for (int i = 0; i < ATTR_PLAN_SLOTS; i++)
            if (!c->slot[i].plan) {
                pick = i;
                break;
            }
        if (pick < 0) {
            pick = 0;
            for (int i = 1; i < ATTR_PLAN_SLOTS; i++)
                if (c->slot[i].used < c->slot[pick].used) pick = i;
            densenet_plan_free(c->slot[pick].plan);
            c->slot[pick].plan = NULL;
        }
        densenet_plan *p = densenet_plan_create_in(c->arena, c->net, batch, c->h, c->w,
                                                   c->opt.precision, NN_EVAL, err);
        if (!p) return NULL;
        c->slot[pick].plan = p;
        c->slot[pick].batch = batch;
        c->slot[pick].tap[0] = 0;
    }
    c->slot[pick].used = ++c->tick;
    if (strcmp(c->slot[pick].tap, tap ? tap : "")) {
        if (densenet_set_tap(c->slot[pick].plan, tap, err)) return NULL;
        snprintf(c->slot[pick].tap, sizeof c->slot[pick].tap, "%s", tap ? tap : "");
    }
    return c->slot[pick].plan;
}

int attr_forward(attr_ctx *c, densenet_plan *p, const float *x, float *logits, cx_error *err) {
    c->n_forward++;
    c->n_samples += densenet_plan_batch(p);
    return densenet_forward(p, x, logits, NULL, err);
}

int attr_backward(attr_ctx *c, densenet_plan *p, const float *dlogits, float *dx, unsigned flags,
                  cx_error *err) {
    c->n_backward++;
    return densenet_backward(p, dlogits, NULL, dx, flags, err);
}

int attr_n_chunks(int total, int max) { return total <= 0 ? 0 : (total + max - 1) / max; }

int attr_chunk_size(int total, int n_chunks, int i) {
    return total / n_chunks + (i < total % n_chunks ? 1 : 0);
}

static uint64_t mix64(uint64_t z) {
    z += 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void attr_sample_rng(uint64_t seed, uint64_t stream, attr_method m, int target, int sample,
                     cx_rng *r) {
    uint64_t id = mix64(stream) ^ mix64(((uint64_t)m << 48) ^ ((uint64_t)(uint32_t)target << 24) ^
                                        (uint64_t)(uint32_t)sample);
    cx_rng_seed(r, seed, id);
}

void attr_map_init(attr_map *out, int request, int target, const int64_t shape[4], int h, int w) {
    memset(out, 0, sizeof *out);
    out->request = request;
    out->target = target;
    memcpy(out->raw_shape, shape, 4 * sizeof *shape);
    size_t n = (size_t)(shape[0] * shape[1] * shape[2] * shape[3]);
    out->raw = cx_calloc(n, sizeof *out->raw);
    out->map = cx_calloc((size_t)h * w, sizeof *out->map);
    out->logit = NAN;
    out->logit_baseline = NAN;
    out->delta = NAN;
}

void attr_map_channel_sum(attr_map *m, int h, int w) {
    size_t plane = (size_t)h * w;
    int ch = (int)m->raw_shape[1];
    for (size_t i = 0; i < plane; i++) {
        float s = 0;
        for (int k = 0; k < ch; k++) s += m->raw[k * plane + i];
        m->map[i] = s;
    }
}

void attr_map_free(attr_map *m) {
    if (!m) return;
    free(m->raw);
    free(m->map);
    m->raw = m->map = NULL;
}

int attr_count_items(const attr_ctx *c, const attr_request *req, int n_req, cx_error *err) {
    int n = 0;
    for (int i = 0; i < n_req; i++) {
        if (req[i].n_targets < 0) return cx_fail(err, "request %d: negative target count", i);
        for (int t = 0; t < req[i].n_targets; t++)
            if (req[i].targets[t] < 0 || req[i].targets[t] >= c->k)
                return cx_fail(err, "request %d: target %d out of range (model has %d outputs)", i,
                               req[i].targets[t], c->k);
        n += req[i].n_targets;
    }
    return n;
}

int attr_logits(attr_ctx *c, const float *x, int64_t n, float *logits, cx_error *err) {
    if (n < 1) return 0;
    size_t in = (size_t)3 * c->h * c->w;
    int64_t n_chunks = (n + c->opt.max_batch - 1) / c->opt.max_batch; // near-equal chunks
    int bmax = (int)((n + n_chunks - 1) / n_chunks);
    densenet_plan *p = attr_plan(c, bmax, NULL, err);
    if (!p) return -1;
    float *xin = attr_buf(c, ATTR_BUF_XIN, in * bmax);                 // [B,3,H,W]
    float *out = attr_buf(c, ATTR_BUF_LOGITS, (size_t)c->k * bmax);    // [B,K]
    for (int64_t i0 = 0; i0 < n; i0 += bmax) {
        int b = (int)(n - i0 < bmax ? n - i0 : bmax);
        memcpy(xin, x + in * i0, sizeof *xin * in * b);
        memset(xin + in * b, 0, sizeof *xin * in * (size_t)(bmax - b));
        if (attr_forward(c, p, xin, out, err)) return -1;
        memcpy(logits + (size_t)c->k * i0, out, sizeof *out * c->k * b);
    }
    return 0;
}

int attr_run(attr_ctx *c, attr_method m, const attr_request *req, int n_req, attr_map *out,
             cx_error *err) {
    int n_items = attr_count_items(c, req, n_req, err);
    if (n_items < 0) return -1;
    memset(out, 0, sizeof *out * (size_t)n_items);
    if (n_items == 0) return 0;
    int rc;
    switch (m) {
    case ATTR_SL: case ATTR_NT: case ATTR_GS: case ATTR_IG:
        rc = attr_run_gradient(c, m, req, n_req, out, err);
        break;
    case ATTR_DL:
        rc = attr_run_deeplift(c, req, n_req, out, err);
        break;
    case ATTR_GC: case ATTR_LC:
        rc = attr_run_layer(c, m, req, n_req, out, err);
        break;
    case ATTR_OC:
        rc = attr_run_occlusion(c, req, n_req, out, err);
        break;
    default:
        return cx_fail(err, "unknown attribution method %d", (int)m);
    }
    if (rc) {
        for (int i = 0; i < n_items; i++) attr_map_free(&out[i]);
        return cx_fail_wrap(err, "%s", attr_method_name(m));
    }
    return 0;
}
