// study/compare: the planted-finding analysis (synth truth), GradCAM vs Layer Conductance, the
// sensitivity of the SSIM conclusion to the map normalisation, and the qualitative grids. Method
// maps are normalised by the run's stats_map_norm, gaze and the centre bias by min-max.
#include "study/compare_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

// Share of a map's mass inside mask bit `bit` of truth [S*S], the map normalised by *norm
// (NULL: min-max). -1 for a constant map or an empty mask.
static int mass_share(const float *map, const stats_map_norm *norm, const uint16_t *truth, int bit,
                      size_t npix, float *tmp, double *mass, double *area) {
    memcpy(tmp, map, npix * sizeof(float));
    if (norm ? stats_map_normalise(tmp, npix, *norm, NULL) : stats_minmax_normalise(tmp, npix))
        return -1;
    double in = 0, all = 0;
    size_t cells = 0;
    for (size_t q = 0; q < npix; q++) {
        all += tmp[q];
        if (truth[q] >> bit & 1) {
            in += tmp[q];
            cells++;
        }
    }
    if (!cells || all <= 0) return -1;
    *mass = in / all;
    *area = (double)cells / npix;
    return 0;
}

typedef struct share_acc {
    double mass[CX_N_LABELS + 1], area[CX_N_LABELS + 1];
    int64_t n[CX_N_LABELS + 1]; // last slot: all labels pooled
} share_acc;

static void share_rows(const char *model, int source, const share_acc *a, study_compare_result *r) {
    for (int c = 0; c <= CX_N_LABELS; c++) {
        if (!a->n[c]) continue;
        double m = a->mass[c] / a->n[c], ar = a->area[c] / a->n[c];
        study_truth_row row = {.source = source, .label = c < CX_N_LABELS ? c : STUDY_ALL_LABELS,
                               .n = a->n[c], .mass_share = m, .area_share = ar, .ratio = m / ar};
        snprintf(row.model, sizeof row.model, "%s", model);
        CMP_PUSH(r->truth, r->n_truth, row);
    }
}

static void share_add(share_acc *a, int c, double mass, double area) {
    a->mass[c] += mass;
    a->area[c] += area;
    a->n[c]++;
    a->mass[CX_N_LABELS] += mass;
    a->area[CX_N_LABELS] += area;
    a->n[CX_N_LABELS]++;
}

// Gaze and the centre-bias baseline on the held-out gaze images.
static void truth_of_gaze(const cmp_inputs *in, float *tmp, study_compare_result *r) {
    const pack *p = &in->pk;
    size_t npix = (size_t)in->S * in->S;
    share_acc gaze = {0}, cb = {0};
    for (int64_t j = 0; j < in->n_gaze_test; j++) {
        int64_t i = in->gaze_test_rows[j];
        const uint16_t *t = p->truth + (size_t)i * npix;
        for (int c = 0; c < CX_N_LABELS; c++) {
            if (p->labels[i * CX_N_LABELS + c] < 0.5f) continue;
            double m, a;
            if (mass_share(p->gaze + (size_t)p->gaze_row[i] * npix, NULL, t, c, npix, tmp, &m,
                           &a) == 0)
                share_add(&gaze, c, m, a);
            if (mass_share(in->centre_bias, NULL, t, c, npix, tmp, &m, &a) == 0)
                share_add(&cb, c, m, a);
        }
    }
    share_rows("-", STUDY_SOURCE_GAZE, &gaze, r);
    share_rows("-", STUDY_SOURCE_CENTRE_BIAS, &cb, r);
}

void cmp_truth(const cmp_inputs *in, study_compare_result *r) {
    const pack *p = &in->pk;
    if (!p->truth) return;
    size_t npix = (size_t)in->S * in->S;
    float *tmp = cx_malloc(npix * sizeof(float));
    truth_of_gaze(in, tmp, r);
    for (int k = 0; k < in->n_models; k++) {
        const cmp_model *m = &in->model[k];
        for (int q = 0; q < m->n_methods; q++) {
            share_acc acc = {0};
            for (int64_t j = 0; j < m->n_an; j++) {
                int64_t mr = m->an_map[j], i = m->map_pack_row[mr];
                double ms, a;
                if (mass_share(cmp_map(in, m, q, mr), &in->norm, p->truth + (size_t)i * npix,
                               m->map_target[mr], npix, tmp, &ms, &a) == 0)
                    share_add(&acc, m->map_target[mr], ms, a);
            }
            share_rows(m->name, m->method[q], &acc, r);
        }
    }
    free(tmp);
}

// Agreement of method slots gc and lc over every map row of m.
static study_gc_lc_row gc_lc_agreement(const cmp_inputs *in, const cmp_model *m, int gc, int lc) {
    size_t npix = (size_t)in->S * in->S;
    double sum = 0, mn = INFINITY, ssum = 0;
    int64_t n = 0, n_const = 0;
    float *a = cx_malloc(npix * sizeof(float)), *b = cx_malloc(npix * sizeof(float));
    for (int64_t r = 0; r < m->n_maps; r++) {
        memcpy(a, cmp_map(in, m, gc, r), npix * sizeof(float));
        memcpy(b, cmp_map(in, m, lc, r), npix * sizeof(float));
        int ca = stats_map_normalise(a, npix, in->norm, NULL),
            cb = stats_map_normalise(b, npix, in->norm, NULL);
        double cc = stats_cc(a, b, npix);
        if (ca || cb || isnan(cc)) {
            n_const++;
            continue;
        }
        sum += cc;
        ssum += stats_ssim(a, b, in->S, in->S);
        mn = fmin(mn, cc);
        n++;
    }
    free(a);
    free(b);
    study_gc_lc_row row = {.n = n, .n_constant = n_const, .mean_cc = n ? sum / n : NAN,
                           .min_cc = n ? mn : NAN, .mean_ssim = n ? ssum / n : NAN};
    snprintf(row.model, sizeof row.model, "%s", m->name);
    return row;
}

void cmp_gc_lc(const cmp_inputs *in, study_compare_result *r) {
    for (int k = 0; k < in->n_models; k++) {
        const cmp_model *m = &in->model[k];
        int gc = -1, lc = -1;
        for (int q = 0; q < m->n_methods; q++) {
            if (m->method[q] == ATTR_GC) gc = q;
            if (m->method[q] == ATTR_LC) lc = q;
        }
        if (gc >= 0 && lc >= 0) CMP_PUSH(r->gc_lc, r->n_gc_lc, gc_lc_agreement(in, m, gc, lc));
    }
}

// ---- sensitivity.csv ---------------------------------------------------------------------------
// SSIM of method slot q's map of every analysed pair under norm (NaN where the map or the gaze
// map is constant): into ssim [n_an].
static void ssim_under(const cmp_inputs *in, const cmp_model *m, int q, stats_map_norm norm,
                       double *ssim) {
    size_t npix = (size_t)in->S * in->S;
#pragma omp parallel
    {
        float *a = cx_malloc(npix * sizeof(float)), *g = cx_malloc(npix * sizeof(float));
        float *work = cx_malloc(npix * sizeof(float));
#pragma omp for schedule(dynamic, 4)
        for (int64_t j = 0; j < m->n_an; j++) {
            memcpy(a, cmp_map(in, m, q, m->an_map[j]), npix * sizeof(float));
            memcpy(g, cmp_gaze(in, in->pair_image[m->an_pair[j]]), npix * sizeof(float));
            int constant = stats_map_normalise(a, npix, norm, work);
            constant |= stats_minmax_normalise(g, npix);
            ssim[j] = constant ? NAN : stats_ssim(a, g, in->S, in->S);
        }
        free(a);
        free(g);
        free(work);
    }
}

void cmp_sensitivity(const cmp_inputs *in, const cmp_model *m, int q, const double *run_ssim,
                     study_compare_result *r) {
    double *ssim = cx_malloc(sizeof(double) * (size_t)(m->n_an ? m->n_an : 1));
    for (int v = 0; v < STUDY_N_SENSITIVITY; v++) {
        stats_map_norm norm = study_sensitivity_norms[v];
        if (norm.sign == in->norm.sign && norm.scale == in->norm.scale)
            memcpy(ssim, run_ssim, sizeof(double) * (size_t)m->n_an);
        else
            ssim_under(in, m, q, norm, ssim);
        // Sums per label (last slot: all labels), per group.
        double sum[CX_N_LABELS + 1][STUDY_N_GROUPS] = {{0}};
        int64_t n[CX_N_LABELS + 1][STUDY_N_GROUPS] = {{0}};
        int with_pairs[CX_N_LABELS + 1] = {0};
        for (int64_t j = 0; j < m->n_an; j++) {
            int c = in->pair_label[m->an_pair[j]], k = m->an_correct[j] ? STUDY_CORRECT : STUDY_INCORRECT;
            with_pairs[c] = with_pairs[CX_N_LABELS] = 1;
            if (isnan(ssim[j])) continue;
            sum[c][k] += ssim[j], n[c][k]++;
            sum[CX_N_LABELS][k] += ssim[j], n[CX_N_LABELS][k]++;
        }
        for (int k = 0; k <= CX_N_LABELS; k++) {
            int c = k ? k - 1 : CX_N_LABELS; // "all" first
            if (!with_pairs[c]) continue;
            double mc = n[c][0] ? sum[c][0] / n[c][0] : NAN, mi = n[c][1] ? sum[c][1] / n[c][1] : NAN;
            study_sensitivity_row row = {.source = m->method[q],
                                         .label = c == CX_N_LABELS ? STUDY_ALL_LABELS : c,
                                         .norm = norm, .n = n[c][0] + n[c][1], .mean_correct = mc,
                                         .mean_incorrect = mi, .diff = mc - mi};
            snprintf(row.model, sizeof row.model, "%s", m->name);
            CMP_PUSH(r->sensitivity, r->n_sensitivity, row);
        }
    }
    free(ssim);
}

// ---- grids -------------------------------------------------------------------------------------
// Analysed maps of distinct images, correct predictions first (they show what the model
// learned): pick[n] indices into m->an_map; returns n <= rows.
static int grid_picks(const cmp_model *m, int rows, int64_t pick[16]) {
    int n = 0;
    for (int pass = 1; pass >= 0 && n < rows; pass--)
        for (int64_t j = 0; j < m->n_an && n < rows && n < 16; j++) {
            if (m->an_correct[j] != pass) continue;
            int64_t i = m->map_pack_row[m->an_map[j]];
            int dup = 0;
            for (int q = 0; q < n; q++) dup |= m->map_pack_row[m->an_map[pick[q]]] == i;
            if (!dup) pick[n++] = j;
        }
    return n;
}

void cmp_grid(const cmp_inputs *in, const cmp_model *m, int grid_rows, stats_map_norm norm,
              study_compare_grid *g) {
    const pack *p = &in->pk;
    size_t npix = (size_t)in->S * in->S;
    int64_t pick[16];
    memset(g, 0, sizeof *g);
    g->n_rows = grid_picks(m, grid_rows, pick);
    g->n_cols = m->n_methods + 1;
    g->size = in->S;
    g->norm = norm;
    if (!g->n_rows) return;
    g->images = cx_malloc(npix * g->n_rows);
    g->maps = cx_malloc(sizeof(float) * npix * g->n_rows * g->n_cols);
    for (int r = 0; r < g->n_rows; r++) {
        int64_t mr = m->an_map[pick[r]], i = m->map_pack_row[mr];
        int c = m->map_target[mr];
        memcpy(g->images + r * npix, p->images + (size_t)i * npix, npix);
        for (int q = 0; q < g->n_cols; q++) {
            float *dst = g->maps + ((size_t)r * g->n_cols + q) * npix;
            const float *src = q < m->n_methods ? cmp_map(in, m, q, mr)
                                                : p->gaze + (size_t)p->gaze_row[i] * npix;
            memcpy(dst, src, npix * sizeof(float)); // raw: drawn through g->norm
        }
        study_compare_example *e = &g->row[r];
        snprintf(e->dicom_id, sizeof e->dicom_id, "%s", p->dicom_id[i]);
        e->label = c;
        e->probability = m->prob[i * CX_N_LABELS + c];
        e->correct = m->an_correct[pick[r]];
    }
}
