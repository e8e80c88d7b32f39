// attr/attr_deeplift.c: DeepLift (Shrikumar et al. 2017), Rescale rule, via the engine's DeepLift
// backward: one forward on 2b samples (b inputs, then their b baselines), one backward giving the
// multipliers m; attribution (x - x') * m (Captum DeepLift, multiply_by_inputs=True).
// Summation-to-delta: sum(attr) = f_t(x) - f_t(x'), reported as delta = sum(attr) - (f(x) - f(x')).
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "attr/attr_internal.h"

int attr_run_deeplift(attr_ctx *c, const attr_request *req, int n_req, attr_map *out,
                      cx_error *err) {
    const attr_options *o = &c->opt;
    int n_items = attr_count_items(c, req, n_req, err);
    size_t n = (size_t)3 * c->h * c->w;
    int64_t shape[4] = {1, 3, c->h, c->w};
    // item -> request, baselines per request
    int *item_req = cx_malloc(sizeof *item_req * n_items);
    float *refs = attr_buf(c, ATTR_BUF_REFS, n * (size_t)n_req); // [n_req,3,H,W]
    for (int i = 0, it = 0; i < n_req; i++) {
        attr_make_baseline(o->baseline, o, req[i].x, c->h, c->w, refs + n * i);
        for (int t = 0; t < req[i].n_targets; t++, it++) {
            item_req[it] = i;
            attr_map_init(&out[it], i, req[i].targets[t], shape, c->h, c->w);
        }
    }
    int half = o->max_batch / 2;
    int n_chunks = attr_n_chunks(n_items, half);
    int bmax = attr_chunk_size(n_items, n_chunks, 0);
    float *xin = attr_buf(c, ATTR_BUF_XIN, n * 2 * bmax);                    // [2B,3,H,W]
    float *mult = attr_buf(c, ATTR_BUF_DX, n * bmax);                        // [B,3,H,W]
    float *logits = attr_buf(c, ATTR_BUF_LOGITS, (size_t)c->k * 2 * bmax);   // [2B,K]
    float *dlogits = attr_buf(c, ATTR_BUF_DLOGITS, (size_t)c->k * bmax);     // [B,K]
    unsigned flags = NN_GRAD_INPUT | (o->dl_captum_compat ? NN_DEEPLIFT_CAPTUM : NN_DEEPLIFT);
    int rc = 0, it0 = 0;
    for (int ch = 0; ch < n_chunks; ch++) {
        int b = attr_chunk_size(n_items, n_chunks, ch);
        densenet_plan *p = attr_plan(c, 2 * b, NULL, err);
        if (!p) {
            rc = -1;
            break;
        }
        memset(dlogits, 0, sizeof *dlogits * c->k * b);
        for (int r = 0; r < b; r++) {
            int i = item_req[it0 + r];
            memcpy(xin + n * r, req[i].x, n * sizeof *xin);
            memcpy(xin + n * (b + r), refs + n * i, n * sizeof *xin);
            dlogits[(size_t)r * c->k + out[it0 + r].target] = 1.0f;
        }
        if (attr_forward(c, p, xin, logits, err) ||
            attr_backward(c, p, dlogits, mult, flags, err)) {
            rc = -1;
            break;
        }
#pragma omp parallel for schedule(static)
        for (int r = 0; r < b; r++) {
            attr_map *m = &out[it0 + r];
            const float *x = xin + n * r, *xr = xin + n * (b + r), *g = mult + n * r;
            double sum = 0;
            for (size_t e = 0; e < n; e++) {
                m->raw[e] = (x[e] - xr[e]) * g[e];
                sum += m->raw[e];
            }
            m->logit = logits[(size_t)r * c->k + m->target];
            m->logit_baseline = logits[(size_t)(b + r) * c->k + m->target];
            m->delta = sum - ((double)m->logit - m->logit_baseline);
            attr_map_channel_sum(m, c->h, c->w);
        }
        it0 += b;
    }
    free(item_req);
    return rc;
}
