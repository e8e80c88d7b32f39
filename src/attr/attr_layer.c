// attr/attr_layer.c: attributions at a hidden layer A (the engine's tap), one forward per image
// (GC) or per image and step (LC), then one layer-only backward per target from that forward.
//   GC  GradCAM (Selvaraju et al. 2017; Captum LayerGradCam): a_k = mean_ij dF/dA_kij,
//       cam = sum_k a_k A_k  [1,1,h,w]; map = ReLU(cam) (gc_relu) upsampled to H x W.
//   LC  Layer Conductance (Dhamdhere et al. 2018; Captum LayerConductance, "gausslegendre"):
//       nodes a_0..a_S (S = lc_steps), x_s = x' + a_s (x - x'),
//       cond = sum_{s<S} (A(x_{s+1}) - A(x_s)) * dF/dA(x_s)  [1,C,h,w];
//       map = channel sum upsampled. Two extra forward rows give f(x), f(x') for delta.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "attr/attr_internal.h"

typedef struct layer_req {
    float *ref;          // LC: x' [3,H,W]
    float *prev_a;       // LC: activation of the last node row seen (carried across chunks)
    int prev_s;          // its node index (-1: none)
    int first_item;      // index of this request's first item in out
} layer_req;

typedef struct layer_item {
    float *pend_g;       // LC: dF/dA at node prev (waiting for A of the next node)
} layer_item;

static void finish_map(attr_ctx *c, attr_method m, attr_map *out, int lh, int lw) {
    size_t plane = (size_t)lh * lw;
    float *small = cx_malloc(sizeof *small * plane);
    if (m == ATTR_GC) {
        for (size_t i = 0; i < plane; i++)
            small[i] = c->opt.gc_relu ? fmaxf(out->raw[i], 0.0f) : out->raw[i];
    } else {
        int ch = (int)out->raw_shape[1];
        for (size_t i = 0; i < plane; i++) {
            float s = 0;
            for (int k = 0; k < ch; k++) s += out->raw[k * plane + i];
            small[i] = s;
        }
        double sum = 0;
        for (size_t i = 0; i < plane * ch; i++) sum += out->raw[i];
        out->delta = sum - ((double)out->logit - out->logit_baseline);
    }
    attr_upsample_plane(small, lh, lw, out->map, c->h, c->w, c->opt.upsample);
    free(small);
}

int attr_run_layer(attr_ctx *c, attr_method m, const attr_request *req, int n_req,
                   attr_map *out, cx_error *err) {
    const attr_options *o = &c->opt;
    const char *layer = m == ATTR_GC ? o->gc_layer : o->lc_layer;
    int n_items = attr_count_items(c, req, n_req, err);
    size_t n = (size_t)3 * c->h * c->w;
    int steps = o->lc_steps;
    // rows per request: GC 1; LC the steps+1 nodes, then x, then x'
    int rows_per_req = m == ATTR_GC ? 1 : steps + 3;
    double *alpha = NULL, *weight = NULL;
    layer_req *lr = cx_calloc((size_t)n_req, sizeof *lr);
    layer_item *li = cx_calloc((size_t)n_items, sizeof *li);
    int max_targets = 0;
    for (int i = 0, it = 0; i < n_req; i++) {
        lr[i].first_item = it;
        lr[i].prev_s = -1;
        it += req[i].n_targets;
        if (req[i].n_targets > max_targets) max_targets = req[i].n_targets;
        if (m == ATTR_LC) {
            lr[i].ref = cx_malloc(sizeof *lr[i].ref * n);
            attr_make_baseline(o->baseline, o, req[i].x, c->h, c->w, lr[i].ref);
        }
    }
    if (m == ATTR_LC) {
        alpha = cx_malloc(sizeof *alpha * (steps + 1));
        weight = cx_malloc(sizeof *weight * (steps + 1));
        attr_gauss_legendre(steps + 1, alpha, weight);
    }
    int total = n_req * rows_per_req;
    int n_chunks = attr_n_chunks(total, o->max_batch);
    int bmax = attr_chunk_size(total, n_chunks, 0);
    float *xin = cx_malloc(sizeof *xin * n * bmax);
    float *logits = cx_malloc(sizeof *logits * c->k * bmax);
    float *dlogits = cx_malloc(sizeof *dlogits * c->k * bmax);
    float *acts = NULL; // [B,C,h,w] copy of the tap activation (backward may reuse its memory)
    size_t chw = 0;
    int lh = 0, lw = 0, lc = 0, rc = 0, row0 = 0;
    for (int chunk = 0; chunk < n_chunks && !rc; chunk++) {
        int b = attr_chunk_size(total, n_chunks, chunk);
        densenet_plan *p = attr_plan(c, b, layer, err);
        if (!p) {
            rc = -1;
            break;
        }
        for (int r = 0; r < b; r++) {
            int row = row0 + r, i = row / rows_per_req, s = row % rows_per_req;
            float *dst = xin + n * r;
            const float *x = req[i].x;
            if (m == ATTR_GC || s == steps + 1) {
                memcpy(dst, x, n * sizeof *dst);
            } else if (s == steps + 2) {
                memcpy(dst, lr[i].ref, n * sizeof *dst);
            } else {
                float a = (float)alpha[s];
                const float *xr = lr[i].ref;
                for (size_t e = 0; e < n; e++) dst[e] = xr[e] + a * (x[e] - xr[e]);
            }
        }
        if (attr_forward(c, p, xin, logits, err)) {
            rc = -1;
            break;
        }
        int64_t shp[4];
        const float *a_tap = densenet_tap_activation(p, shp);
        if (!a_tap) {
            rc = cx_fail(err, "layer \"%s\": the engine returned no activation", layer);
            break;
        }
        if (!acts) { // first chunk: the layer's shape, the outputs
            lc = (int)shp[1];
            lh = (int)shp[2];
            lw = (int)shp[3];
            chw = (size_t)lc * lh * lw;
            acts = cx_malloc(sizeof *acts * chw * bmax);
            int64_t shape[4] = {1, m == ATTR_GC ? 1 : lc, lh, lw};
            for (int i = 0; i < n_req; i++) {
                for (int t = 0; t < req[i].n_targets; t++) {
                    int it = lr[i].first_item + t;
                    attr_map_init(&out[it], i, req[i].targets[t], shape, c->h, c->w);
                    if (m == ATTR_LC) li[it].pend_g = cx_calloc(chw, sizeof(float));
                }
                if (m == ATTR_LC) lr[i].prev_a = cx_calloc(chw, sizeof(float));
            }
        }
        memcpy(acts, a_tap, sizeof *acts * chw * b);
        // logits of the clean rows
        for (int r = 0; r < b; r++) {
            int row = row0 + r, i = row / rows_per_req, s = row % rows_per_req;
            for (int t = 0; t < req[i].n_targets; t++) {
                attr_map *mo = &out[lr[i].first_item + t];
                if (m == ATTR_GC || s == steps + 1) mo->logit = logits[(size_t)r * c->k + mo->target];
                if (m == ATTR_LC && s == steps + 2)
                    mo->logit_baseline = logits[(size_t)r * c->k + mo->target];
            }
        }
        // One layer-only backward per target rank k: row r asks for its image's k-th target.
        for (int k = 0; k < max_targets && !rc; k++) {
            int any = 0;
            memset(dlogits, 0, sizeof *dlogits * c->k * b);
            for (int r = 0; r < b; r++) {
                int row = row0 + r, i = row / rows_per_req, s = row % rows_per_req;
                if (k >= req[i].n_targets || (m == ATTR_LC && s >= steps)) continue;
                dlogits[(size_t)r * c->k + req[i].targets[k]] = 1.0f;
                any = 1;
            }
            const float *g_tap = NULL;
            if (any) {
                if (attr_backward(c, p, dlogits, NULL, NN_GRAD_TAP_ONLY, err)) {
                    rc = -1;
                    break;
                }
                g_tap = densenet_tap_gradient(p, shp);
                if (!g_tap) {
                    rc = cx_fail(err, "layer \"%s\": the engine returned no gradient", layer);
                    break;
                }
            }
            int first_req = row0 / rows_per_req, last_req = (row0 + b - 1) / rows_per_req;
#pragma omp parallel for schedule(dynamic)
            for (int i = first_req; i <= last_req; i++) {
                if (k >= req[i].n_targets) continue;
                attr_map *mo = &out[lr[i].first_item + k];
                float *pend = li[lr[i].first_item + k].pend_g;
                for (int r = 0; r < b; r++) {
                    int row = row0 + r;
                    if (row / rows_per_req != i) continue;
                    int s = row % rows_per_req;
                    const float *a = acts + chw * r, *g = g_tap ? g_tap + chw * r : NULL;
                    if (m == ATTR_GC) {
                        size_t plane = (size_t)lh * lw;
                        for (int ch = 0; ch < lc; ch++) {
                            double mean = 0;
                            for (size_t e = 0; e < plane; e++) mean += g[ch * plane + e];
                            float ak = (float)(mean / plane);
                            for (size_t e = 0; e < plane; e++) mo->raw[e] += ak * a[ch * plane + e];
                        }
                        continue;
                    }
                    if (s > steps) continue;
                    if (s >= 1) { // (A(x_s) - A(x_{s-1})) * dF/dA(x_{s-1})
                        const float *a_prev = (r > 0) ? acts + chw * (r - 1) : lr[i].prev_a;
                        for (size_t e = 0; e < chw; e++) mo->raw[e] += (a[e] - a_prev[e]) * pend[e];
                    }
                    if (s < steps) memcpy(pend, g, chw * sizeof *pend);
                }
            }
        }
        if (rc) break;
        if (m == ATTR_LC) // carry the last node activation of the chunk's last image forward
            for (int r = b - 1; r >= 0; r--) {
                int row = row0 + r, i = row / rows_per_req, s = row % rows_per_req;
                if (s <= steps) {
                    memcpy(lr[i].prev_a, acts + chw * r, chw * sizeof *acts);
                    lr[i].prev_s = s;
                    break;
                }
            }
        // images whose last row was in this chunk are complete
        for (int r = 0; r < b; r++) {
            int row = row0 + r, i = row / rows_per_req;
            if (row % rows_per_req != rows_per_req - 1) continue;
            for (int t = 0; t < req[i].n_targets; t++)
                finish_map(c, m, &out[lr[i].first_item + t], lh, lw);
        }
        row0 += b;
    }
    for (int i = 0; i < n_req; i++) {
        free(lr[i].ref);
        free(lr[i].prev_a);
    }
    for (int i = 0; i < n_items; i++) free(li[i].pend_g);
    free(lr);
    free(li);
    free(alpha);
    free(weight);
    free(xin);
    free(logits);
    free(dlogits);
    free(acts);
    return rc;
}
