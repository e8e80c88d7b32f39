// stats/auroc: AUROC (ties 1/2), DeLong CI and test (Sun & Xu 2014), patient-level bootstrap,
// F1-maximising threshold.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stats/stats.h"

// Splits scores by class: pos[0..m) then neg[0..n) (order of appearance kept).
static void split_classes(const double *score, const uint8_t *label, size_t n, double *pos,
                          size_t *m_out, double *neg, size_t *n_out) {
    size_t m = 0, k = 0;
    for (size_t i = 0; i < n; i++) {
        if (label[i])
            pos[m++] = score[i];
        else
            neg[k++] = score[i];
    }
    *m_out = m, *n_out = k;
}

// DeLong structural components via midranks (Sun & Xu 2014, "Fast implementation of DeLong's
// algorithm for comparing the areas under correlated ROC curves", IEEE SPL 21(11)):
// with T_X, T_Y the midranks within positives / negatives and T_Z within all m+n cases,
//   V10_i = (T_Z_i - T_X_i) / n   (positives),   V01_j = 1 - (T_Z_{m+j} - T_Y_j) / m,
//   AUC = mean V10 = mean V01.
// pos: [m], neg: [n]; v10: [m], v01: [n]. Returns the AUC.
static double delong_components(const double *pos, size_t m, const double *neg, size_t n,
                                double *v10, double *v01) {
    double *z = cx_malloc((m + n) * sizeof *z), *tz = cx_malloc((m + n) * sizeof *tz);
    double *tx = cx_malloc(m * sizeof *tx), *ty = cx_malloc(n * sizeof *ty);
    memcpy(z, pos, m * sizeof *z);
    memcpy(z + m, neg, n * sizeof *z);
    stats_midranks(z, m + n, tz);
    stats_midranks(pos, m, tx);
    stats_midranks(neg, n, ty);
    double auc = 0;
    for (size_t i = 0; i < m; i++) {
        v10[i] = (tz[i] - tx[i]) / (double)n;
        auc += v10[i];
    }
    for (size_t j = 0; j < n; j++)
        v01[j] = 1.0 - (tz[m + j] - ty[j]) / (double)m;
    free(z), free(tz), free(tx), free(ty);
    return auc / (double)m;
}

// Sample covariance (divisor k-1) of a[0..k) and b[0..k).
static double sample_cov(const double *a, const double *b, size_t k) {
    double ma = 0, mb = 0, s = 0;
    for (size_t i = 0; i < k; i++)
        ma += a[i], mb += b[i];
    ma /= (double)k, mb /= (double)k;
    for (size_t i = 0; i < k; i++)
        s += (a[i] - ma) * (b[i] - mb);
    return s / (double)(k - 1);
}

// Class counts and availability; non-finite scores (NaN, inf) make every statistic unavailable.
static stats_status class_status(const double *score, const uint8_t *label, size_t n, size_t *m_out,
                                 size_t *k_out) {
    size_t m = 0;
    int finite = 1;
    for (size_t i = 0; i < n; i++) {
        m += label[i] != 0;
        finite &= isfinite(score[i]) != 0;
    }
    if (m_out) *m_out = m;
    if (k_out) *k_out = n - m;
    if (n == 0) return STATS_EMPTY;
    if (!finite) return STATS_NONFINITE;
    if (m == 0 || m == n) return STATS_ONE_CLASS;
    return STATS_OK;
}

double stats_auroc(const double *score, const uint8_t *label, size_t n, stats_status *status) {
    size_t m, k;
    stats_status st = class_status(score, label, n, &m, &k);
    if (status) *status = st;
    if (st != STATS_OK) return NAN;
    // Mann-Whitney: (sum of positives' midranks - m(m+1)/2) / (m k); ties count 1/2.
    double *rank = cx_malloc(n * sizeof *rank);
    stats_midranks(score, n, rank);
    double r = 0;
    for (size_t i = 0; i < n; i++)
        if (label[i]) r += rank[i];
    free(rank);
    return (r - 0.5 * (double)m * (double)(m + 1)) / ((double)m * (double)k);
}

void stats_auroc_delong(const double *score, const uint8_t *label, size_t n, double level,
                        stats_auroc_ci *out) {
    size_t m, k;
    stats_status st = class_status(score, label, n, &m, &k);
    *out = (stats_auroc_ci){
        .auroc = NAN, .var = NAN, .lo = NAN, .hi = NAN, .n_pos = m, .n_neg = k, .status = st};
    if (st != STATS_OK) return;
    double *pos = cx_malloc(m * sizeof *pos), *neg = cx_malloc(k * sizeof *neg);
    double *v10 = cx_malloc(m * sizeof *v10), *v01 = cx_malloc(k * sizeof *v01);
    split_classes(score, label, n, pos, &m, neg, &k);
    out->auroc = delong_components(pos, m, neg, k, v10, v01);
    if (m < 2 || k < 2) {
        out->status = STATS_TOO_FEW;
    } else {
        out->var = sample_cov(v10, v10, m) / (double)m + sample_cov(v01, v01, k) / (double)k;
        double z = stats_normal_quantile(0.5 + 0.5 * level), half = z * sqrt(fmax(out->var, 0));
        out->lo = fmax(0.0, out->auroc - half);
        out->hi = fmin(1.0, out->auroc + half);
    }
    free(pos), free(neg), free(v10), free(v01);
}

void stats_delong_compare(const double *score_a, const double *score_b, const uint8_t *label,
                          size_t n, stats_delong_test *out) {
    size_t m, k;
    stats_status st = class_status(score_a, label, n, &m, &k);
    if (st == STATS_OK && class_status(score_b, label, n, NULL, NULL) == STATS_NONFINITE)
        st = STATS_NONFINITE;
    *out = (stats_delong_test){
        .auroc_a = NAN, .auroc_b = NAN, .diff = NAN, .se = NAN, .z = NAN, .p = NAN, .status = st};
    if (st != STATS_OK) return;
    double *pos = cx_malloc(m * sizeof *pos), *neg = cx_malloc(k * sizeof *neg);
    double *v10a = cx_malloc(m * sizeof *v10a), *v01a = cx_malloc(k * sizeof *v01a);
    double *v10b = cx_malloc(m * sizeof *v10b), *v01b = cx_malloc(k * sizeof *v01b);
    split_classes(score_a, label, n, pos, &m, neg, &k);
    out->auroc_a = delong_components(pos, m, neg, k, v10a, v01a);
    split_classes(score_b, label, n, pos, &m, neg, &k);
    out->auroc_b = delong_components(pos, m, neg, k, v10b, v01b);
    out->diff = out->auroc_a - out->auroc_b;
    if (m < 2 || k < 2) {
        out->status = STATS_TOO_FEW;
    } else {
        // var(A - B) = L S L' with L = (1, -1): S10/m + S01/k for each 2x2 covariance.
        double var = (sample_cov(v10a, v10a, m) + sample_cov(v10b, v10b, m) -
                      2 * sample_cov(v10a, v10b, m)) /
                         (double)m +
                     (sample_cov(v01a, v01a, k) + sample_cov(v01b, v01b, k) -
                      2 * sample_cov(v01a, v01b, k)) /
                         (double)k;
        out->se = sqrt(fmax(var, 0));
        if (out->se > 0)
            out->z = out->diff / out->se;
        else
            out->z = out->diff == 0 ? 0 : copysign(INFINITY, out->diff);
        out->p = erfc(fabs(out->z) / sqrt(2.0));
    }
    free(pos), free(neg), free(v10a), free(v01a), free(v10b), free(v01b);
}

typedef struct {
    int64_t id;
    size_t idx;
} patient_case;

static int cmp_patient_case(const void *pa, const void *pb) {
    const patient_case *a = pa, *b = pb;
    if (a->id != b->id) return a->id < b->id ? -1 : 1;
    return (a->idx > b->idx) - (a->idx < b->idx);
}

void stats_auroc_bootstrap(const double *score, const uint8_t *label, const int64_t *patient,
                           size_t n, int n_resamples, double level, uint64_t seed, stats_ci *out) {
    stats_status st;
    *out = (stats_ci){.estimate = stats_auroc(score, label, n, &st),
                      .lo = NAN,
                      .hi = NAN,
                      .n_resamples = n_resamples};
    out->status = st;
    if (n == 0 || n_resamples <= 0) return;
    // Group cases by patient: order[] lists case indices patient by patient; first[p] ..
    // first[p+1].
    patient_case *pc = cx_malloc(n * sizeof *pc);
    for (size_t i = 0; i < n; i++)
        pc[i] = (patient_case){patient ? patient[i] : (int64_t)i, i};
    qsort(pc, n, sizeof *pc, cmp_patient_case);
    size_t *order = cx_malloc(n * sizeof *order), *first = cx_malloc((n + 1) * sizeof *first);
    size_t n_pat = 0;
    for (size_t i = 0; i < n; i++) {
        order[i] = pc[i].idx;
        if (i == 0 || pc[i].id != pc[i - 1].id) first[n_pat++] = i;
    }
    first[n_pat] = n;
    free(pc);

    cx_rng rng;
    cx_rng_seed(&rng, seed, 0);
    size_t cap = 2 * n;
    double *bs = cx_malloc(cap * sizeof *bs);
    uint8_t *bl = cx_malloc(cap);
    double *stat = cx_malloc((size_t)n_resamples * sizeof *stat);
    int used = 0, skipped = 0;
    for (int b = 0; b < n_resamples; b++) {
        size_t len = 0;
        for (size_t p = 0; p < n_pat; p++) {
            size_t q = (size_t)cx_rng_below(&rng, n_pat);
            size_t cnt = first[q + 1] - first[q];
            if (len + cnt > cap) {
                cap = 2 * (len + cnt);
                bs = cx_realloc(bs, cap * sizeof *bs);
                bl = cx_realloc(bl, cap);
            }
            for (size_t c = first[q]; c < first[q + 1]; c++, len++) {
                bs[len] = score[order[c]];
                bl[len] = label[order[c]] != 0;
            }
        }
        stats_status sb;
        double a = stats_auroc(bs, bl, len, &sb);
        if (sb == STATS_OK)
            stat[used++] = a;
        else
            skipped++;
    }
    out->n_used = used, out->n_skipped = skipped;
    if (used > 0) {
        out->lo = stats_percentile(stat, (size_t)used, 50.0 * (1.0 - level));
        out->hi = stats_percentile(stat, (size_t)used, 50.0 * (1.0 + level));
    }
    free(order), free(first), free(bs), free(bl), free(stat);
}

static int cmp_desc(const void *pa, const void *pb) {
    double a = *(const double *)pa, b = *(const double *)pb;
    return (a < b) - (a > b);
}

double stats_f1_threshold(const double *score, const uint8_t *label, size_t n, double *best_f1,
                          stats_status *status) {
    size_t m;
    stats_status st = class_status(score, label, n, &m, NULL);
    if (st == STATS_ONE_CLASS && m == n) st = STATS_OK; // all positive: F1 is still defined
    if (status) *status = st;
    if (best_f1) *best_f1 = NAN;
    if (st != STATS_OK) return NAN;
    // (score, label) pairs sorted by descending score; cut after each run of equal scores.
    double *sl = cx_malloc(2 * n * sizeof *sl);
    for (size_t i = 0; i < n; i++)
        sl[2 * i] = score[i], sl[2 * i + 1] = label[i] != 0;
    qsort(sl, n, 2 * sizeof *sl, cmp_desc);
    double best = -1, best_t = NAN;
    size_t tp = 0, fp = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        for (; j < n && sl[2 * j] == sl[2 * i]; j++) {
            if (sl[2 * j + 1] != 0)
                tp++;
            else
                fp++;
        }
        // F1 = 2 tp / (2 tp + fp + fn); exact for equal rationals, so ">=" picks the lowest t.
        double f1 = 2.0 * (double)tp / (double)(2 * tp + fp + (m - tp));
        if (f1 >= best) best = f1, best_t = sl[2 * i];
        i = j;
    }
    free(sl);
    if (best_f1) *best_f1 = best;
    return best_t;
}
