// attr/attr_occlusion.c: Occlusion (Zeiler & Fergus 2014; Captum Occlusion with a sliding window
// (3, p, p), strides (stride, stride), baseline 0). Windows start at i*stride for
// i = 0..ceil((H-p)/stride) (the last ones clipped at the border, as Captum pads/crops); each pixel
// gets the mean over the windows covering it of f_t(x) - f_t(x with the window set to 0).
// Forward only: every target of an image shares the same forwards.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "attr/attr_internal.h"

int attr_run_occlusion(attr_ctx *c, const attr_request *req, int n_req, attr_map *out,
                       cx_error *err) {
    const attr_options *o = &c->opt;
    int h = c->h, w = c->w, p = o->oc_patch, st = o->oc_stride;
    size_t plane = (size_t)h * w, n = 3 * plane;
    int ny = (h - p + st - 1) / st + 1, nx = (w - p + st - 1) / st + 1;
    int rows_per_req = 1 + ny * nx; // row 0: the clean image
    int64_t shape[4] = {1, 3, h, w};
    int *first = cx_malloc(sizeof *first * n_req);
    for (int i = 0, it = 0; i < n_req; i++) {
        first[i] = it;
        for (int t = 0; t < req[i].n_targets; t++, it++)
            attr_map_init(&out[it], i, req[i].targets[t], shape, h, w);
    }
    float *count = cx_calloc(plane, sizeof *count); // windows covering each pixel (same per image)
    for (int wy = 0; wy < ny; wy++)
        for (int wx = 0; wx < nx; wx++)
            for (int y = wy * st; y < wy * st + p && y < h; y++)
                for (int x = wx * st; x < wx * st + p && x < w; x++) count[(size_t)y * w + x] += 1;
    int total = n_req * rows_per_req;
    int n_chunks = attr_n_chunks(total, o->max_batch);
    int bmax = attr_chunk_size(total, n_chunks, 0);
    float *xin = cx_malloc(sizeof *xin * n * bmax);
    float *logits = cx_malloc(sizeof *logits * c->k * bmax);
    int rc = 0, row0 = 0;
    for (int chunk = 0; chunk < n_chunks; chunk++) {
        int b = attr_chunk_size(total, n_chunks, chunk);
        densenet_plan *pl = attr_plan(c, b, NULL, err);
        if (!pl) {
            rc = -1;
            break;
        }
#pragma omp parallel for schedule(static)
        for (int r = 0; r < b; r++) {
            int row = row0 + r, i = row / rows_per_req, s = row % rows_per_req;
            float *dst = xin + n * r;
            memcpy(dst, req[i].x, n * sizeof *dst);
            if (s == 0) continue;
            int wy = (s - 1) / nx, wx = (s - 1) % nx;
            for (int ch = 0; ch < 3; ch++)
                for (int y = wy * st; y < wy * st + p && y < h; y++)
                    for (int x = wx * st; x < wx * st + p && x < w; x++)
                        dst[ch * plane + (size_t)y * w + x] = 0.0f;
        }
        if (attr_forward(c, pl, xin, logits, err)) {
            rc = -1;
            break;
        }
        // rows of one image in order (row 0, the clean logit, comes first); images in parallel
        int first_req = row0 / rows_per_req, last_req = (row0 + b - 1) / rows_per_req;
#pragma omp parallel for schedule(dynamic)
        for (int i = first_req; i <= last_req; i++) {
            for (int r = 0; r < b; r++) {
                int row = row0 + r;
                if (row / rows_per_req != i) continue;
                int s = row % rows_per_req;
                for (int t = 0; t < req[i].n_targets; t++) {
                    attr_map *m = &out[first[i] + t];
                    float f = logits[(size_t)r * c->k + m->target];
                    if (s == 0) {
                        m->logit = f;
                        continue;
                    }
                    float d = m->logit - f;
                    int wy = (s - 1) / nx, wx = (s - 1) % nx;
                    for (int y = wy * st; y < wy * st + p && y < h; y++)
                        for (int x = wx * st; x < wx * st + p && x < w; x++)
                            m->raw[(size_t)y * w + x] += d; // channel 0 accumulates
                    if (s == rows_per_req - 1) { // done: mean over windows, same on all channels
                        for (size_t e = 0; e < plane; e++) {
                            float v = m->raw[e] / count[e];
                            m->raw[e] = m->raw[plane + e] = m->raw[2 * plane + e] = v;
                        }
                        attr_map_channel_sum(m, h, w);
                    }
                }
            }
        }
        row0 += b;
    }
    free(first);
    free(count);
    free(xin);
    free(logits);
    return rc;
}
