// attr/attr_occlusion.c: Occlusion (Zeiler & Fergus 2014; Captum Occlusion with a sliding window
// (3, p, p), strides (stride, stride), baseline 0). Windows start at i*stride for
// i = 0..ceil((H-p)/stride) (the last ones clipped at the border, as Captum pads/crops); each pixel
// gets the mean over the windows covering it of f_t(x) - f_t(x with the window set to 0).
// Forward only: every target of an image shares the same forwards.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "attr/attr_internal.h"

typedef struct oc_job {
    attr_ctx *c;
    const attr_request *req;
    attr_map *out;
    int *first;           // [n_req] index of the request's first map in out
    float *count;         // [H,W] windows covering each pixel (the same for every image)
    int h, w, patch, stride, ny, nx; // ny x nx windows
    int rows_per_req;     // 1 + ny*nx; row 0: the clean image
    size_t plane;         // H*W
} oc_job;

// The pixels of window s-1 (row-major over the ny x nx grid): y in [y0,y1), x in [x0,x1).
static void window_of(const oc_job *j, int s, int *y0, int *y1, int *x0, int *x1) {
    int wy = (s - 1) / j->nx, wx = (s - 1) % j->nx;
    *y0 = wy * j->stride;
    *x0 = wx * j->stride;
    *y1 = *y0 + j->patch < j->h ? *y0 + j->patch : j->h;
    *x1 = *x0 + j->patch < j->w ? *x0 + j->patch : j->w;
}

// Row s of image x [3,H,W]: x itself (s = 0) or x with window s-1 zeroed on all channels.
static void build_row(const oc_job *j, const float *x, int s, float *dst) {
    memcpy(dst, x, 3 * j->plane * sizeof *dst);
    if (s == 0) return;
    int y0, y1, x0, x1;
    window_of(j, s, &y0, &y1, &x0, &x1);
    for (int ch = 0; ch < 3; ch++)
        for (int y = y0; y < y1; y++)
            for (int xx = x0; xx < x1; xx++) dst[ch * j->plane + (size_t)y * j->w + xx] = 0.0f;
}

// f = f_t(row s): the clean logit (s = 0) or f_t(x) - f over the window into channel 0; the
// last row turns the sums into means over the windows, the same on all channels.
static void consume_row(const oc_job *j, attr_map *m, int s, float f) {
    if (s == 0) {
        m->logit = f;
        return;
    }
    float d = m->logit - f;
    int y0, y1, x0, x1;
    window_of(j, s, &y0, &y1, &x0, &x1);
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++) m->raw[(size_t)y * j->w + x] += d;
    if (s < j->rows_per_req - 1) return;
    size_t plane = j->plane;
    for (size_t e = 0; e < plane; e++) {
        float v = m->raw[e] / j->count[e];
        m->raw[e] = m->raw[plane + e] = m->raw[2 * plane + e] = v;
    }
    attr_map_channel_sum(m, j->h, j->w);
}

// Rows [row0, row0+b) with their logits [b,K]: rows of one image in order (row 0, the clean
// logit, first); images in parallel.
static void consume_rows(const oc_job *j, int row0, int b, const float *logits) {
    int k = j->c->k;
    int first_req = row0 / j->rows_per_req, last_req = (row0 + b - 1) / j->rows_per_req;
#pragma omp parallel for schedule(dynamic)
    for (int i = first_req; i <= last_req; i++)
        for (int r = 0; r < b; r++) {
            int row = row0 + r;
            if (row / j->rows_per_req != i) continue;
            for (int t = 0; t < j->req[i].n_targets; t++) {
                attr_map *m = &j->out[j->first[i] + t];
                consume_row(j, m, row % j->rows_per_req, logits[(size_t)r * k + m->target]);
            }
        }
}

static int run_rows(oc_job *j, int n_req, cx_error *err) {
    attr_ctx *c = j->c;
    size_t n = 3 * j->plane;
    int total = n_req * j->rows_per_req;
    int n_chunks = attr_n_chunks(total, c->opt.max_batch);
    int bmax = attr_chunk_size(total, n_chunks, 0);
    float *xin = attr_buf(c, ATTR_BUF_XIN, n * bmax);                   // [B,3,H,W]
    float *logits = attr_buf(c, ATTR_BUF_LOGITS, (size_t)c->k * bmax);  // [B,K]
    int rc = 0;
    for (int chunk = 0, row0 = 0; chunk < n_chunks && !rc; chunk++) {
        int b = attr_chunk_size(total, n_chunks, chunk);
        densenet_plan *pl = attr_plan(c, b, NULL, err);
        if (!pl) {
            rc = -1;
            break;
        }
#pragma omp parallel for schedule(static)
        for (int r = 0; r < b; r++) {
            int row = row0 + r;
            build_row(j, j->req[row / j->rows_per_req].x, row % j->rows_per_req, xin + n * r);
        }
        rc = attr_forward(c, pl, xin, logits, err);
        if (!rc) consume_rows(j, row0, b, logits);
        row0 += b;
    }
    return rc;
}

int attr_run_occlusion(attr_ctx *c, const attr_request *req, int n_req, attr_map *out,
                       cx_error *err) {
    const attr_options *o = &c->opt;
    oc_job j = {.c = c, .req = req, .out = out, .h = c->h, .w = c->w, .patch = o->oc_patch,
                .stride = o->oc_stride};
    j.plane = (size_t)j.h * j.w;
    j.ny = (j.h - j.patch + j.stride - 1) / j.stride + 1;
    j.nx = (j.w - j.patch + j.stride - 1) / j.stride + 1;
    j.rows_per_req = 1 + j.ny * j.nx;
    int64_t shape[4] = {1, 3, j.h, j.w};
    j.first = cx_malloc(sizeof *j.first * n_req);
    for (int i = 0, it = 0; i < n_req; i++) {
        j.first[i] = it;
        for (int t = 0; t < req[i].n_targets; t++, it++)
            attr_map_init(&out[it], i, req[i].targets[t], shape, j.h, j.w);
    }
    j.count = cx_calloc(j.plane, sizeof *j.count);
    for (int s = 1; s < j.rows_per_req; s++) {
        int y0, y1, x0, x1;
        window_of(&j, s, &y0, &y1, &x0, &x1);
        for (int y = y0; y < y1; y++)
            for (int x = x0; x < x1; x++) j.count[(size_t)y * j.w + x] += 1;
    }
    int rc = run_rows(&j, n_req, err);
    free(j.first);
    free(j.count);
    return rc;
}
