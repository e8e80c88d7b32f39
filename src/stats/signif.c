// stats/signif: percentile bootstrap CI of a mean and a two-sided permutation test of a
// difference of means, both seeded (cx_rng stream 0 of the seed; sequential, so the result does
// not depend on the thread count).
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stats/stats.h"

static double mean_of(const double *x, size_t n) {
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += x[i];
    return s / (double)n;
}

void stats_bootstrap_mean_ci(const double *x, size_t n, int n_resamples, double level,
                             uint64_t seed, stats_ci *out) {
    *out = (stats_ci){
        .estimate = NAN, .lo = NAN, .hi = NAN, .n_resamples = n_resamples, .status = STATS_OK};
    if (n == 0) {
        out->status = STATS_EMPTY;
        return;
    }
    out->estimate = mean_of(x, n);
    if (n_resamples <= 0) return;
    cx_rng rng;
    cx_rng_seed(&rng, seed, 0);
    double *stat = cx_malloc((size_t)n_resamples * sizeof *stat);
    for (int b = 0; b < n_resamples; b++) {
        double s = 0;
        for (size_t i = 0; i < n; i++)
            s += x[cx_rng_below(&rng, n)];
        stat[b] = s / (double)n;
    }
    out->n_used = n_resamples;
    out->lo = stats_percentile(stat, (size_t)n_resamples, 50.0 * (1.0 - level));
    out->hi = stats_percentile(stat, (size_t)n_resamples, 50.0 * (1.0 + level));
    free(stat);
}

double stats_permutation_test(const double *a, size_t na, const double *b, size_t nb, int n_perm,
                              uint64_t seed, double *diff, stats_status *status) {
    if (diff) *diff = NAN;
    if (na == 0 || nb == 0) {
        if (status) *status = STATS_EMPTY;
        return NAN;
    }
    if (status) *status = STATS_OK;
    size_t n = na + nb;
    double *pool = cx_malloc(n * sizeof *pool);
    memcpy(pool, a, na * sizeof *pool);
    memcpy(pool + na, b, nb * sizeof *pool);
    double total = 0;
    for (size_t i = 0; i < n; i++)
        total += pool[i];
    double obs = mean_of(a, na) - mean_of(b, nb);
    if (diff) *diff = obs;
    double thresh = fabs(obs) * (1.0 - 1e-12);
    cx_rng rng;
    cx_rng_seed(&rng, seed, 0);
    long count = 0;
    for (int p = 0; p < n_perm; p++) {
        // Partial Fisher-Yates: the first na entries become a uniform random subset (group a).
        double sa = 0;
        for (size_t i = 0; i < na; i++) {
            size_t j = i + (size_t)cx_rng_below(&rng, n - i);
            double t = pool[i];
            pool[i] = pool[j], pool[j] = t;
            sa += pool[i];
        }
        double d = sa / (double)na - (total - sa) / (double)nb;
        if (fabs(d) >= thresh) count++;
    }
    free(pool);
    return (1.0 + (double)count) / (1.0 + (double)n_perm);
}
