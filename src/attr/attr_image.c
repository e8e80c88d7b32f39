// attr/attr_image.c: quadrature nodes, upsampling, Gaussian blur, baselines.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "attr/attr.h"

// Gauss-Legendre on (-1,1) by Newton's method on P_n, using the three-term recurrence
// (k+1) P_{k+1} = (2k+1) x P_k - k P_{k-1} and P_n' = n (x P_n - P_{n-1}) / (x^2 - 1);
// weights 2 / ((1 - x^2) P_n'(x)^2). Mapped to (0,1) as Captum does: a = (1+x)/2, w/2.
void attr_gauss_legendre(int n, double *alphas, double *weights) {
    for (int i = 0; i < n; i++) {
        // i-th root from the top, initial guess (Tricomi); roots come out descending.
        double x = cos(M_PI * (i + 0.75) / (n + 0.5)), dp = 1;
        for (int it = 0; it < 100; it++) {
            double p0 = 1, p1 = x;
            for (int k = 1; k < n; k++) {
                double p2 = ((2.0 * k + 1) * x * p1 - k * p0) / (k + 1);
                p0 = p1;
                p1 = p2;
            }
            // p1 = P_n(x), p0 = P_{n-1}(x)
            dp = n * (x * p1 - p0) / (x * x - 1);
            double dx = p1 / dp;
            x -= dx;
            if (fabs(dx) < 1e-16) break;
        }
        {   // final derivative at the converged root
            double p0 = 1, p1 = x;
            for (int k = 1; k < n; k++) {
                double p2 = ((2.0 * k + 1) * x * p1 - k * p0) / (k + 1);
                p0 = p1;
                p1 = p2;
            }
            dp = n * (x * p1 - p0) / (x * x - 1);
        }
        int j = n - 1 - i; // ascending
        alphas[j] = 0.5 * (1 + x);
        if (weights) weights[j] = 0.5 * 2 / ((1 - x * x) * dp * dp);
    }
}

// PyTorch's upsample kernels (aten UpSample.h): bilinear with align_corners=False maps output
// pixel d to source (d + 0.5) * in/out - 0.5, clamped at 0; legacy "nearest" to floor(d * in/out).
void attr_upsample_plane(const float *in, int ih, int iw, float *out, int oh, int ow,
                         attr_upsample mode) {
    float sh = (float)ih / oh, sw = (float)iw / ow;
    if (mode == ATTR_UPSAMPLE_NEAREST) {
        for (int y = 0; y < oh; y++) {
            int sy = (int)floorf(y * sh);
            if (sy > ih - 1) sy = ih - 1;
            for (int x = 0; x < ow; x++) {
                int sx = (int)floorf(x * sw);
                if (sx > iw - 1) sx = iw - 1;
                out[(size_t)y * ow + x] = in[(size_t)sy * iw + sx];
            }
        }
        return;
    }
    for (int y = 0; y < oh; y++) {
        float fy = sh * (y + 0.5f) - 0.5f;
        if (fy < 0) fy = 0;
        int y0 = (int)fy, y1 = y0 < ih - 1 ? y0 + 1 : y0;
        float ly = fy - y0;
        for (int x = 0; x < ow; x++) {
            float fx = sw * (x + 0.5f) - 0.5f;
            if (fx < 0) fx = 0;
            int x0 = (int)fx, x1 = x0 < iw - 1 ? x0 + 1 : x0;
            float lx = fx - x0;
            out[(size_t)y * ow + x] =
                (1 - ly) * ((1 - lx) * in[(size_t)y0 * iw + x0] + lx * in[(size_t)y0 * iw + x1]) +
                ly * ((1 - lx) * in[(size_t)y1 * iw + x0] + lx * in[(size_t)y1 * iw + x1]);
        }
    }
}

// scipy.ndimage "reflect" (half-sample symmetric: d c b a | a b c d | d c b a), any offset.
static int reflect_index(int i, int n) {
    int period = 2 * n;
    int m = i % period;
    if (m < 0) m += period;
    return m < n ? m : period - 1 - m;
}

// scipy.ndimage.gaussian_filter: separable, radius = int(4 sigma + 0.5), weights
// exp(-x^2 / (2 sigma^2)) normalised to sum 1, rows then columns, accumulated in double.
void attr_gaussian_blur(const float *in, int c, int h, int w, double sigma_px, float *out) {
    size_t plane = (size_t)h * w;
    if (sigma_px <= 0) {
        memcpy(out, in, plane * c * sizeof *out);
        return;
    }
    int r = (int)(4.0 * sigma_px + 0.5);
    double *k = cx_malloc(sizeof *k * (2 * r + 1));
    double sum = 0;
    for (int i = -r; i <= r; i++) sum += k[i + r] = exp(-0.5 * i * i / (sigma_px * sigma_px));
    for (int i = 0; i <= 2 * r; i++) k[i] /= sum;
    double *tmp = cx_malloc(sizeof *tmp * plane);
    for (int ch = 0; ch < c; ch++) {
        const float *src = in + ch * plane;
        // along y (axis 1) first, then x: scipy filters axes in order; separable, so the order
        // only changes rounding.
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                double acc = 0;
                for (int i = -r; i <= r; i++) acc += k[i + r] * src[(size_t)reflect_index(y + i, h) * w + x];
                tmp[(size_t)y * w + x] = acc;
            }
        float *dst = out + ch * plane;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                double acc = 0;
                for (int i = -r; i <= r; i++) acc += k[i + r] * tmp[(size_t)y * w + reflect_index(x + i, w)];
                dst[(size_t)y * w + x] = (float)acc;
            }
    }
    free(tmp);
    free(k);
}

void attr_make_baseline(attr_baseline b, const attr_options *o, const float *x, int h, int w,
                        float *out) {
    size_t plane = (size_t)h * w;
    switch (b) {
    case ATTR_BASELINE_ZERO:
        memset(out, 0, 3 * plane * sizeof *out);
        break;
    case ATTR_BASELINE_BLACK:
        for (int ch = 0; ch < 3; ch++)
            for (size_t i = 0; i < plane; i++)
                out[ch * plane + i] = o->black[ch];
        break;
    case ATTR_BASELINE_BLUR:
        attr_gaussian_blur(x, 3, h, w, o->blur_sigma_frac * (h < w ? h : w), out);
        break;
    }
}
