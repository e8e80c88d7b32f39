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

typedef struct {
    int64_t id;
    size_t idx;
} id_index;

static int cmp_id_index(const void *pa, const void *pb) {
    const id_index *a = pa, *b = pb;
    if (a->id != b->id) return a->id < b->id ? -1 : 1;
    return (a->idx > b->idx) - (a->idx < b->idx);
}

// Groups of equal id[i] (NULL: every index its own group) in order of first appearance:
// order[first[g] .. first[g+1]) are group g's indices, ascending. Returns the number of groups.
static size_t group_by(const int64_t *id, size_t n, size_t *order, size_t *first) {
    id_index *v = cx_malloc((n ? n : 1) * sizeof *v);
    for (size_t i = 0; i < n; i++) v[i] = (id_index){id ? id[i] : (int64_t)i, i};
    qsort(v, n, sizeof *v, cmp_id_index);
    // Each run of one id starts at its smallest index; order the runs by it.
    id_index *runs = cx_malloc((n ? n : 1) * sizeof *runs);
    size_t n_runs = 0;
    for (size_t i = 0; i < n; i++)
        if (i == 0 || v[i].id != v[i - 1].id) runs[n_runs++] = (id_index){(int64_t)v[i].idx, i};
    qsort(runs, n_runs, sizeof *runs, cmp_id_index);
    size_t len = 0;
    for (size_t g = 0; g < n_runs; g++) {
        first[g] = len;
        for (size_t i = runs[g].idx; i < n && v[i].id == v[runs[g].idx].id; i++) order[len++] = v[i].idx;
    }
    first[n_runs] = len;
    free(v);
    free(runs);
    return n_runs;
}

void stats_bootstrap_mean_ci(const double *x, size_t n, int n_resamples, double level,
                             uint64_t seed, stats_ci *out) {
    stats_bootstrap_mean_ci_clustered(x, NULL, n, n_resamples, level, seed, out);
}

void stats_bootstrap_mean_ci_clustered(const double *x, const int64_t *cluster, size_t n,
                                       int n_resamples, double level, uint64_t seed,
                                       stats_ci *out) {
    *out = (stats_ci){
        .estimate = NAN, .lo = NAN, .hi = NAN, .n_resamples = n_resamples, .status = STATS_OK};
    if (n == 0) {
        out->status = STATS_EMPTY;
        return;
    }
    out->estimate = mean_of(x, n);
    if (n_resamples <= 0) return;
    size_t *order = cx_malloc(n * sizeof *order), *first = cx_malloc((n + 1) * sizeof *first);
    size_t n_cl = group_by(cluster, n, order, first);
    cx_rng rng;
    cx_rng_seed(&rng, seed, 0);
    double *stat = cx_malloc((size_t)n_resamples * sizeof *stat);
    for (int b = 0; b < n_resamples; b++) {
        double s = 0;
        size_t len = 0;
        for (size_t c = 0; c < n_cl; c++) {
            size_t q = (size_t)cx_rng_below(&rng, n_cl);
            for (size_t i = first[q]; i < first[q + 1]; i++) s += x[order[i]];
            len += first[q + 1] - first[q];
        }
        stat[b] = s / (double)len;
    }
    out->n_used = n_resamples;
    out->lo = stats_percentile(stat, (size_t)n_resamples, 50.0 * (1.0 - level));
    out->hi = stats_percentile(stat, (size_t)n_resamples, 50.0 * (1.0 + level));
    free(stat);
    free(order);
    free(first);
}

double stats_permutation_test(const double *a, size_t na, const double *b, size_t nb, int n_perm,
                              uint64_t seed, double *diff, stats_status *status) {
    size_t n = na + nb;
    double *x = cx_malloc((n ? n : 1) * sizeof *x);
    uint8_t *in_a = cx_malloc(n ? n : 1);
    if (na) memcpy(x, a, na * sizeof *x);
    if (nb) memcpy(x + na, b, nb * sizeof *x);
    for (size_t i = 0; i < n; i++) in_a[i] = i < na;
    double p = stats_permutation_test_strata(x, in_a, NULL, n, n_perm, seed, diff, status);
    free(x);
    free(in_a);
    return p;
}

double stats_permutation_test_strata(const double *x, const uint8_t *in_a, const int64_t *stratum,
                                     size_t n, int n_perm, uint64_t seed, double *diff,
                                     stats_status *status) {
    if (diff) *diff = NAN;
    size_t na = 0;
    for (size_t i = 0; i < n; i++) na += in_a[i] != 0;
    size_t nb = n - na;
    if (na == 0 || nb == 0) {
        if (status) *status = STATS_EMPTY;
        return NAN;
    }
    if (status) *status = STATS_OK;
    // pool: stratum by stratum (first appearance), each with its a's first, in input order.
    size_t *order = cx_malloc(n * sizeof *order), *first = cx_malloc((n + 1) * sizeof *first);
    size_t n_st = stratum ? group_by(stratum, n, order, first) : 1;
    if (!stratum) {
        for (size_t i = 0; i < n; i++) order[i] = i;
        first[0] = 0, first[1] = n;
    }
    double *pool = cx_malloc(n * sizeof *pool);
    size_t *st_na = cx_malloc(n_st * sizeof *st_na);
    double sum_a = 0, sum_b = 0, total = 0;
    for (size_t s = 0, len = 0; s < n_st; s++) {
        st_na[s] = 0;
        for (size_t i = first[s]; i < first[s + 1]; i++)
            if (in_a[order[i]]) pool[len++] = x[order[i]], st_na[s]++;
        for (size_t i = first[s]; i < first[s + 1]; i++)
            if (!in_a[order[i]]) pool[len++] = x[order[i]];
    }
    for (size_t i = 0; i < n; i++) {
        if (in_a[i]) sum_a += x[i];
        else sum_b += x[i];
    }
    for (size_t i = 0; i < n; i++)
        total += pool[i];
    double obs = sum_a / (double)na - sum_b / (double)nb;
    if (diff) *diff = obs;
    double thresh = fabs(obs) * (1.0 - 1e-12);
    cx_rng rng;
    cx_rng_seed(&rng, seed, 0);
    long count = 0;
    for (int p = 0; p < n_perm; p++) {
        // Partial Fisher-Yates per stratum: its first st_na entries become a uniform random
        // subset (group a). Strata with only a's or only b's never change.
        double sa = 0;
        for (size_t s = 0; s < n_st; s++) {
            double *v = pool + first[s];
            size_t m = first[s + 1] - first[s];
            if (st_na[s] == m) {
                for (size_t i = 0; i < m; i++) sa += v[i];
                continue;
            }
            for (size_t i = 0; i < st_na[s]; i++) {
                size_t j = i + (size_t)cx_rng_below(&rng, m - i);
                double t = v[i];
                v[i] = v[j], v[j] = t;
                sa += v[i];
            }
        }
        double d = sa / (double)na - (total - sa) / (double)nb;
        if (fabs(d) >= thresh) count++;
    }
    free(pool);
    free(order);
    free(first);
    free(st_na);
    return (1.0 + (double)count) / (1.0 + (double)n_perm);
}
