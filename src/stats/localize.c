// stats/localize: localisation of one 2-D map against one expert annotation (METHODS.md §4,
// CheXlocalize, Saporta et al. 2022): the map binarised by Otsu's threshold on its 8-bit copy
// (scikit-image threshold_otsu) or a fixed threshold, IoU with the annotation, the pointing game
// (hit) and the share of the map's mass inside the annotation.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stats/stats.h"

void stats_map_to_u8(const float *m, size_t n, uint8_t *m8) {
    for (size_t i = 0; i < n; i++) {
        // numpy: np.uint8(255 * m) on a float32 map: a float32 product, truncated (m in [0,1]).
        float v = 255.0f * m[i];
        m8[i] = v >= 255.0f ? 255 : v > 0 ? (uint8_t)v : 0;
    }
}

// skimage.filters.threshold_otsu 0.19 (filters/thresholding.py lines 312-381) on a uint8 image:
// the histogram has one bin per integer from the image's min to its max (exposure.py
// _bincount_histogram, source_range "image"); for each cut k between bin k and k+1,
// variance12[k] = w1[k] * w2[k+1] * (mu1[k] - mu2[k+1])^2 with w the counts below/above and mu
// the class means (integer cumulative sums divided in double, in numpy's order); the threshold
// is the bin value of the first maximum (np.argmax). A constant image returns its value.
int stats_otsu_u8(const uint8_t *img, size_t n) {
    if (n == 0) return 0;
    int64_t count[256] = {0};
    for (size_t i = 0; i < n; i++)
        count[img[i]]++;
    int lo = 0, hi = 255;
    while (!count[lo])
        lo++;
    while (!count[hi])
        hi--;
    if (lo == hi) return lo;
    // Counts and value sums at and above each bin (class 2 of the cut below it).
    int64_t w2[257] = {0}, s2[257] = {0};
    for (int v = hi; v >= lo; v--) {
        w2[v] = w2[v + 1] + count[v];
        s2[v] = s2[v + 1] + count[v] * v;
    }
    int64_t w1 = 0, s1 = 0;
    double best = -1;
    int arg = lo;
    for (int v = lo; v < hi; v++) {
        w1 += count[v];
        s1 += count[v] * v;
        double mu1 = (double)s1 / (double)w1, mu2 = (double)s2[v + 1] / (double)w2[v + 1];
        double d = mu1 - mu2;
        double var12 = (double)(w1 * w2[v + 1]) * (d * d);
        if (var12 > best) best = var12, arg = v;
    }
    return arg;
}

int64_t stats_map_peak(const float *raw, size_t n, stats_map_sign sign) {
    int64_t arg = -1;
    float best = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        float v = raw[i];
        if (sign == STATS_SIGN_ABS)
            v = fabsf(v);
        else if (sign == STATS_SIGN_POSITIVE)
            v = v > 0 ? v : 0;
        if (!isfinite(v)) return -1;
        if (v > best) best = v, arg = (int64_t)i;
    }
    return arg;
}

int stats_localise_binarise(const float *m, size_t n, double threshold, uint8_t *b) {
    if (threshold >= 0) {
        for (size_t i = 0; i < n; i++)
            b[i] = m[i] > threshold;
        return -1;
    }
    stats_map_to_u8(m, n, b); // m8 first, then compared in place
    int t = stats_otsu_u8(b, n);
    for (size_t i = 0; i < n; i++)
        b[i] = b[i] > t;
    return t;
}

void stats_localise_mask(const float *m, const uint8_t *b, int threshold, int64_t peak,
                         const uint8_t *annot, size_t n, stats_localisation *out) {
    int64_t inter = 0, uni = 0, in_mask = 0;
    for (size_t i = 0; i < n; i++) { // branch-free counts
        int a = annot[i] != 0;
        inter += a & b[i];
        uni += a | b[i];
        in_mask += b[i];
    }
    // Mass in double, four running sums each (one chain of dependent adds is latency-bound).
    double sum[4] = {0}, sum_in[4] = {0};
    size_t i = 0;
    for (; i + 4 <= n; i += 4)
        for (int k = 0; k < 4; k++) {
            sum[k] += m[i + k];
            sum_in[k] += annot[i + k] ? m[i + k] : 0.0f;
        }
    for (; i < n; i++) {
        sum[0] += m[i];
        sum_in[0] += annot[i] ? m[i] : 0.0f;
    }
    double mass = (sum[0] + sum[1]) + (sum[2] + sum[3]);
    double mass_in = (sum_in[0] + sum_in[1]) + (sum_in[2] + sum_in[3]);
    out->threshold = threshold;
    out->n_mask = in_mask;
    out->iou = uni ? (double)inter / (double)uni : NAN;
    out->hit = peak >= 0 && (size_t)peak < n ? (annot[peak] != 0) : NAN;
    out->mass_share = mass > 0 ? mass_in / mass : NAN;
}

void stats_localise(const float *m, int64_t peak, const uint8_t *annot, size_t n, double threshold,
                    uint8_t *work, stats_localisation *out) {
    uint8_t *b = work ? work : cx_malloc(n ? n : 1);
    int t = stats_localise_binarise(m, n, threshold, b);
    stats_localise_mask(m, b, t, peak, annot, n, out);
    if (!work) free(b);
}
