// Antialiased resize (Pillow's BILINEAR semantics), shorter-side fit + centre crop geometry, and
// area-coverage resize of masks with the same geometry.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "io/io.h"

// ---- geometry
// ---------------------------------------------------------------------------------------
void img_fit_geom_init(img_fit_geom *g, int orig_w, int orig_h, int size) {
    CX_ASSERT(orig_w > 0 && orig_h > 0 && size > 0);
    g->orig_w = orig_w;
    g->orig_h = orig_h;
    g->size = size;
    // torchvision Resize(int): short side -> size, long side -> int(size * long / short).
    if (orig_w <= orig_h) {
        g->resized_w = size;
        g->resized_h = (int)((int64_t)size * orig_h / orig_w);
    } else {
        g->resized_h = size;
        g->resized_w = (int)((int64_t)size * orig_w / orig_h);
    }
    g->crop_x = (g->resized_w - size) / 2;
    g->crop_y = (g->resized_h - size) / 2;
    g->scale_x = (double)g->resized_w / orig_w;
    g->scale_y = (double)g->resized_h / orig_h;
}

void img_fit_to_target(const img_fit_geom *g, double x_orig, double y_orig, double *x_t,
                       double *y_t) {
    *x_t = x_orig * g->scale_x - g->crop_x;
    *y_t = y_orig * g->scale_y - g->crop_y;
}

void img_fit_to_orig(const img_fit_geom *g, double x_t, double y_t, double *x_orig,
                     double *y_orig) {
    *x_orig = (x_t + g->crop_x) / g->scale_x;
    *y_orig = (y_t + g->crop_y) / g->scale_y;
}

// The extent of the original image in src pixels: src may be a libjpeg DCT-scaled decode
// (factor k/8, size ceil(orig * k / 8)), whose pixel i covers original [8i/k, 8(i+1)/k); the
// resize then samples exactly the original's extent, so the geometry holds to sub-pixel accuracy.
static void src_extent(const img_fit_geom *g, int src_w, int src_h, double *ext_w, double *ext_h) {
    for (int k = 8; k >= 1; k--) {
        if ((g->orig_w * k + 7) / 8 == src_w && (g->orig_h * k + 7) / 8 == src_h) {
            *ext_w = g->orig_w * k / 8.0;
            *ext_h = g->orig_h * k / 8.0;
            return;
        }
    }
    *ext_w = src_w;
    *ext_h = src_h;
}

// ---- resampling coefficients (Pillow's ImagingResample semantics, Resample.c)
// ---------------------- Output pixel o (of out_size over the source interval [0, extent)) has
// centre c = (o + 0.5) * scale, scale = extent / out_size; the triangle filter's support is widened
// by max(scale, 1) so a downscale averages every source pixel under it (antialiasing). Weights are
// normalised to sum 1 and rounded to PREC-bit fixed point; the sum starts at 0.5 (rounding) and is
// clipped to 0..255.
#define PREC 22

typedef struct {
    int first, count; // output indices [first, first + count) of out_size
    int ksize;
    int *xmin, *xn; // [count] first source pixel and number of taps
    int32_t *k;     // [count, ksize] fixed-point weights
} resample_coeffs;

static double triangle(double x) {
    x = fabs(x);
    return x < 1.0 ? 1.0 - x : 0.0;
}

static void coeffs_init(resample_coeffs *c, int in_size, double extent, int out_size, int first,
                        int count) {
    double scale = extent / out_size;
    double filterscale = scale < 1.0 ? 1.0 : scale;
    double support = 1.0 * filterscale;
    c->first = first;
    c->count = count;
    c->ksize = (int)ceil(support) * 2 + 1;
    c->xmin = cx_malloc(sizeof(int) * (size_t)count);
    c->xn = cx_malloc(sizeof(int) * (size_t)count);
    c->k = cx_calloc((size_t)count * (size_t)c->ksize, sizeof(int32_t));
    double *w = cx_malloc(sizeof(double) * (size_t)c->ksize);
    for (int i = 0; i < count; i++) {
        double center = (first + i + 0.5) * scale;
        int xmin = (int)(center - support + 0.5), xmax = (int)(center + support + 0.5);
        if (xmin < 0) xmin = 0;
        if (xmax > in_size) xmax = in_size;
        int n = xmax - xmin;
        if (n > c->ksize) n = c->ksize;
        if (n < 0) n = 0;
        double ww = 0;
        for (int x = 0; x < n; x++) {
            w[x] = triangle((x + xmin - center + 0.5) / filterscale);
            ww += w[x];
        }
        int32_t *ki = c->k + (size_t)i * c->ksize;
        for (int x = 0; x < n; x++) {
            double v = ww != 0 ? w[x] / ww : 0;
            ki[x] = (int32_t)(v < 0 ? -0.5 + v * (1 << PREC) : 0.5 + v * (1 << PREC));
        }
        c->xmin[i] = xmin;
        c->xn[i] = n;
    }
    free(w);
}

static void coeffs_free(resample_coeffs *c) {
    free(c->xmin);
    free(c->xn);
    free(c->k);
}

static inline uint8_t clip8(int32_t acc) {
    int32_t v = acc >> PREC;
    return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

// Resamples src [src_h, src_w] (covering [0, ext_w) x [0, ext_h)) to the window of a
// full_w x full_h result starting at (x0, y0), size out_w x out_h, into dst [out_h, out_w].
// Horizontal pass first into an 8-bit buffer over the source rows the vertical pass needs, then
// vertical, as Pillow does; a pass whose size does not change is the identity and is skipped.
static void resample_window(const uint8_t *src, int src_w, int src_h, double ext_w, double ext_h,
                            int full_w, int full_h, int x0, int y0, int out_w, int out_h,
                            uint8_t *dst) {
    int need_h = !(full_w == src_w && ext_w == src_w);
    int need_v = !(full_h == src_h && ext_h == src_h);
    resample_coeffs cx = {0}, cy = {0};
    int ry0 = y0, ry1 = y0 + out_h; // source rows needed
    if (need_v) {
        coeffs_init(&cy, src_h, ext_h, full_h, y0, out_h);
        ry0 = cy.xmin[0];
        ry1 = 0;
        for (int i = 0; i < out_h; i++) {
            if (cy.xmin[i] < ry0) ry0 = cy.xmin[i];
            if (cy.xmin[i] + cy.xn[i] > ry1) ry1 = cy.xmin[i] + cy.xn[i];
        }
        if (ry1 < ry0) ry1 = ry0;
    }
    int rows = ry1 - ry0;
    // tmp [rows, out_w]: the horizontally resampled source rows ry0..ry1-1.
    uint8_t *tmp = need_h ? cx_malloc((size_t)rows * (size_t)out_w + 1) : NULL;
    if (need_h) {
        coeffs_init(&cx, src_w, ext_w, full_w, x0, out_w);
        for (int y = 0; y < rows; y++) {
            const uint8_t *in = src + (size_t)(ry0 + y) * src_w;
            uint8_t *out = tmp + (size_t)y * out_w;
            for (int i = 0; i < out_w; i++) {
                const int32_t *k = cx.k + (size_t)i * cx.ksize;
                const uint8_t *p = in + cx.xmin[i];
                int32_t acc = 1 << (PREC - 1);
                for (int t = 0; t < cx.xn[i]; t++)
                    acc += p[t] * k[t];
                out[i] = clip8(acc);
            }
        }
    }
    // Rows of the horizontally processed image: tmp (offset ry0) or the source itself (x0 crop).
    const uint8_t *hbase = need_h ? tmp : src + x0;
    size_t hstride = need_h ? (size_t)out_w : (size_t)src_w;
    int hrow0 = need_h ? ry0 : 0;
    if (need_v) {
        int32_t *acc = cx_malloc(sizeof(int32_t) * (size_t)out_w);
        for (int i = 0; i < out_h; i++) {
            const int32_t *k = cy.k + (size_t)i * cy.ksize;
            for (int x = 0; x < out_w; x++)
                acc[x] = 1 << (PREC - 1);
            for (int t = 0; t < cy.xn[i]; t++) {
                const uint8_t *row = hbase + (size_t)(cy.xmin[i] + t - hrow0) * hstride;
                int32_t kt = k[t];
                for (int x = 0; x < out_w; x++)
                    acc[x] += row[x] * kt;
            }
            for (int x = 0; x < out_w; x++)
                dst[(size_t)i * out_w + x] = clip8(acc[x]);
        }
        free(acc);
    } else {
        for (int i = 0; i < out_h; i++)
            memcpy(dst + (size_t)i * out_w, hbase + (size_t)(y0 + i - hrow0) * hstride,
                   (size_t)out_w);
    }
    free(tmp);
    if (need_h) coeffs_free(&cx);
    if (need_v) coeffs_free(&cy);
}

int img_resize_gray(const uint8_t *src, int src_w, int src_h, uint8_t *dst, int dst_w, int dst_h,
                    cx_error *err) {
    if (src_w <= 0 || src_h <= 0 || dst_w <= 0 || dst_h <= 0 || dst_w > IMG_MAX_SIDE ||
        dst_h > IMG_MAX_SIDE)
        return cx_fail(err, "resize: bad sizes %dx%d -> %dx%d", src_w, src_h, dst_w, dst_h);
    resample_window(src, src_w, src_h, src_w, src_h, dst_w, dst_h, 0, 0, dst_w, dst_h, dst);
    return 0;
}

static int check_fit(int src_w, int src_h, const img_fit_geom *g, cx_error *err) {
    if (src_w <= 0 || src_h <= 0 || !g || g->size <= 0 || g->resized_w < g->size ||
        g->resized_h < g->size)
        return cx_fail(err, "fit: bad source %dx%d or geometry", src_w, src_h);
    return 0;
}

int img_fit_gray(const uint8_t *src, int src_w, int src_h, const img_fit_geom *g, uint8_t *dst,
                 cx_error *err) {
    if (check_fit(src_w, src_h, g, err)) return -1;
    double ext_w, ext_h;
    src_extent(g, src_w, src_h, &ext_w, &ext_h);
    resample_window(src, src_w, src_h, ext_w, ext_h, g->resized_w, g->resized_h, g->crop_x,
                    g->crop_y, g->size, g->size, dst);
    return 0;
}

// ---- masks: exact area coverage
// ------------------------------------------------------------------ Output pixel o of out_size
// over [0, extent) covers source [o * s, (o + 1) * s), s = extent / out_size; source pixel i
// contributes the length of [i, i + 1) inside it, divided by s.
typedef struct {
    int *xmin, *xn, ksize;
    float *w; // [count, ksize]
} area_coeffs;

static void area_init(area_coeffs *a, int in_size, double extent, int out_size, int first,
                      int count) {
    double s = extent / out_size;
    a->ksize = (int)ceil(s) + 2;
    a->xmin = cx_malloc(sizeof(int) * (size_t)count);
    a->xn = cx_malloc(sizeof(int) * (size_t)count);
    a->w = cx_calloc((size_t)count * (size_t)a->ksize, sizeof(float));
    for (int i = 0; i < count; i++) {
        double lo = (first + i) * s, hi = lo + s;
        int xmin = (int)floor(lo), xmax = (int)ceil(hi);
        if (xmin < 0) xmin = 0;
        if (xmax > in_size) xmax = in_size;
        int n = xmax - xmin;
        if (n > a->ksize) n = a->ksize;
        if (n < 0) n = 0;
        for (int t = 0; t < n; t++) {
            double a0 = fmax(lo, xmin + t), a1 = fmin(hi, xmin + t + 1.0);
            a->w[(size_t)i * a->ksize + t] = (float)(a1 > a0 ? (a1 - a0) / s : 0);
        }
        a->xmin[i] = xmin;
        a->xn[i] = n;
    }
}

static void area_free(area_coeffs *a) {
    free(a->xmin);
    free(a->xn);
    free(a->w);
}

int img_fit_mask_coverage(const uint8_t *src, int src_w, int src_h, const img_fit_geom *g,
                          float *dst, cx_error *err) {
    if (check_fit(src_w, src_h, g, err)) return -1;
    double ext_w, ext_h;
    src_extent(g, src_w, src_h, &ext_w, &ext_h);
    int S = g->size;
    area_coeffs ax, ay;
    area_init(&ax, src_w, ext_w, g->resized_w, g->crop_x, S);
    area_init(&ay, src_h, ext_h, g->resized_h, g->crop_y, S);
    float *row = cx_malloc(sizeof(float) * (size_t)S);
    for (size_t i = 0; i < (size_t)S * S; i++)
        dst[i] = 0;
    for (int yo = 0; yo < S; yo++) {
        for (int t = 0; t < ay.xn[yo]; t++) {
            const uint8_t *in = src + (size_t)(ay.xmin[yo] + t) * src_w;
            float wy = ay.w[(size_t)yo * ay.ksize + t];
            for (int xo = 0; xo < S; xo++) {
                const float *w = ax.w + (size_t)xo * ax.ksize;
                const uint8_t *p = in + ax.xmin[xo];
                float acc = 0;
                for (int u = 0; u < ax.xn[xo]; u++)
                    acc += p[u] ? w[u] : 0.0f;
                row[xo] = acc;
            }
            for (int xo = 0; xo < S; xo++)
                dst[(size_t)yo * S + xo] += wy * row[xo];
        }
    }
    for (size_t i = 0; i < (size_t)S * S; i++)
        dst[i] = fminf(fmaxf(dst[i], 0.0f), 1.0f);
    free(row);
    area_free(&ax);
    area_free(&ay);
    return 0;
}

int img_fit_mask(const uint8_t *src, int src_w, int src_h, const img_fit_geom *g, uint8_t *dst,
                 cx_error *err) {
    if (check_fit(src_w, src_h, g, err)) return -1;
    int S = g->size;
    float *cov = cx_malloc(sizeof(float) * (size_t)S * S);
    int rc = img_fit_mask_coverage(src, src_w, src_h, g, cov, err);
    // 1e-4 absorbs float rounding of coverage sums that are exactly one half.
    for (size_t i = 0; rc == 0 && i < (size_t)S * S; i++)
        dst[i] = cov[i] >= 0.5f - 1e-4f ? 255 : 0;
    free(cov);
    return rc;
}

int img_load_fit(const char *path, int size, uint8_t *dst, img_fit_geom *g, cx_error *err) {
    img_gray im;
    if (size <= 0) return cx_fail(err, "%s: bad target size %d", path, size);
    if (img_load_gray(path, size, &im, err) != 0) return -1;
    img_fit_geom geom;
    img_fit_geom_init(&geom, im.orig_w, im.orig_h, size);
    int rc = img_fit_gray(im.px, im.w, im.h, &geom, dst, err);
    if (rc != 0) cx_fail_wrap(err, "%s", path);
    if (g) *g = geom;
    img_gray_free(&im);
    return rc;
}
