// stats/metrics: saliency-map metrics of the MIT saliency benchmark (Bylinskii et al., "What do
// different evaluation metrics tell us about saliency models?", TPAMI 2019, and its MATLAB code:
// CC.m, NSS.m, KLdiv.m, similarity.m, AUC_Judd.m), min-max normalisation, baseline maps, and
// the bundle of all metrics of one (map, reference) pair.
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stats/stats.h"

int stats_minmax_normalise(float *map, size_t n) {
    float lo = INFINITY, hi = -INFINITY;
    int bad = 0;
#pragma omp simd reduction(min : lo) reduction(max : hi) reduction(| : bad)
    for (size_t i = 0; i < n; i++) {
        bad |= !isfinite(map[i]);
        lo = map[i] < lo ? map[i] : lo;
        hi = map[i] > hi ? map[i] : hi;
    }
    if (n == 0 || bad || !(hi > lo)) {
        memset(map, 0, n * sizeof *map);
        return 1;
    }
    const double scale = 1.0 / ((double)hi - (double)lo);
#pragma omp simd
    for (size_t i = 0; i < n; i++)
        map[i] = (float)(((double)map[i] - lo) * scale);
    return 0;
}

double stats_cc(const float *map, const float *ref, size_t n) {
    return stats_pearson(map, ref, n, NULL);
}

double stats_nss(const float *map, const uint8_t *fix, size_t n) {
    if (n < 2) return NAN;
    double mean = 0, ss = 0, sum = 0;
    size_t nfix = 0;
#pragma omp simd reduction(+ : mean)
    for (size_t i = 0; i < n; i++)
        mean += map[i];
    mean /= (double)n;
#pragma omp simd reduction(+ : ss, sum, nfix)
    for (size_t i = 0; i < n; i++) {
        double d = map[i] - mean;
        ss += d * d;
        sum += fix[i] ? d : 0.0;
        nfix += fix[i] != 0;
    }
    double sd = sqrt(ss / (double)(n - 1)); // MATLAB std: sample sd
    if (!(sd > 0) || nfix == 0) return NAN;
    return sum / sd / (double)nfix;
}

static double sum_of(const float *x, size_t n) {
    double s = 0;
#pragma omp simd reduction(+ : s)
    for (size_t i = 0; i < n; i++)
        s += x[i];
    return s;
}

// Natural log of a positive normal double, written so that loops over it vectorise (glibc's
// log does not without -ffast-math). x = 2^e m, m in [sqrt(1/2), sqrt(2)),
// log m = 2 atanh(z) = 2 (z + z^3/3 + ... + z^21/21), z = (m-1)/(m+1), |z| <= 0.1716: the
// truncation error is below 2^-53 relative; ln 2 split hi/lo (Cody & Waite).
static inline double log_vec(double x) {
    uint64_t bits;
    memcpy(&bits, &x, sizeof bits);
    int64_t e = (int64_t)((bits >> 52) & 0x7ff) - 1023;
    bits = (bits & 0x000fffffffffffffULL) | 0x3ff0000000000000ULL;
    double m;
    memcpy(&m, &bits, sizeof m);
    int big = m > 1.4142135623730951;
    m = big ? 0.5 * m : m;
    e += big;
    double z = (m - 1) / (m + 1), z2 = z * z;
    double p = 1.0 / 21;
    p = p * z2 + 1.0 / 19, p = p * z2 + 1.0 / 17, p = p * z2 + 1.0 / 15, p = p * z2 + 1.0 / 13;
    p = p * z2 + 1.0 / 11, p = p * z2 + 1.0 / 9, p = p * z2 + 1.0 / 7, p = p * z2 + 1.0 / 5;
    p = p * z2 + 1.0 / 3, p = p * z2 + 1.0;
    const double ln2_hi = 6.93147180369123816490e-01, ln2_lo = 1.90821492927058770002e-10;
    return (double)e * ln2_hi + (2 * z * p + (double)e * ln2_lo);
}

double stats_kl(const float *map, const float *gaze, size_t n) {
    const double eps = DBL_EPSILON; // 2.2204e-16, MATLAB's eps as in KLdiv.m
    double ss = sum_of(map, n), sg = sum_of(gaze, n);
    if (!(ss > 0) || !(sg > 0)) return NAN;
    const double is = 1.0 / ss, ig = 1.0 / sg;
    double kl = 0;
    // The log's argument is >= eps (normal) and finite, as log_vec needs.
#pragma omp simd reduction(+ : kl)
    for (size_t i = 0; i < n; i++) {
        double g = gaze[i] * ig, s = map[i] * is;
        kl += g * log_vec(eps + g / (s + eps));
    }
    return kl;
}

double stats_sim(const float *map, const float *ref, size_t n) {
    double sa = sum_of(map, n), sb = sum_of(ref, n);
    if (!(sa > 0) || !(sb > 0)) return NAN;
    const double ia = 1.0 / sa, ib = 1.0 / sb;
    double sim = 0;
#pragma omp simd reduction(+ : sim)
    for (size_t i = 0; i < n; i++) {
        double x = map[i] * ia, y = ref[i] * ib;
        sim += x < y ? x : y;
    }
    return sim;
}

static int cmp_double_asc(const void *pa, const void *pb) {
    double a = *(const double *)pa, b = *(const double *)pb;
    return (a > b) - (a < b);
}

// Number of entries of sorted (ascending) s[0..n) that are >= t.
static size_t count_at_least(const double *s, size_t n, double t) {
    size_t lo = 0, hi = n; // first index with s[i] >= t
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s[mid] < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return n - lo;
}

double stats_auc_judd(const float *map, const uint8_t *fix, size_t n) {
    size_t nfix = 0;
    for (size_t i = 0; i < n; i++)
        nfix += fix[i] != 0;
    if (nfix == 0 || nfix == n) return NAN;
    double *all = cx_malloc(n * sizeof *all), *th = cx_malloc(nfix * sizeof *th);
    for (size_t i = 0, k = 0; i < n; i++) {
        all[i] = map[i];
        if (fix[i]) th[k++] = map[i];
    }
    qsort(all, n, sizeof *all, cmp_double_asc);
    qsort(th, nfix, sizeof *th, cmp_double_asc); // used from the largest down
    // ROC points (0,0), (fp, tp) at each fixated value t from the largest down, (1,1);
    // trapezoid rule. tp counts the fixated pixels >= t (MIT's code uses i / Nfix and relies on
    // random jitter to break ties; counting ties together gives its value when there are no
    // ties and keeps tp, fp in [0,1] when there are: equal thresholds repeat a point).
    double auc = 0, fp_prev = 0, tp_prev = 0;
    for (size_t i = 1; i <= nfix; i++) {
        double t = th[nfix - i];
        double above = (double)count_at_least(all, n, t);
        double fix_above = (double)count_at_least(th, nfix, t);
        double tp = fix_above / (double)nfix;
        double fp = (above - fix_above) / (double)(n - nfix);
        auc += (fp - fp_prev) * (tp + tp_prev) * 0.5;
        fp_prev = fp, tp_prev = tp;
    }
    auc += (1.0 - fp_prev) * (1.0 + tp_prev) * 0.5;
    free(all), free(th);
    return auc;
}

void stats_center_bias_map(float *map, int h, int w) {
    double cy = 0.5 * (h - 1), cx = 0.5 * (w - 1), sy = 0.25 * h, sx = 0.25 * w;
    for (int i = 0; i < h; i++)
        for (int j = 0; j < w; j++) {
            double dy = (i - cy) / sy, dx = (j - cx) / sx;
            map[(size_t)i * w + j] = (float)exp(-0.5 * (dy * dy + dx * dx));
        }
}

void stats_mean_map(const float *maps, size_t n, size_t n_pix, float *out) {
    double *acc = cx_calloc(n_pix ? n_pix : 1, sizeof *acc);
    for (size_t k = 0; k < n; k++)
        for (size_t p = 0; p < n_pix; p++)
            acc[p] += maps[k * n_pix + p];
    for (size_t p = 0; p < n_pix; p++)
        out[p] = n ? (float)(acc[p] / (double)n) : 0.0f;
    free(acc);
}

void stats_map_metrics_compute(const float *map, const float *ref, const uint8_t *fix, int h, int w,
                               stats_map_metrics *out) {
    const stats_map_norm minmax = {STATS_SIGN_SIGNED, STATS_SCALE_MINMAX}; // min-max, both maps
    stats_map_metrics_ex(map, ref, fix, h, w, STATS_M_ALL, 0, minmax, NULL, out);
}

void stats_map_metrics_ex(const float *map, const float *ref, const uint8_t *fix, int h, int w,
                          unsigned which, int emd_max_side, stats_map_norm norm, float *work,
                          stats_map_metrics *out) {
    size_t n = (size_t)h * (size_t)w;
    float *own = work ? NULL : cx_malloc(2 * n * sizeof *own), *s = work ? work : own, *g = s + n;
    memcpy(s, map, n * sizeof *s);
    out->map_constant = stats_map_normalise(s, n, norm, g); // g: its sort scratch until the copy
    memcpy(g, ref, n * sizeof *g);
    out->ref_constant = stats_minmax_normalise(g, n);
    out->ssim = which & STATS_M_SSIM ? stats_ssim(s, g, h, w) : NAN;
    out->cc = which & STATS_M_CC ? stats_cc(s, g, n) : NAN;
    out->kl = which & STATS_M_KL ? stats_kl(s, g, n) : NAN;
    out->sim = which & STATS_M_SIM ? stats_sim(s, g, n) : NAN;
    out->emd = which & STATS_M_EMD ? stats_emd(s, g, h, w, emd_max_side, NULL) : NAN;
    out->nss = fix && (which & STATS_M_NSS) ? stats_nss(s, fix, n) : NAN;
    out->auc_judd = fix && (which & STATS_M_AUC_JUDD) ? stats_auc_judd(s, fix, n) : NAN;
    out->sauc = out->ig_centre = out->ig_mean_gaze = NAN; // need more than this pair
    free(own);
}
