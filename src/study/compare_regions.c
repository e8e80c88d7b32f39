// study/compare: region level (METHODS.md §3) — on the pairs (held-out image with gaze, positive
// label), each map's most salient region (z-scores of the region masses over all pairs of one
// map type: gaze's map repeated for each positive label of its image, a method's map for target
// c), its distribution per label, and each method against gaze on the same pairs with paired
// statistics: agreement, Cohen's kappa, Stuart-Maxwell (chi-square p, or for n < 30 the exact
// permutation p swapping the two regions within pairs), and the total-variation distance.
#include "study/compare_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void cmp_region_masks(const pack *p, int64_t g, uint8_t *masks) {
    size_t npix = (size_t)p->size * p->size;
    for (int r = 0; r < CX_N_REGIONS; r++) {
        const uint8_t *src = p->regions + ((size_t)g * CX_N_REGIONS + r) * npix;
        if (p->region_present[g * CX_N_REGIONS + r]) memcpy(masks + r * npix, src, npix);
        else memset(masks + r * npix, 0, npix);
    }
}

// Most-salient region of each of n maps from their region masses mass [n, CX_N_REGIONS] (NaN
// rows: constant maps, -1): z-scored over the n maps.
static void most_salient(const double *mass, int64_t n, int *most) {
    double *z = cx_malloc(sizeof(double) * CX_N_REGIONS * (size_t)(n ? n : 1));
    stats_region_z_scores(mass, (size_t)n, CX_N_REGIONS, z, NULL);
    for (int64_t j = 0; j < n; j++) most[j] = stats_most_salient_region(z + j * CX_N_REGIONS, CX_N_REGIONS);
    free(z);
}

// regions.csv rows of one map type's distribution.
static void region_rows(const char *model, int source, const study_region_dist *d,
                        study_compare_result *r) {
    for (int c = 0; c < CX_N_LABELS; c++) {
        if (!d->n[c] && !d->n_constant[c]) continue;
        for (int g = 0; g < CX_N_REGIONS; g++) {
            study_region_row row = {.source = source, .label = c, .region = g, .n = d->n[c],
                                    .n_constant = d->n_constant[c], .count = d->counts[c][g],
                                    .fraction = d->n[c] ? (double)d->counts[c][g] / d->n[c] : NAN};
            snprintf(row.model, sizeof row.model, "%s", model);
            CMP_PUSH(r->regions, r->n_regions, row);
        }
    }
}

// Adds a pair of label c with most-salient region most (-1: none) to d.
static void dist_add(study_region_dist *d, int c, int constant, int most) {
    if (constant) d->n_constant[c]++;
    else if (most >= 0) {
        d->n[c]++;
        d->counts[c][most]++;
    }
}

int *cmp_gaze_regions(const cmp_inputs *in, study_compare_result *r) {
    const pack *p = &in->pk;
    size_t npix = (size_t)in->S * in->S;
    int64_t n = in->n_pairs;
    double *mass = cx_malloc(sizeof(double) * CX_N_REGIONS * (size_t)(n ? n : 1));
    uint8_t *constant = cx_malloc((size_t)(n ? n : 1));
#pragma omp parallel
    {
        uint8_t *masks = cx_malloc(CX_N_REGIONS * npix);
        float *tmp = cx_malloc(npix * sizeof(float));
#pragma omp for schedule(dynamic, 4)
        for (int64_t j = 0; j < n; j++) {
            int64_t img = in->pair_image[j];
            cmp_region_masks(p, p->gaze_row[in->gaze_test_rows[img]], masks);
            memcpy(tmp, cmp_gaze(in, img), npix * sizeof(float));
            constant[j] = (uint8_t)stats_minmax_normalise(tmp, npix);
            stats_region_mass(tmp, masks, CX_N_REGIONS, npix, mass + j * CX_N_REGIONS);
        }
        free(masks);
        free(tmp);
    }
    int *most = cx_malloc(sizeof(int) * (size_t)(n ? n : 1));
    most_salient(mass, n, most);
    study_region_dist *d = &r->gaze_regions;
    memset(d, 0, sizeof *d);
    for (int64_t j = 0; j < n; j++) {
        if (constant[j]) most[j] = -1;
        dist_add(d, in->pair_label[j], constant[j], most[j]);
    }
    region_rows("-", STUDY_SOURCE_GAZE, d, r);
    free(mass);
    free(constant);
    return most;
}

// region_distance.csv row of label c from the k x k table of (gaze's, the method's)
// most-salient regions on the pairs where both have one.
static void distance_row(const char *model, int source, int c, const int64_t *table,
                         const study_compare_settings *s, study_compare_result *r) {
    int64_t n = 0, gaze[CX_N_REGIONS] = {0}, method[CX_N_REGIONS] = {0};
    for (int a = 0; a < CX_N_REGIONS; a++)
        for (int b = 0; b < CX_N_REGIONS; b++) {
            int64_t v = table[a * CX_N_REGIONS + b];
            n += v, gaze[a] += v, method[b] += v;
        }
    stats_stuart_maxwell_test sm;
    stats_stuart_maxwell(table, CX_N_REGIONS, &sm);
    study_region_distance_row row = {
        .source = source, .label = c, .n = n,
        .tv_distance = stats_tv_distance(method, gaze, CX_N_REGIONS),
        .agreement = stats_agreement(table, CX_N_REGIONS),
        .kappa = stats_cohen_kappa(table, CX_N_REGIONS, NULL),
        .stuart_maxwell = sm.stat, .dof = sm.dof, .p = sm.p};
    if (n < 30 && !isnan(sm.stat)) // the exact permutation p (Monte Carlo only beyond k = 4)
        row.p = stats_stuart_maxwell_permutation(table, CX_N_REGIONS, s->n_permutations, s->seed, NULL);
    snprintf(row.model, sizeof row.model, "%s", model);
    CMP_PUSH(r->distance, r->n_distance, row);
}

void cmp_method_regions(const cmp_inputs *in, const cmp_model *m, int q, const double *mass,
                        const uint8_t *map_constant, const int *gaze_most,
                        const study_compare_settings *s, study_compare_result *r,
                        study_region_dist *d) {
    int64_t n = m->n_an;
    int *most = cx_malloc(sizeof(int) * (size_t)(n ? n : 1));
    most_salient(mass, n, most);
    memset(d, 0, sizeof *d);
    // tables[c]: gaze's region (rows) x the method's (columns) on the pairs of label c.
    int64_t(*tables)[CX_N_REGIONS * CX_N_REGIONS] = cx_calloc(CX_N_LABELS, sizeof *tables);
    int with_pairs[CX_N_LABELS] = {0};
    for (int64_t j = 0; j < n; j++) {
        int64_t pair = m->an_pair[j];
        int c = in->pair_label[pair];
        if (map_constant[j]) most[j] = -1;
        dist_add(d, c, map_constant[j], most[j]);
        with_pairs[c] = 1;
        if (most[j] >= 0 && gaze_most[pair] >= 0)
            tables[c][gaze_most[pair] * CX_N_REGIONS + most[j]]++;
    }
    region_rows(m->name, m->method[q], d, r);
    for (int c = 0; c < CX_N_LABELS; c++)
        if (with_pairs[c]) distance_row(m->name, m->method[q], c, tables[c], s, r);
    free(tables);
    free(most);
}
