// stats/rank: midranks, percentiles, Pearson and Spearman correlation, status names.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stats/stats.h"

const char *stats_status_name(stats_status s) {
    switch (s) {
    case STATS_OK:
        return "ok";
    case STATS_EMPTY:
        return "empty";
    case STATS_ONE_CLASS:
        return "one class";
    case STATS_TOO_FEW:
        return "too few cases";
    case STATS_CONSTANT:
        return "constant";
    case STATS_BAD_SIZE:
        return "bad size";
    case STATS_NONFINITE:
        return "non-finite score";
    case STATS_NO_CONVERGE:
        return "no convergence";
    }
    return "?";
}

// Merge sort of indices by key (stable, thread-safe, O(n log n)).
static void argsort(const double *key, size_t n, size_t *idx) {
    for (size_t i = 0; i < n; i++)
        idx[i] = i;
    if (n < 2) return;
    size_t *tmp = cx_malloc(n * sizeof *tmp);
    for (size_t width = 1; width < n; width *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            size_t mid = lo + width < n ? lo + width : n;
            size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                tmp[k++] = key[idx[j]] < key[idx[i]] ? idx[j++] : idx[i++];
            while (i < mid)
                tmp[k++] = idx[i++];
            while (j < hi)
                tmp[k++] = idx[j++];
        }
        memcpy(idx, tmp, n * sizeof *idx);
    }
    free(tmp);
}

void stats_midranks(const double *x, size_t n, double *rank) {
    size_t *idx = cx_malloc((n ? n : 1) * sizeof *idx);
    argsort(x, n, idx);
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j + 1 < n && x[idx[j + 1]] == x[idx[i]])
            j++;
        double r = 0.5 * (double)(i + j) + 1.0; // mean of 1-based positions i+1 .. j+1
        for (size_t k = i; k <= j; k++)
            rank[idx[k]] = r;
        i = j + 1;
    }
    free(idx);
}

static int cmp_double(const void *pa, const void *pb) {
    double a = *(const double *)pa, b = *(const double *)pb;
    return (a > b) - (a < b);
}

double stats_percentile(const double *x, size_t n, double q) {
    if (n == 0) return NAN;
    double *s = cx_malloc(n * sizeof *s);
    memcpy(s, x, n * sizeof *s);
    qsort(s, n, sizeof *s, cmp_double);
    double pos = q / 100.0 * (double)(n - 1);
    if (pos < 0) pos = 0;
    if (pos > (double)(n - 1)) pos = (double)(n - 1);
    size_t lo = (size_t)floor(pos);
    size_t hi = lo + 1 < n ? lo + 1 : lo;
    double frac = pos - (double)lo;
    double v = s[lo] + frac * (s[hi] - s[lo]);
    free(s);
    return v;
}

// A correlation that cannot be computed: NaN, and why in *status.
static double no_correlation(stats_status why, stats_status *status) {
    if (status) *status = why;
    return NAN;
}

// Pearson r from the centred sums of products (sxy) and squares (sxx, syy), clamped to [-1, 1]
// against rounding.
static double pearson_from_moments(double sxy, double sxx, double syy, stats_status *status) {
    if (!(sxx > 0) || !(syy > 0)) return no_correlation(STATS_CONSTANT, status);
    if (status) *status = STATS_OK;
    double r = sxy / sqrt(sxx * syy);
    return r > 1 ? 1 : r < -1 ? -1 : r;
}

double stats_pearson(const float *x, const float *y, size_t n, stats_status *status) {
    // Two passes in double (means, then centred moments), vectorised: no copies.
    if (n < 2) return no_correlation(STATS_EMPTY, status);
    double mx = 0, my = 0;
#pragma omp simd reduction(+ : mx, my)
    for (size_t i = 0; i < n; i++)
        mx += x[i], my += y[i];
    mx /= (double)n, my /= (double)n;
    double sxy = 0, sxx = 0, syy = 0;
#pragma omp simd reduction(+ : sxy, sxx, syy)
    for (size_t i = 0; i < n; i++) {
        double dx = x[i] - mx, dy = y[i] - my;
        sxy += dx * dy, sxx += dx * dx, syy += dy * dy;
    }
    return pearson_from_moments(sxy, sxx, syy, status);
}

// Pearson r of the midranks. Midranks of n values sum to n (n + 1) / 2 whatever the ties, so both
// means are (n + 1) / 2 exactly and one pass gives the centred moments.
double stats_spearman(const float *x, const float *y, size_t n, stats_status *status) {
    if (n < 2) return no_correlation(STATS_EMPTY, status);
    double *xd = cx_malloc(n * sizeof *xd), *yd = cx_malloc(n * sizeof *yd);
    double *rx = cx_malloc(n * sizeof *rx), *ry = cx_malloc(n * sizeof *ry);
    for (size_t i = 0; i < n; i++)
        xd[i] = x[i], yd[i] = y[i];
    stats_midranks(xd, n, rx);
    stats_midranks(yd, n, ry);
    const double mean_rank = 0.5 * (double)(n + 1);
    double sxy = 0, sxx = 0, syy = 0;
    for (size_t i = 0; i < n; i++) {
        double dx = rx[i] - mean_rank, dy = ry[i] - mean_rank;
        sxy += dx * dy, sxx += dx * dx, syy += dy * dy;
    }
    free(xd), free(yd), free(rx), free(ry);
    return pearson_from_moments(sxy, sxx, syy, status);
}
