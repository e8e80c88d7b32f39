// study/compare: region level (METHODS.md §3) — each map's most salient region (z-scores of the
// region masses over one source's maps), its distribution per label, and the distance of each
// method's distribution from gaze's (total variation, chi-square homogeneity).
#include "study/compare_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

// Region masks of gaze row g with absent regions emptied: masks [4, S*S].
static void region_masks(const pack *p, int64_t g, uint8_t *masks) {
    size_t npix = (size_t)p->size * p->size;
    for (int r = 0; r < CX_N_REGIONS; r++) {
        const uint8_t *src = p->regions + ((size_t)g * CX_N_REGIONS + r) * npix;
        if (p->region_present[g * CX_N_REGIONS + r]) memcpy(masks + r * npix, src, npix);
        else memset(masks + r * npix, 0, npix);
    }
}

// Most-salient region of each of n maps (-1: none), maps[j] [S,S] on the regions of gaze row
// grow[j]: z-scored over the n maps.
static void most_salient(const pack *p, int64_t n, const float *const *maps, const int64_t *grow,
                         int *most) {
    size_t npix = (size_t)p->size * p->size;
    double *prop = cx_malloc(sizeof(double) * CX_N_REGIONS * (size_t)(n ? n : 1));
    double *z = cx_malloc(sizeof(double) * CX_N_REGIONS * (size_t)(n ? n : 1));
#pragma omp parallel
    {
        uint8_t *masks = cx_malloc(CX_N_REGIONS * npix);
        float *tmp = cx_malloc(npix * sizeof(float));
#pragma omp for
        for (int64_t j = 0; j < n; j++) {
            region_masks(p, grow[j], masks);
            memcpy(tmp, maps[j], npix * sizeof(float));
            stats_minmax_normalise(tmp, npix);
            stats_region_mass(tmp, masks, CX_N_REGIONS, npix, prop + j * CX_N_REGIONS);
        }
        free(masks);
        free(tmp);
    }
    stats_region_z_scores(prop, (size_t)n, CX_N_REGIONS, z, NULL);
    for (int64_t j = 0; j < n; j++)
        most[j] = stats_most_salient_region(z + j * CX_N_REGIONS, CX_N_REGIONS);
    free(prop);
    free(z);
}

// regions.csv rows of one source's distribution.
static void region_rows(const char *model, int source, const study_region_dist *d,
                        study_compare_result *r) {
    for (int c = 0; c < CX_N_LABELS; c++) {
        if (!d->n[c]) continue;
        int64_t tot = 0;
        for (int g = 0; g < CX_N_REGIONS; g++) tot += d->counts[c][g];
        for (int g = 0; g < CX_N_REGIONS; g++) {
            study_region_row row = {.source = source, .label = c, .region = g, .n = tot,
                                    .count = d->counts[c][g],
                                    .fraction = tot ? (double)d->counts[c][g] / tot : NAN};
            snprintf(row.model, sizeof row.model, "%s", model);
            CMP_PUSH(r->regions, r->n_regions, row);
        }
    }
}

void cmp_gaze_regions(const cmp_inputs *in, study_compare_result *r) {
    const pack *p = &in->pk;
    size_t npix = (size_t)in->S * in->S;
    const float **maps = cx_malloc(sizeof(float *) * (size_t)in->n_gaze_test);
    int64_t *grow = cx_malloc(sizeof(int64_t) * (size_t)in->n_gaze_test);
    int *most = cx_malloc(sizeof(int) * (size_t)in->n_gaze_test);
    for (int64_t j = 0; j < in->n_gaze_test; j++) {
        grow[j] = p->gaze_row[in->gaze_test_rows[j]];
        maps[j] = p->gaze + (size_t)grow[j] * npix;
    }
    most_salient(p, in->n_gaze_test, maps, grow, most);
    study_region_dist *d = &r->gaze_regions;
    for (int64_t j = 0; j < in->n_gaze_test; j++) {
        int64_t i = in->gaze_test_rows[j];
        for (int c = 0; c < CX_N_LABELS; c++) {
            if (!p->label_mask[i * CX_N_LABELS + c] || p->labels[i * CX_N_LABELS + c] < 0.5f)
                continue;
            d->n[c]++;
            if (most[j] >= 0) d->counts[c][most[j]]++;
        }
    }
    region_rows("-", STUDY_SOURCE_GAZE, d, r);
    free(maps);
    free(grow);
    free(most);
}

// region_distance.csv rows of a method's distribution d against gaze's.
static void distance_rows(const char *model, int source, const study_region_dist *d,
                          const study_region_dist *gaze, study_compare_result *r) {
    for (int c = 0; c < CX_N_LABELS; c++) {
        if (!d->n[c] || !gaze->n[c]) continue;
        // Interim (the paired statistics follow): the TV distance of the two distributions.
        study_region_distance_row row = {
            .source = source, .label = c, .n = d->n[c],
            .tv_distance = stats_tv_distance(d->counts[c], gaze->counts[c], CX_N_REGIONS),
            .agreement = NAN, .kappa = NAN, .stuart_maxwell = NAN, .dof = -1, .p = NAN};
        snprintf(row.model, sizeof row.model, "%s", model);
        CMP_PUSH(r->distance, r->n_distance, row);
    }
}

void cmp_method_regions(const cmp_inputs *in, const cmp_model *m, int q, study_compare_result *r,
                        study_region_dist *d) {
    const pack *p = &in->pk;
    int64_t n = m->n_an ? m->n_an : 1;
    const float **maps = cx_malloc(sizeof(float *) * (size_t)n);
    int64_t *grow = cx_malloc(sizeof(int64_t) * (size_t)n);
    int *most = cx_malloc(sizeof(int) * (size_t)n);
    for (int64_t j = 0; j < m->n_an; j++) {
        int64_t mr = m->an_map[j];
        maps[j] = cmp_map(in, m, q, mr);
        grow[j] = p->gaze_row[m->map_pack_row[mr]];
    }
    most_salient(p, m->n_an, maps, grow, most);
    memset(d, 0, sizeof *d);
    for (int64_t j = 0; j < m->n_an; j++) {
        int c = m->map_target[m->an_map[j]];
        d->n[c]++;
        if (most[j] >= 0) d->counts[c][most[j]]++;
    }
    region_rows(m->name, m->method[q], d, r);
    distance_rows(m->name, m->method[q], d, &r->gaze_regions, r);
    free(maps);
    free(grow);
    free(most);
}
