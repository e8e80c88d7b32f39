// data/gaze: the static gaze heatmap and the binary fixation map, computed directly at the
// model's input resolution (derivation in data.h, gaze_heatmap).
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data/data.h"
#include "data/gaze_internal.h"

static double triangle(double x) {
    x = fabs(x);
    return x < 1.0 ? 1.0 - x : 0.0;
}

void axis_filter_init(axis_filter *f, int in, int out) {
    double scale = (double)in / out, fscale = scale > 1.0 ? scale : 1.0;
    double support = 1.0 * fscale;
    f->out = out;
    f->maxn = (int)ceil(support) * 2 + 1;
    f->lo = cx_malloc((size_t)out * sizeof *f->lo);
    f->n = cx_malloc((size_t)out * sizeof *f->n);
    f->w = cx_calloc((size_t)out * f->maxn, sizeof *f->w);
    for (int o = 0; o < out; o++) {
        double center = (o + 0.5) * scale, sum = 0;
        int lo = (int)(center - support + 0.5), hi = (int)(center + support + 0.5);
        if (lo < 0) lo = 0;
        if (hi > in) hi = in;
        if (hi - lo > f->maxn) hi = lo + f->maxn;
        double *w = f->w + (size_t)o * f->maxn;
        for (int i = lo; i < hi; i++) sum += w[i - lo] = triangle((i - center + 0.5) / fscale);
        for (int i = lo; i < hi; i++)
            if (sum != 0) w[i - lo] /= sum;
        f->lo[o] = lo;
        f->n[o] = hi - lo;
    }
}

void axis_filter_free(axis_filter *f) {
    free(f->lo);
    free(f->n);
    free(f->w);
}

void axis_filter_apply(const axis_filter *f, const double *profile, double *out) {
    for (int o = 0; o < f->out; o++) {
        const double *w = f->w + (size_t)o * f->maxn;
        double s = 0;
        for (int k = 0; k < f->n[o]; k++) s += w[k] * profile[f->lo[o] + k];
        out[o] = s;
    }
}

// scipy.ndimage.gaussian_filter1d of a unit impulse at pixel c of a line of len pixels, mode
// 'reflect' (d c b a | a b c d: mirror images at -1-c and 2 len-1-c), truncate 4: the
// unnormalised kernel exp(-d^2 / 2 sigma^2) for |d| <= radius (the normalisation constant
// cancels in the min-max normalisation). Value at pixel i.
static double blurred_impulse(int i, int c, int len, double sigma, int radius) {
    double inv = 1.0 / (2.0 * sigma * sigma), v = 0;
    int d[3] = {i - c, i - (-1 - c), i - (2 * len - 1 - c)};
    for (int k = 0; k < 3; k++)
        if (abs(d[k]) <= radius) v += exp(-(double)d[k] * d[k] * inv);
    return v;
}

// profile [len] of one fixation coordinate, then resized through f into out [f->out].
static void resized_profile(double *out, double *profile, const axis_filter *f, int c, int len,
                            double sigma, int radius) {
    int a = c - radius < 0 ? 0 : c - radius, b = c + radius + 1 > len ? len : c + radius + 1;
    memset(profile, 0, (size_t)len * sizeof *profile);
    // [a, b) also holds the mirror images' support: a mirror term is non-zero only where
    // c - radius < 0 (then a = 0) or c + radius >= len (then b = len).
    for (int i = a; i < b; i++) profile[i] = blurred_impulse(i, c, len, sigma, radius);
    axis_filter_apply(f, profile, out);
}

static int fixation_valid(const egd_fixation *f, const img_fit_geom *g) {
    return f->x >= 0 && f->y >= 0 && f->x < g->orig_w && f->y < g->orig_h;
}

static double fixation_weight(const egd_fixation *f, gaze_weight weight) {
    return weight == GAZE_WEIGHT_DURATION ? f->duration_s : 1.0;
}

// The full-resolution blurred map at original pixel (x, y): for the true maximum and minimum.
static double blurred_at(int x, int y, const egd_fixation *fix, int64_t n, const img_fit_geom *g,
                         double sigma, int radius, gaze_weight weight) {
    double v = 0;
    for (int64_t k = 0; k < n; k++) {
        double w = fixation_weight(&fix[k], weight);
        if (!fixation_valid(&fix[k], g) || !(w > 0)) continue;
        v += w * blurred_impulse(x, fix[k].x, g->orig_w, sigma, radius) *
             blurred_impulse(y, fix[k].y, g->orig_h, sigma, radius);
    }
    return v;
}

int64_t gaze_heatmap(float *heat, uint8_t *fixmap, const egd_fixation *fix, int64_t n_fix,
                     const img_fit_geom *g, double sigma_px, gaze_weight weight) {
    const int S = g->size, rw = g->resized_w, rh = g->resized_h, W = g->orig_w, H = g->orig_h;
    const int radius = (int)(4.0 * sigma_px + 0.5); // scipy's truncate = 4.0
    memset(heat, 0, (size_t)S * S * sizeof *heat);
    if (fixmap) memset(fixmap, 0, (size_t)S * S);
    axis_filter fx, fy;
    axis_filter_init(&fx, W, rw);
    axis_filter_init(&fy, H, rh);
    double *profile = cx_malloc((size_t)(W > H ? W : H) * sizeof *profile);
    double *gx = cx_malloc((size_t)rw * sizeof *gx); // [rw]
    double *gy = cx_malloc((size_t)rh * sizeof *gy); // [rh]
    double *full = cx_calloc((size_t)rw * rh, sizeof *full); // [rh, rw], before the crop
    int64_t used = 0;
    double hi = 0;
    for (int64_t k = 0; k < n_fix; k++) {
        const egd_fixation *f = &fix[k];
        double w = fixation_weight(f, weight);
        if (!fixation_valid(f, g) || !(w > 0)) continue;
        used++;
        if (fixmap) {
            double xt, yt;
            img_fit_to_target(g, f->x + 0.5, f->y + 0.5, &xt, &yt);
            int u = (int)floor(xt), v = (int)floor(yt);
            if (u >= 0 && u < S && v >= 0 && v < S) fixmap[(size_t)v * S + u] = 1;
        }
        resized_profile(gx, profile, &fx, f->x, W, sigma_px, radius);
        resized_profile(gy, profile, &fy, f->y, H, sigma_px, radius);
        for (int v = 0; v < rh; v++) {
            double wy = w * gy[v];
            if (wy == 0) continue;
            double *row = full + (size_t)v * rw;
            for (int u = 0; u < rw; u++) row[u] += wy * gx[u];
        }
        // Candidates for the full-resolution maximum: the fixation pixel and, because the
        // reflection mirrors mass at the border, its projections onto the four borders.
        int cand[5][2] = {{f->x, f->y}, {0, f->y}, {W - 1, f->y}, {f->x, 0}, {f->x, H - 1}};
        for (int q = 0; q < 5; q++)
            hi = fmax(hi, blurred_at(cand[q][0], cand[q][1], fix, n_fix, g, sigma_px, radius,
                                     weight));
    }
    if (used) {
        double lo = full[0];
        for (size_t i = 0; i < (size_t)rw * rh; i++) {
            lo = fmin(lo, full[i]);
            hi = fmax(hi, full[i]);
        }
        int cx[2] = {0, W - 1}, cy[2] = {0, H - 1};
        for (int a = 0; a < 2; a++)
            for (int b = 0; b < 2; b++) {
                double v = blurred_at(cx[a], cy[b], fix, n_fix, g, sigma_px, radius, weight);
                lo = fmin(lo, v);
                hi = fmax(hi, v);
            }
        double span = hi - lo;
        if (span > 0)
            for (int v = 0; v < S; v++)
                for (int u = 0; u < S; u++) {
                    double val = full[(size_t)(v + g->crop_y) * rw + (u + g->crop_x)];
                    double t = (val - lo) / span;
                    heat[(size_t)v * S + u] = (float)(t < 0 ? 0 : t > 1 ? 1 : t);
                }
    }
    axis_filter_free(&fx);
    axis_filter_free(&fy);
    free(profile);
    free(gx);
    free(gy);
    free(full);
    return used;
}
