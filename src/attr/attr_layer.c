// attr/attr_layer.c: attributions at a hidden layer A (the engine's tap), one forward per image
// (GC) or per image and step (LC), then one layer-only backward per target from that forward.
//   GC  GradCAM (Selvaraju et al. 2017; Captum LayerGradCam): a_k = mean_ij dF/dA_kij,
//       cam = sum_k a_k A_k  [1,1,h,w]; map = ReLU(cam) (gc_relu) upsampled to H x W.
//   LC  Layer Conductance (Dhamdhere et al. 2018; Captum LayerConductance, "gausslegendre"):
//       nodes a_0..a_S (S = lc_steps), x_s = x' + a_s (x - x'),
//       cond = sum_{s<S} (A(x_{s+1}) - A(x_s)) * dF/dA(x_s)  [1,C,h,w];
//       map = channel sum upsampled. Two extra forward rows give f(x), f(x') for delta.
// Rows are request-major: GC one row per image; LC rows 0..S the nodes, S+1 x, S+2 x'.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "attr/attr_internal.h"

typedef struct layer_job {
    attr_ctx *c;
    attr_method m;
    const attr_request *req;
    int n_req, n_items, rows_per_req, max_targets;
    const char *layer;
    attr_map *out;
    int *first_item;      // [n_req] index of the request's first map in out
    size_t in_size;       // 3*H*W
    int lc, lh, lw;       // the tap's shape C x h x w (known after the first forward)
    size_t chw;
    float *acts;          // [B,C,h,w] copy of the tap activation (backward may reuse its memory)
    // LC
    int steps;
    double *alpha;        // [steps+1] Gauss-Legendre nodes
    float *ref;           // [n_req,3,H,W] x'
    float *prev_a;        // [n_req,C,h,w] activation of the last node row seen (across chunks)
    float *pend_g;        // [n_items,C,h,w] dF/dA at the previous node, waiting for A of the next
} layer_job;

static void build_row(const layer_job *j, int i, int s, float *dst) {
    size_t n = j->in_size;
    const float *x = j->req[i].x;
    if (j->m == ATTR_GC || s == j->steps + 1) {
        memcpy(dst, x, n * sizeof *dst);
        return;
    }
    const float *xr = j->ref + n * i;
    if (s == j->steps + 2) {
        memcpy(dst, xr, n * sizeof *dst);
        return;
    }
    float a = (float)j->alpha[s];
    for (size_t e = 0; e < n; e++) dst[e] = xr[e] + a * (x[e] - xr[e]);
}

// GC: every row; LC: the nodes but the last (no difference uses its gradient).
static int row_has_gradient(const layer_job *j, int s) { return j->m == ATTR_GC || s < j->steps; }

// f_t(x) from GC's row and LC's x row, f_t(x') from LC's x' row; logits [K].
static void record_logits(const layer_job *j, int i, int s, const float *logits) {
    for (int t = 0; t < j->req[i].n_targets; t++) {
        attr_map *mo = &j->out[j->first_item[i] + t];
        if (j->m == ATTR_GC || s == j->steps + 1) mo->logit = logits[mo->target];
        else if (s == j->steps + 2) mo->logit_baseline = logits[mo->target];
    }
}

// GC: cam += sum_k mean(g_k) A_k; a, g [C,h,w], raw [1,1,h,w].
static void gc_consume(const layer_job *j, attr_map *mo, const float *a, const float *g) {
    size_t plane = (size_t)j->lh * j->lw;
    for (int ch = 0; ch < j->lc; ch++) {
        double mean = 0;
        for (size_t e = 0; e < plane; e++) mean += g[ch * plane + e];
        float ak = (float)(mean / plane);
        for (size_t e = 0; e < plane; e++) mo->raw[e] += ak * a[ch * plane + e];
    }
}

// LC at node s: cond += (A(x_s) - A(x_{s-1})) * dF/dA(x_{s-1}), then keep dF/dA(x_s) in pend.
static void lc_consume(const layer_job *j, attr_map *mo, float *pend, int s, const float *a,
                       const float *a_prev, const float *g) {
    if (s > j->steps) return;
    if (s >= 1)
        for (size_t e = 0; e < j->chw; e++) mo->raw[e] += (a[e] - a_prev[e]) * pend[e];
    if (s < j->steps) memcpy(pend, g, j->chw * sizeof *pend);
}

// The rows [row0, row0+b) of target rank k: acts and g_tap [b,C,h,w] (g_tap NULL: no row had a
// gradient). Rows of one image are consumed in order; images in parallel.
static void consume_rows(const layer_job *j, int k, int row0, int b, const float *g_tap) {
    int first_req = row0 / j->rows_per_req, last_req = (row0 + b - 1) / j->rows_per_req;
#pragma omp parallel for schedule(dynamic)
    for (int i = first_req; i <= last_req; i++) {
        if (k >= j->req[i].n_targets) continue;
        int it = j->first_item[i] + k;
        for (int r = 0; r < b; r++) {
            int row = row0 + r;
            if (row / j->rows_per_req != i) continue;
            const float *a = j->acts + j->chw * r, *g = g_tap ? g_tap + j->chw * r : NULL;
            if (j->m == ATTR_GC) {
                gc_consume(j, &j->out[it], a, g);
            } else {
                const float *a_prev = r > 0 ? j->acts + j->chw * (r - 1) : j->prev_a + j->chw * i;
                lc_consume(j, &j->out[it], j->pend_g + j->chw * it, row % j->rows_per_req, a,
                           a_prev, g);
            }
        }
    }
}

// One layer-only backward for target rank k (row r asks for its image's k-th target), then the
// rows' contributions. dlogits [plan batch,K] scratch (rows past b: padding, no gradient).
static int backward_rank(layer_job *j, densenet_plan *p, int k, int row0, int b, float *dlogits,
                         cx_error *err) {
    attr_ctx *c = j->c;
    int any = 0;
    memset(dlogits, 0, sizeof *dlogits * c->k * (size_t)densenet_plan_batch(p));
    for (int r = 0; r < b; r++) {
        int row = row0 + r, i = row / j->rows_per_req, s = row % j->rows_per_req;
        if (k >= j->req[i].n_targets || !row_has_gradient(j, s)) continue;
        dlogits[(size_t)r * c->k + j->req[i].targets[k]] = 1.0f;
        any = 1;
    }
    const float *g_tap = NULL;
    if (any) {
        int64_t shp[4];
        if (attr_backward(c, p, dlogits, NULL, NN_GRAD_TAP_ONLY, err)) return -1;
        g_tap = densenet_tap_gradient(p, shp);
        if (!g_tap) return cx_fail(err, "layer \"%s\": the engine returned no gradient", j->layer);
    }
    consume_rows(j, k, row0, b, g_tap);
    return 0;
}

// After the first forward: the tap's shape, the output maps, LC's carried state. bmax rows.
static void init_outputs(layer_job *j, const int64_t shp[4], int bmax) {
    attr_ctx *c = j->c;
    j->lc = (int)shp[1];
    j->lh = (int)shp[2];
    j->lw = (int)shp[3];
    j->chw = (size_t)j->lc * j->lh * j->lw;
    j->acts = attr_buf(c, ATTR_BUF_ACTS, j->chw * bmax);
    int64_t shape[4] = {1, j->m == ATTR_GC ? 1 : j->lc, j->lh, j->lw};
    for (int i = 0; i < j->n_req; i++)
        for (int t = 0; t < j->req[i].n_targets; t++)
            attr_map_init(&j->out[j->first_item[i] + t], i, j->req[i].targets[t], shape, c->h, c->w);
    if (j->m == ATTR_LC) {
        j->pend_g = cx_calloc(j->chw * j->n_items, sizeof *j->pend_g);
        j->prev_a = cx_calloc(j->chw * j->n_req, sizeof *j->prev_a);
    }
}

// LC: carry the last node activation of the chunk's last image into the next chunk.
static void carry_last_node(layer_job *j, int row0, int b) {
    for (int r = b - 1; r >= 0; r--) {
        int row = row0 + r, i = row / j->rows_per_req, s = row % j->rows_per_req;
        if (s <= j->steps) {
            memcpy(j->prev_a + j->chw * i, j->acts + j->chw * r, j->chw * sizeof *j->acts);
            return;
        }
    }
}

// GC: ReLU'd (gc_relu) cam; LC: channel sum and delta; both upsampled to H x W.
static void finish_item(const layer_job *j, attr_map *out) {
    const attr_ctx *c = j->c;
    size_t plane = (size_t)j->lh * j->lw;
    float *small = cx_malloc(sizeof *small * plane);
    if (j->m == ATTR_GC) {
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
    attr_upsample_plane(small, j->lh, j->lw, out->map, c->h, c->w, c->opt.upsample);
    free(small);
}

// One chunk of b rows from row0: forward, the clean logits, a backward per target rank, and the
// maps of images whose last row is in this chunk. xin [bmax,3,H,W], logits/dlogits [bmax,K].
static int run_chunk(layer_job *j, int row0, int b, int bmax, float *xin, float *logits,
                     float *dlogits, cx_error *err) {
    attr_ctx *c = j->c;
    densenet_plan *p = attr_plan(c, bmax, j->layer, err); // a short last chunk: zero rows
    if (!p) return -1;
    for (int r = 0; r < b; r++)
        build_row(j, (row0 + r) / j->rows_per_req, (row0 + r) % j->rows_per_req, xin + j->in_size * r);
    memset(xin + j->in_size * b, 0, sizeof *xin * j->in_size * (size_t)(bmax - b));
    if (attr_forward(c, p, xin, logits, err)) return -1;
    int64_t shp[4];
    const float *a_tap = densenet_tap_activation(p, shp);
    if (!a_tap) return cx_fail(err, "layer \"%s\": the engine returned no activation", j->layer);
    if (!j->acts) init_outputs(j, shp, bmax);
    memcpy(j->acts, a_tap, sizeof *j->acts * j->chw * b);
    for (int r = 0; r < b; r++)
        record_logits(j, (row0 + r) / j->rows_per_req, (row0 + r) % j->rows_per_req,
                      logits + (size_t)r * c->k);
    for (int k = 0; k < j->max_targets; k++)
        if (backward_rank(j, p, k, row0, b, dlogits, err)) return -1;
    if (j->m == ATTR_LC) carry_last_node(j, row0, b);
    for (int r = 0; r < b; r++) {
        int row = row0 + r, i = row / j->rows_per_req;
        if (row % j->rows_per_req != j->rows_per_req - 1) continue;
        for (int t = 0; t < j->req[i].n_targets; t++) finish_item(j, &j->out[j->first_item[i] + t]);
    }
    return 0;
}

static int run_rows(layer_job *j, cx_error *err) {
    attr_ctx *c = j->c;
    int total = j->n_req * j->rows_per_req;
    int n_chunks = attr_n_chunks(total, c->opt.max_batch);
    int bmax = attr_chunk_size(total, n_chunks, 0);
    float *xin = attr_buf(c, ATTR_BUF_XIN, j->in_size * bmax);          // [B,3,H,W]
    float *logits = attr_buf(c, ATTR_BUF_LOGITS, (size_t)c->k * bmax);  // [B,K]
    float *dlogits = attr_buf(c, ATTR_BUF_DLOGITS, (size_t)c->k * bmax);
    int rc = 0;
    for (int chunk = 0, row0 = 0; chunk < n_chunks && !rc; chunk++) {
        int b = attr_chunk_size(total, n_chunks, chunk);
        rc = run_chunk(j, row0, b, bmax, xin, logits, dlogits, err);
        row0 += b;
    }
    return rc;
}

int attr_run_layer(attr_ctx *c, attr_method m, const attr_request *req, int n_req,
                   attr_map *out, cx_error *err) {
    const attr_options *o = &c->opt;
    layer_job j = {.c = c, .m = m, .req = req, .n_req = n_req, .out = out};
    j.layer = m == ATTR_GC ? o->gc_layer : o->lc_layer;
    j.in_size = (size_t)3 * c->h * c->w;
    j.n_items = attr_count_items(c, req, n_req, err);
    j.steps = o->lc_steps;
    j.rows_per_req = m == ATTR_GC ? 1 : j.steps + 3;
    j.first_item = cx_malloc(sizeof *j.first_item * (size_t)n_req);
    for (int i = 0, it = 0; i < n_req; i++) {
        j.first_item[i] = it;
        it += req[i].n_targets;
        if (req[i].n_targets > j.max_targets) j.max_targets = req[i].n_targets;
    }
    if (m == ATTR_LC) {
        j.alpha = cx_malloc(sizeof *j.alpha * (j.steps + 1));
        attr_gauss_legendre(j.steps + 1, j.alpha, NULL);
        j.ref = attr_buf(c, ATTR_BUF_REFS, j.in_size * (size_t)n_req);
        for (int i = 0; i < n_req; i++)
            attr_make_baseline(o->baseline, o, req[i].x, c->h, c->w, j.ref + j.in_size * i);
    }
    int rc = run_rows(&j, err);
    free(j.first_item);
    free(j.alpha);
    free(j.prev_a);
    free(j.pend_g);
    return rc;
}
