// stats/ssim: structural similarity, identical to scikit-image 0.19
// skimage.metrics.structural_similarity(a, b, data_range=1, win_size=7, gaussian_weights=False,
// use_sample_covariance=True, K1=0.01, K2=0.03) (Wang et al. 2004, eq. 13, uniform window).
//
// scikit-image filters the whole image with a 7x7 uniform filter (scipy.ndimage mode 'reflect',
// d c b a | a b c d) and then averages the SSIM map cropped by (7-1)/2 = 3 pixels on each side.
// Every kept pixel's 7x7 window lies entirely inside the image, so the border mode never reaches
// the mean: we compute only the kept pixels, with separable running window sums in double.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stats/stats.h"

#define SSIM_WIN 7
#define SSIM_HALF 3

double stats_ssim(const float *a, const float *b, int h, int w) {
    if (h < SSIM_WIN || w < SSIM_WIN) return NAN;
    const double np = SSIM_WIN * SSIM_WIN, inv_np = 1.0 / np, cov_norm = np / (np - 1);
    const double c1 = 0.01 * 0.01, c2 = 0.03 * 0.03; // (K1 R)^2, (K2 R)^2 with R = data_range = 1
    const int wo = w - 2 * SSIM_HALF;                // kept output columns
    // col: per column, sums over the 7 rows of the current window of x, y, xx, yy, xy.
    // win: per kept output column, the 7x7 window sums of the same five quantities.
    double *col = cx_calloc((size_t)5 * w, sizeof *col),
           *win = cx_malloc((size_t)5 * wo * sizeof *win);
    double *sx = col, *sy = col + w, *sxx = col + 2 * w, *syy = col + 3 * w, *sxy = col + 4 * w;
    double *wx = win, *wy = win + wo, *wxx = win + 2 * wo, *wyy = win + 3 * wo, *wxy = win + 4 * wo;
    double total = 0;
    for (int r = 0; r < h; r++) {
        // Slide the row window: add row r, drop row r - 7.
        const float *ar = a + (size_t)r * w, *br = b + (size_t)r * w;
#pragma omp simd
        for (int j = 0; j < w; j++) {
            double x = ar[j], y = br[j];
            sx[j] += x, sy[j] += y, sxx[j] += x * x, syy[j] += y * y, sxy[j] += x * y;
        }
        if (r >= SSIM_WIN) {
            const float *ao = a + (size_t)(r - SSIM_WIN) * w, *bo = b + (size_t)(r - SSIM_WIN) * w;
#pragma omp simd
            for (int j = 0; j < w; j++) {
                double x = ao[j], y = bo[j];
                sx[j] -= x, sy[j] -= y, sxx[j] -= x * x, syy[j] -= y * y, sxy[j] -= x * y;
            }
        }
        if (r < SSIM_WIN - 1) continue;
        // Output row r - 3: 7-term sums along the row (no running-sum drift), then eq. 13.
        for (int q = 0; q < 5; q++) {
            const double *c = col + (size_t)q * w;
            double *o = win + (size_t)q * wo;
#pragma omp simd
            for (int j = 0; j < wo; j++)
                o[j] = c[j] + c[j + 1] + c[j + 2] + c[j + 3] + c[j + 4] + c[j + 5] + c[j + 6];
        }
        double row_sum = 0;
#pragma omp simd reduction(+ : row_sum)
        for (int j = 0; j < wo; j++) {
            double ux = wx[j] * inv_np, uy = wy[j] * inv_np;
            double vx = cov_norm * (wxx[j] * inv_np - ux * ux);
            double vy = cov_norm * (wyy[j] * inv_np - uy * uy);
            double vxy = cov_norm * (wxy[j] * inv_np - ux * uy);
            row_sum +=
                ((2 * ux * uy + c1) * (2 * vxy + c2)) / ((ux * ux + uy * uy + c1) * (vx + vy + c2));
        }
        total += row_sum;
    }
    free(col), free(win);
    return total / ((double)(h - 2 * SSIM_HALF) * (double)wo);
}
