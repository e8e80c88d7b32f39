// attr/attr_gradient.c: the input-gradient family, all sample rows of all (image, target) items
// evaluated together in chunks of at most max_batch (one forward + one backward per chunk).
//   SL  Saliency (Simonyan et al. 2014; Captum Saliency, abs=True):  |df_t/dx|
//   NT  SmoothGrad (Smilkov et al. 2017; Captum NoiseTunnel "smoothgrad" over Saliency):
//       (1/n) sum_s |df_t/dx (x + eps_s)|,  eps_s ~ N(0, sigma^2)
//   GS  GradientSHAP (Lundberg & Lee 2017; Captum GradientShap = NoiseTunnel over
//       InputBaselineXGradient): (1/n) sum_s (x_s - b_s) * df_t/dx (u_s x_s + (1 - u_s) b_s),
//       x_s = x + eps_s, b_s drawn uniformly from the baselines, u_s ~ U(0,1)
//   IG  Integrated Gradients (Sundararajan et al. 2017; Captum, method "gausslegendre"):
//       (x - x') * sum_s w_s df_t/dx (x' + a_s (x - x'))
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "attr/attr_internal.h"

typedef struct grad_item {
    int request, target;
    const float *x;      // [3,H,W]
    float *ref;          // IG: x' [3,H,W]
    float nt_sigma;      // NT noise stdev (attr_nt_stdev)
    attr_map *out;
} grad_item;

typedef struct grad_job {
    attr_ctx *c;
    attr_method m;
    const attr_request *req;
    grad_item *items;
    int n_items, rows_per_item;
    size_t in_size;            // 3*H*W
    double *alpha, *weight;    // IG nodes/weights [ig_steps]
    // GS: per request, the enabled baselines in enum order (pointers into gs_store)
    float **gs_base;           // [n_req * 3]
    int gs_n_base;
    int gs_kind[3];
    float *gs_store;
} grad_job;

// Row r of item it: its input (and, for GS, x_s - b_s into diff).
static void build_row(const grad_job *j, const grad_item *it, int s, float *dst, float *diff) {
    const attr_ctx *c = j->c;
    const attr_options *o = &c->opt;
    size_t n = j->in_size;
    const float *x = it->x;
    switch (j->m) {
    case ATTR_SL:
        memcpy(dst, x, n * sizeof *dst);
        break;
    case ATTR_NT:
        attr_nt_noisy_input(o, j->req[it->request].stream, it->target, s, x, n, it->nt_sigma, dst);
        break;
    case ATTR_GS: {
        cx_rng r;
        attr_sample_rng(o->seed, j->req[it->request].stream, ATTR_GS, it->target, s, &r);
        int bi = o->replay_gs_baseline_index ? o->replay_gs_baseline_index[s]
                                             : (int)cx_rng_below(&r, (uint64_t)j->gs_n_base);
        double u = o->replay_gs_u ? o->replay_gs_u[s] : cx_rng_uniform(&r);
        const float *b = j->gs_base[it->request * 3 + bi];
        float uf = (float)u;
        for (size_t i = 0; i < n; i++) {
            float xs = x[i];
            if (o->gs_stdev > 0) xs += (float)(o->gs_stdev * cx_rng_normal(&r));
            diff[i] = xs - b[i];
            dst[i] = uf * xs + (1 - uf) * b[i];
        }
        break;
    }
    case ATTR_IG: {
        int steps = o->ig_steps;
        if (s < steps) {
            float a = (float)j->alpha[s];
            for (size_t i = 0; i < n; i++) dst[i] = it->ref[i] + a * (x[i] - it->ref[i]);
        } else {
            memcpy(dst, s == steps ? x : it->ref, n * sizeof *dst);
        }
        break;
    }
    default:
        CX_ASSERT(0);
    }
}

// Gradient rows get dlogits = 1 at the target; IG's two endpoint rows (f(x), f(x')) only run forward.
float attr_nt_stdev(const attr_options *o, const float *x, size_t n) {
    if (o->nt_stdev >= 0) return (float)o->nt_stdev;
    float lo = x[0], hi = x[0]; // Smilkov et al.: 15% of the input's range
    for (size_t e = 1; e < n; e++) {
        lo = fminf(lo, x[e]);
        hi = fmaxf(hi, x[e]);
    }
    return 0.15f * (hi - lo);
}

void attr_nt_noisy_input(const attr_options *o, uint64_t stream, int target, int sample,
                         const float *x, size_t n, float stdev, float *out) {
    if (o->replay_nt_noise) {
        const float *eps = o->replay_nt_noise + (size_t)sample * n;
        for (size_t i = 0; i < n; i++) out[i] = x[i] + eps[i];
        return;
    }
    cx_rng r;
    attr_sample_rng(o->seed, stream, ATTR_NT, target, sample, &r);
    for (size_t i = 0; i < n; i++) out[i] = x[i] + stdev * (float)cx_rng_normal(&r);
}

static int row_has_gradient(const grad_job *j, int s) {
    return j->m != ATTR_IG || s < j->c->opt.ig_steps;
}

static void consume_row(const grad_job *j, grad_item *it, int s, const float *logits,
                        const float *g, const float *diff) {
    const attr_options *o = &j->c->opt;
    size_t n = j->in_size;
    float *acc = it->out->raw;
    float lt = logits[it->target];
    switch (j->m) {
    case ATTR_SL:
        for (size_t i = 0; i < n; i++) acc[i] = fabsf(g[i]);
        it->out->logit = lt;
        break;
    case ATTR_NT: {
        float inv = 1.0f / (float)o->nt_samples;
        for (size_t i = 0; i < n; i++) acc[i] += fabsf(g[i]) * inv;
        break;
    }
    case ATTR_GS: {
        float inv = 1.0f / (float)o->gs_samples;
        for (size_t i = 0; i < n; i++) acc[i] += diff[i] * g[i] * inv;
        break;
    }
    case ATTR_IG:
        if (s < o->ig_steps) {
            float w = (float)j->weight[s];
            for (size_t i = 0; i < n; i++) acc[i] += w * g[i];
        } else if (s == o->ig_steps) {
            it->out->logit = lt;
        } else {
            it->out->logit_baseline = lt;
        }
        break;
    default:
        CX_ASSERT(0);
    }
}

static void finish_item(const grad_job *j, grad_item *it) {
    attr_map *m = it->out;
    size_t n = j->in_size;
    if (j->m == ATTR_IG) {
        double sum = 0;
        for (size_t i = 0; i < n; i++) {
            m->raw[i] *= it->x[i] - it->ref[i];
            sum += m->raw[i];
        }
        m->delta = sum - ((double)m->logit - m->logit_baseline);
    }
    attr_map_channel_sum(m, j->c->h, j->c->w);
}

static int run_rows(grad_job *j, cx_error *err) {
    attr_ctx *c = j->c;
    int total = j->n_items * j->rows_per_item;
    int n_chunks = attr_n_chunks(total, c->opt.max_batch);
    int bmax = attr_chunk_size(total, n_chunks, 0);
    size_t n = j->in_size;
    float *xin = attr_buf(c, ATTR_BUF_XIN, n * bmax);        // [B,3,H,W]
    float *dx = attr_buf(c, ATTR_BUF_DX, n * bmax);          // [B,3,H,W]
    float *diff = j->m == ATTR_GS ? attr_buf(c, ATTR_BUF_DIFF, n * bmax) : NULL;
    float *logits = attr_buf(c, ATTR_BUF_LOGITS, (size_t)c->k * bmax); // [B,K]
    float *dlogits = attr_buf(c, ATTR_BUF_DLOGITS, (size_t)c->k * bmax);
    int rc = 0, row0 = 0;
    for (int ch = 0; ch < n_chunks && !rc; ch++) {
        int b = attr_chunk_size(total, n_chunks, ch);
        densenet_plan *p = attr_plan(c, bmax, NULL, err); // a short last chunk: zero rows
        if (!p) {
            rc = -1;
            break;
        }
        int any_grad = 0;
        memset(dlogits, 0, sizeof *dlogits * c->k * bmax);
        memset(xin + (size_t)b * n, 0, sizeof *xin * n * (size_t)(bmax - b));
#pragma omp parallel for schedule(static) reduction(| : any_grad)
        for (int r = 0; r < b; r++) {
            int row = row0 + r, item = row / j->rows_per_item, s = row % j->rows_per_item;
            grad_item *it = &j->items[item];
            build_row(j, it, s, xin + (size_t)r * n, diff ? diff + (size_t)r * n : NULL);
            if (row_has_gradient(j, s)) {
                dlogits[(size_t)r * c->k + it->target] = 1.0f;
                any_grad = 1;
            }
        }
        if (attr_forward(c, p, xin, logits, err)) {
            rc = -1;
            break;
        }
        if (any_grad && attr_backward(c, p, dlogits, dx, NN_GRAD_INPUT, err)) {
            rc = -1;
            break;
        }
        // Rows of one item are consumed in sample order whatever the chunking, so sums round
        // the same way; items in parallel.
        int first_item = row0 / j->rows_per_item, last_item = (row0 + b - 1) / j->rows_per_item;
#pragma omp parallel for schedule(dynamic)
        for (int item = first_item; item <= last_item; item++) {
            for (int r = 0; r < b; r++) {
                int row = row0 + r;
                if (row / j->rows_per_item != item) continue;
                int s = row % j->rows_per_item;
                consume_row(j, &j->items[item], s, logits + (size_t)r * c->k, dx + (size_t)r * n,
                            diff ? diff + (size_t)r * n : NULL);
                if (s == j->rows_per_item - 1) finish_item(j, &j->items[item]);
            }
        }
        row0 += b;
    }
    return rc;
}

int attr_run_gradient(attr_ctx *c, attr_method m, const attr_request *req, int n_req,
                      attr_map *out, cx_error *err) {
    const attr_options *o = &c->opt;
    grad_job j = {.c = c, .m = m, .req = req};
    j.in_size = (size_t)3 * c->h * c->w;
    j.n_items = attr_count_items(c, req, n_req, err);
    j.rows_per_item = m == ATTR_SL ? 1
                      : m == ATTR_NT ? o->nt_samples
                      : m == ATTR_GS ? o->gs_samples
                                     : o->ig_steps + 2;
    j.items = cx_calloc((size_t)j.n_items, sizeof *j.items);
    float *ig_refs = NULL;
    if (m == ATTR_IG) {
        j.alpha = cx_malloc(sizeof *j.alpha * o->ig_steps);
        j.weight = cx_malloc(sizeof *j.weight * o->ig_steps);
        attr_gauss_legendre(o->ig_steps, j.alpha, j.weight);
        ig_refs = attr_buf(c, ATTR_BUF_REFS, j.in_size * (size_t)n_req);
        for (int i = 0; i < n_req; i++)
            attr_make_baseline(o->baseline, o, req[i].x, c->h, c->w, ig_refs + j.in_size * i);
    }
    if (m == ATTR_GS) {
        for (int b = 0; b <= ATTR_BASELINE_BLUR; b++)
            if (o->gs_baselines & (1u << b)) j.gs_kind[j.gs_n_base++] = b;
        j.gs_base = cx_calloc((size_t)n_req * 3, sizeof *j.gs_base);
        j.gs_store = attr_buf(c, ATTR_BUF_REFS, j.in_size * (size_t)n_req * j.gs_n_base);
        for (int i = 0; i < n_req; i++)
            for (int b = 0; b < j.gs_n_base; b++) {
                float *dst = j.gs_store + j.in_size * ((size_t)i * j.gs_n_base + b);
                attr_make_baseline((attr_baseline)j.gs_kind[b], o, req[i].x, c->h, c->w, dst);
                j.gs_base[i * 3 + b] = dst;
            }
        if (o->replay_gs_baseline_index)
            for (int s = 0; s < o->gs_samples; s++)
                if (o->replay_gs_baseline_index[s] < 0 || o->replay_gs_baseline_index[s] >= j.gs_n_base) {
                    free(j.gs_base);
                    free(j.items);
                    return cx_fail(err, "replayed GS baseline index %d out of range (%d baselines)",
                                   o->replay_gs_baseline_index[s], j.gs_n_base);
                }
    }
    int64_t shape[4] = {1, 3, c->h, c->w};
    int item = 0;
    for (int i = 0; i < n_req; i++) {
        float sigma = m == ATTR_NT ? attr_nt_stdev(o, req[i].x, j.in_size) : 0.0f;
        for (int t = 0; t < req[i].n_targets; t++, item++) {
            grad_item *it = &j.items[item];
            it->request = i;
            it->target = req[i].targets[t];
            it->x = req[i].x;
            it->ref = ig_refs ? ig_refs + j.in_size * i : NULL;
            it->nt_sigma = sigma;
            it->out = &out[item];
            attr_map_init(it->out, i, it->target, shape, c->h, c->w);
        }
    }
    int rc = run_rows(&j, err);
    free(j.items);
    free(j.alpha);
    free(j.weight);
    free(j.gs_base);
    return rc;
}
