// data/reflacx_heat: a REFLACX reading's gaze heatmap and fixation map (the authors' recipe, at
// the model's resolution) and its anomaly ellipses as masks. Derivations in data.h.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data/data.h"
#include "data/gaze_internal.h"

// Python's round() on a window edge: half to even (nearbyint in the default rounding mode).
static int round_edge(float v) { return (int)nearbyint((double)v); }

// One axis of fixation f's term: the 1-D normal density of sd sigma centred at c, at the integer
// pixels [a, b) (the shown window, clipped to the line), 0 elsewhere. scipy's
// multivariate_normal with a diagonal covariance is the product of two such densities. Writes
// profile [len], returns its sum.
static double window_profile(double *profile, int len, int a, int b, double c, double sigma) {
    const double norm = 1.0 / (sqrt(2.0 * M_PI) * sigma), inv = 1.0 / (2.0 * sigma * sigma);
    double sum = 0;
    memset(profile, 0, (size_t)len * sizeof *profile);
    for (int i = a; i < b; i++) sum += profile[i] = norm * exp(-(i - c) * (i - c) * inv);
    return sum;
}

// The shown window of f along one axis ([lo, hi) of the shown rectangle), clipped to [0, len).
static int window(const reflacx_fixation *f, int axis, int len, int *a, int *b) {
    *a = round_edge(f->shown[axis]);
    *b = round_edge(f->shown[axis + 2]);
    if (*a < 0) *a = 0;
    if (*b > len) *b = len;
    return *b > *a;
}

int64_t reflacx_heatmap(float *heat, uint8_t *fixmap, const reflacx_fixation *fix, int64_t n_fix,
                        const img_fit_geom *g, double sigma_deg, reflacx_norm norm) {
    const int S = g->size, W = g->orig_w, H = g->orig_h;
    memset(heat, 0, (size_t)S * S * sizeof *heat);
    if (fixmap) memset(fixmap, 0, (size_t)S * S);
    axis_filter fx, fy;
    axis_filter_init(&fx, W, g->resized_w);
    axis_filter_init(&fy, H, g->resized_h);
    double *profile = cx_malloc((size_t)(W > H ? W : H) * sizeof *profile);
    double *gx = cx_malloc((size_t)g->resized_w * sizeof *gx);
    double *gy = cx_malloc((size_t)g->resized_h * sizeof *gy);
    double *acc = cx_calloc((size_t)S * S, sizeof *acc); // [S,S], the cropped part only
    double total = 0;
    int64_t used = 0;
    for (int64_t k = 0; k < n_fix; k++) {
        const reflacx_fixation *f = &fix[k];
        double w = f->t_end - f->t_start; // the authors' weight: the fixation's duration
        int xa, xb, ya, yb;
        if (!(w > 0) || !window(f, 0, W, &xa, &xb) || !window(f, 1, H, &ya, &yb)) continue;
        used++;
        double sum_x = window_profile(profile, W, xa, xb, f->x, sigma_deg * f->ppd_x);
        axis_filter_apply(&fx, profile, gx);
        double sum_y = window_profile(profile, H, ya, yb, f->y, sigma_deg * f->ppd_y);
        axis_filter_apply(&fy, profile, gy);
        total += w * sum_x * sum_y; // this term's sum over the full-resolution image
        for (int v = 0; v < S; v++) {
            double wy = w * gy[v + g->crop_y];
            if (wy == 0) continue;
            double *row = acc + (size_t)v * S;
            const double *gxc = gx + g->crop_x;
            for (int u = 0; u < S; u++) row[u] += wy * gxc[u];
        }
        // On the image where it was shown: the fixation's pixel centre in the target grid.
        int px = (int)floor(f->x), py = (int)floor(f->y);
        if (fixmap && px >= xa && px < xb && py >= ya && py < yb) {
            double xt, yt;
            img_fit_to_target(g, px + 0.5, py + 0.5, &xt, &yt);
            int u = (int)floor(xt), v = (int)floor(yt);
            if (u >= 0 && u < S && v >= 0 && v < S) fixmap[(size_t)v * S + u] = 1;
        }
    }
    if (total > 0) {
        double peak = 0;
        for (size_t i = 0; i < (size_t)S * S; i++) peak = fmax(peak, acc[i] /= total);
        double scale = norm == REFLACX_NORM_MAX && peak > 0 ? 1.0 / peak : 1.0;
        for (size_t i = 0; i < (size_t)S * S; i++) heat[i] = (float)(acc[i] * scale);
    }
    axis_filter_free(&fx);
    axis_filter_free(&fy);
    free(profile);
    free(gx);
    free(gy);
    free(acc);
    return used;
}

int64_t reflacx_ellipse_mask(uint8_t *mask, const reflacx_data *d, const reflacx_reading *r,
                             uint64_t labels, double min_certainty, const img_fit_geom *g) {
    const int S = g->size;
    memset(mask, 0, (size_t)S * S);
    int64_t drawn = 0;
    for (int64_t k = r->ell_begin; k < r->ell_begin + r->ell_count; k++) {
        const reflacx_ellipse *e = &d->ell[k];
        if (!(e->labels & labels) || !(e->certainty >= min_certainty)) continue;
        // The ellipse inscribed in the box (the authors' interrater.py create_ellipse), in
        // continuous image coordinates where pixel index i is the point i (as fixations).
        double cx = 0.5 * ((double)e->xmin + e->xmax), cy = 0.5 * ((double)e->ymin + e->ymax);
        double ax = 0.5 * fabs((double)e->xmax - e->xmin), ay = 0.5 * fabs((double)e->ymax - e->ymin);
        if (!(ax > 0 && ay > 0)) continue;
        drawn++;
        for (int v = 0; v < S; v++)
            for (int u = 0; u < S; u++) {
                double xo, yo;
                img_fit_to_orig(g, u + 0.5, v + 0.5, &xo, &yo);
                double dx = (xo - 0.5 - cx) / ax, dy = (yo - 0.5 - cy) / ay;
                if (dx * dx + dy * dy <= 1.0) mask[(size_t)v * S + u] = 1;
            }
    }
    return drawn;
}

uint64_t reflacx_cx_label_bits(const reflacx_data *d, int c) {
    uint64_t bits = 0;
    for (int k = 0; k < d->n_labels; k++)
        if (d->label_cx[k] == c && c >= 0) bits |= 1ull << k;
    return bits;
}
