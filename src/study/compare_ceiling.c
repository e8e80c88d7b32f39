// study/compare: the inter-observer ceiling (METHODS.md §4) — how close to a radiologist's gaze
// another radiologist's is, under every metric compare computes. On the test images with >= 2
// readings in the pack: each reading against the min-max mean of the image's other readings
// ("readers"), and EGD's reading against the min-max mean of the REFLACX readings of the same
// image ("egd_vs_reflacx"). Then every metrics row's mean as a fraction of the "readers" ceiling.
#include "study/compare_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

// One scored pair: the reference reading and which readings of the image make the prediction.
typedef struct ceiling_pair {
    int64_t image;   // position in the ceiling's image list
    int64_t ref;     // the reference reading
    study_ceiling comparison;
} ceiling_pair;

// Whether reading q of an image is part of pair c's prediction.
static int predicts(const pack *p, const ceiling_pair *c, int64_t q) {
    if (c->comparison == STUDY_CEILING_READERS) return q != c->ref;
    return p->reading_source[q] == READING_REFLACX;
}

// Scores pair c into v[STATS_N_METRICS] (NaN when the prediction or the reference is constant).
static void score_pair(const cmp_inputs *in, const ceiling_pair *c, int64_t row, int emd_side,
                       float *pred, float *ref, uint32_t *other, double *v) {
    const pack *p = &in->pk;
    int64_t first, k = pack_readings(p, row, &first);
    size_t npix = (size_t)p->size * p->size;
    memset(pred, 0, npix * sizeof(float));
    for (int64_t q = first; q < first + k; q++)
        if (predicts(p, c, q)) {
            const float *g = p->reading_gaze + (size_t)q * npix;
            for (size_t x = 0; x < npix; x++) pred[x] += g[x]; // min-max below: no need to divide
        }
    memcpy(ref, p->reading_gaze + (size_t)c->ref * npix, npix * sizeof(float));
    int constant = stats_minmax_normalise(pred, npix);
    constant |= stats_minmax_normalise(ref, npix);
    if (constant)
        for (int m = 0; m < STATS_N_METRICS; m++) v[m] = NAN;
    else // sAUC's negatives: the held-out gaze images other than this one
        cmp_pair_metrics(in, pred, ref, p->reading_fixations + (size_t)c->ref * npix,
                         in->gaze_test_index[row] >= 0 ? p->fixations + (size_t)p->gaze_row[row] * npix
                                                       : NULL,
                         other, emd_side, v);
}

// The pairs of every image rows[j] with >= 2 readings.
static ceiling_pair *list_pairs(const pack *p, const int64_t *rows, int64_t n_images, int64_t *n) {
    ceiling_pair *c = cx_malloc(sizeof *c * (size_t)(p->n_readings + n_images + 1));
    *n = 0;
    for (int64_t j = 0; j < n_images; j++) {
        int64_t first, k = pack_readings(p, rows[j], &first), egd = -1, n_reflacx = 0;
        for (int64_t q = first; q < first + k; q++) {
            c[(*n)++] = (ceiling_pair){j, q, STUDY_CEILING_READERS};
            if (p->reading_source[q] == READING_EGD && egd < 0) egd = q;
            n_reflacx += p->reading_source[q] == READING_REFLACX;
        }
        if (egd >= 0 && n_reflacx) c[(*n)++] = (ceiling_pair){j, egd, STUDY_CEILING_EGD_VS_REFLACX};
    }
    return c;
}

// interobserver.csv's row of (comparison, metric) from the pairs' values v [n, STATS_N_METRICS].
static study_interobserver_row summarise(const ceiling_pair *c, const double *v, int64_t n,
                                         const int64_t *patient, study_ceiling comparison,
                                         stats_metric metric, const study_compare_settings *s) {
    double *x = cx_malloc(sizeof(double) * (size_t)(n ? n : 1));
    int64_t *pat = cx_malloc(sizeof(int64_t) * (size_t)(n ? n : 1));
    study_interobserver_row row = {.metric = metric, .comparison = comparison, .mean = NAN,
                                   .ci_lo = NAN, .ci_hi = NAN};
    int64_t last_image = -1;
    size_t m = 0;
    for (int64_t j = 0; j < n; j++) { // pairs are image by image
        double value = v[j * STATS_N_METRICS + metric];
        if (c[j].comparison != comparison || !isfinite(value)) continue;
        row.n_images += c[j].image != last_image;
        last_image = c[j].image;
        x[m] = value;
        pat[m++] = patient[c[j].image];
    }
    row.n_pairs = (int64_t)m;
    if (m) {
        stats_ci ci;
        stats_bootstrap_mean_ci_clustered(x, pat, m, s->n_bootstrap, 0.95, s->seed, &ci);
        row.mean = ci.estimate, row.ci_lo = ci.lo, row.ci_hi = ci.hi;
    }
    free(x);
    free(pat);
    return row;
}

void cmp_ceiling(const cmp_inputs *in, const study_compare_settings *s, study_compare_result *r) {
    const pack *p = &in->pk;
    if (!p->n_readings) return;
    int64_t *rows = cx_malloc(sizeof(int64_t) * (size_t)(p->n ? p->n : 1)), n_images = 0;
    for (int64_t i = 0; i < p->n; i++) {
        int64_t first;
        if (p->split[i] == SPLIT_TEST && pack_readings(p, i, &first) >= 2) rows[n_images++] = i;
    }
    int64_t *patient = cx_malloc(sizeof(int64_t) * (size_t)(n_images ? n_images : 1)), n;
    cmp_number_patients(p, rows, n_images, patient);
    ceiling_pair *c = list_pairs(p, rows, n_images, &n);
    double *v = cx_malloc(sizeof(double) * STATS_N_METRICS * (size_t)(n ? n : 1));
    size_t npix = (size_t)p->size * p->size;
#pragma omp parallel
    {
        float *pred = cx_malloc(npix * sizeof(float)), *ref = cx_malloc(npix * sizeof(float));
        uint32_t *other = cx_malloc(npix * sizeof(uint32_t));
#pragma omp for schedule(dynamic, 1)
        for (int64_t j = 0; j < n; j++)
            score_pair(in, &c[j], rows[c[j].image], s->emd_side, pred, ref, other,
                       v + j * STATS_N_METRICS);
        free(pred);
        free(ref);
        free(other);
    }
    int64_t last[STUDY_N_CEILINGS] = {-1, -1};
    for (int64_t j = 0; j < n; j++) {
        study_ceiling k = c[j].comparison;
        r->n_ceiling_pairs[k]++;
        r->n_ceiling_images[k] += c[j].image != last[k];
        last[k] = c[j].image;
    }
    for (int k = 0; k < STUDY_N_CEILINGS; k++) {
        if (!r->n_ceiling_pairs[k]) continue;
        for (int m = 0; m < STATS_N_METRICS; m++)
            CMP_PUSH(r->interobserver, r->n_interobserver,
                     summarise(c, v, n, patient, (study_ceiling)k, (stats_metric)m, s));
    }
    free(v);
    free(c);
    free(patient);
    free(rows);
}

// Lower-is-better metrics (KL, EMD: distances): ceiling / mean, so 1 is a radiologist's closeness.
void cmp_ceiling_fractions(study_compare_result *r) {
    double ceiling[STATS_N_METRICS];
    for (int m = 0; m < STATS_N_METRICS; m++) ceiling[m] = NAN;
    for (int64_t i = 0; i < r->n_interobserver; i++)
        if (r->interobserver[i].comparison == STUDY_CEILING_READERS)
            ceiling[r->interobserver[i].metric] = r->interobserver[i].mean;
    for (int64_t i = 0; i < r->n_metrics; i++) {
        study_metric_row *row = &r->metrics[i];
        double c = ceiling[row->metric];
        double f = stats_metric_lower_is_better(row->metric) ? c / row->mean : row->mean / c;
        row->ceiling_fraction = row->n && isfinite(f) ? f : NAN;
    }
}
