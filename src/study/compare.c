// study/compare: saliency maps vs radiologist gaze (METHODS.md §3) — image-level metrics for
// correct vs incorrect predictions with baselines; the regions, planted findings, GC vs LC and
// grids in compare_regions.c and compare_outputs.c; the files in compare_files.c.
#include "study/compare_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void study_compare_settings_default(study_compare_settings *s) {
    memset(s, 0, sizeof *s);
    s->fixed_threshold = -1;
    s->n_bootstrap = 1000;
    s->n_permutations = 10000;
    s->emd_side = 32;
    s->grid_rows = 4;
}

// All metrics of one map against one gaze image (both min-max normalised here), by stats_metric.
static void pair_metrics(const float *map, const float *gaze, const uint8_t *fix, int S,
                         int emd_side, float *tmp_map, float *tmp_ref,
                         double out[STATS_N_METRICS]) {
    size_t n = (size_t)S * S;
    memcpy(tmp_map, map, n * sizeof(float));
    memcpy(tmp_ref, gaze, n * sizeof(float));
    stats_minmax_normalise(tmp_map, n);
    stats_minmax_normalise(tmp_ref, n);
    stats_status st;
    out[STATS_SSIM] = stats_ssim(tmp_map, tmp_ref, S, S);
    out[STATS_CC] = stats_cc(tmp_map, tmp_ref, n);
    out[STATS_NSS] = stats_nss(tmp_map, fix, n);
    out[STATS_KL] = stats_kl(tmp_map, tmp_ref, n);
    out[STATS_SIM] = stats_sim(tmp_map, tmp_ref, n);
    out[STATS_AUC_JUDD] = stats_auc_judd(tmp_map, fix, n);
    out[STATS_EMD] = stats_emd(tmp_map, tmp_ref, S, S, emd_side, &st);
}

// Metric values of n maps against the gaze of their pack rows: [n, STATS_N_METRICS].
// maps[j] [S,S] is compared with the gaze of pack row rows[j].
static double *metrics_against_gaze(const cmp_inputs *in, int64_t n, const float *const *maps,
                                    const int64_t *rows, int emd_side) {
    const pack *p = &in->pk;
    size_t npix = (size_t)in->S * in->S;
    double *v = cx_malloc(sizeof(double) * STATS_N_METRICS * (size_t)(n ? n : 1));
#pragma omp parallel
    {
        float *a = cx_malloc(npix * sizeof(float)), *b = cx_malloc(npix * sizeof(float));
#pragma omp for schedule(dynamic, 1)
        for (int64_t j = 0; j < n; j++) {
            int64_t g = p->gaze_row[rows[j]];
            pair_metrics(maps[j], p->gaze + (size_t)g * npix, p->fixations + (size_t)g * npix,
                         in->S, emd_side, a, b, v + (size_t)j * STATS_N_METRICS);
        }
        free(a);
        free(b);
    }
    return v;
}

// ---- grouped summaries -------------------------------------------------------------------------
typedef struct group_vals {
    double *x;
    size_t n;
} group_vals;

static void gv_push(group_vals *g, double v, size_t cap) {
    if (!isfinite(v)) return;
    if (!g->x) g->x = cx_malloc(sizeof(double) * (cap ? cap : 1));
    g->x[g->n++] = v;
}

// One (model, source, metric, label) cell: the bootstrap CI of the mean of the correct and the
// incorrect maps' values, and the permutation p of their difference; two rows.
static void summarise_groups(const group_vals g[STUDY_N_GROUPS], const study_compare_settings *s,
                             study_metric_row *row, study_compare_result *r) {
    stats_status st;
    double p = NAN;
    if (g[STUDY_CORRECT].n && g[STUDY_INCORRECT].n)
        p = stats_permutation_test(g[0].x, g[0].n, g[1].x, g[1].n, s->n_permutations, s->seed, NULL,
                                   &st);
    for (int k = 0; k < STUDY_N_GROUPS; k++) {
        stats_ci ci = {.estimate = NAN, .lo = NAN, .hi = NAN};
        if (g[k].n) stats_bootstrap_mean_ci(g[k].x, g[k].n, s->n_bootstrap, 0.95, s->seed, &ci);
        row->group = (study_group)k;
        row->n = (int64_t)g[k].n;
        row->mean = ci.estimate;
        row->ci_lo = ci.lo;
        row->ci_hi = ci.hi;
        row->p_perm = p;
        CMP_PUSH(r->metrics, r->n_metrics, *row);
    }
}

// One source's values v [n, STATS_N_METRICS] with the label and correctness of each entry:
// rows per metric, pooled over labels ("all") and per label.
typedef struct source_values {
    const char *model;
    int source;
    const double *v;
    size_t n;
    const int *label;          // [n]
    const uint8_t *correct;    // [n]
} source_values;

static void summarise_source(const source_values *sv, const study_compare_settings *s,
                             study_compare_result *r) {
    for (int metric = 0; metric < STATS_N_METRICS; metric++) {
        for (int c = STUDY_ALL_LABELS; c < CX_N_LABELS; c++) {
            group_vals g[STUDY_N_GROUPS] = {{0}};
            for (size_t j = 0; j < sv->n; j++) {
                if (c != STUDY_ALL_LABELS && sv->label[j] != c) continue;
                gv_push(&g[sv->correct[j] ? STUDY_CORRECT : STUDY_INCORRECT],
                        sv->v[j * STATS_N_METRICS + metric], sv->n);
            }
            if (g[0].n + g[1].n) {
                study_metric_row row = {.source = sv->source, .metric = (stats_metric)metric,
                                        .label = c};
                snprintf(row.model, sizeof row.model, "%s", sv->model);
                summarise_groups(g, s, &row, r);
            }
            free(g[0].x);
            free(g[1].x);
        }
    }
}

// ---- one model ---------------------------------------------------------------------------------
// Method slot q of model m: its metrics and its region distribution.
static void analyse_method(const cmp_inputs *in, const cmp_model *m, int q, const int *label,
                           const study_compare_settings *s, study_compare_result *r,
                           study_region_dist *d) {
    int64_t n = m->n_an ? m->n_an : 1;
    const float **maps = cx_malloc(sizeof(float *) * (size_t)n);
    int64_t *rows = cx_malloc(sizeof(int64_t) * (size_t)n);
    for (int64_t j = 0; j < m->n_an; j++) {
        maps[j] = cmp_map(in, m, q, m->an_map[j]);
        rows[j] = m->map_pack_row[m->an_map[j]];
    }
    double *v = metrics_against_gaze(in, m->n_an, maps, rows, s->emd_side);
    source_values sv = {m->name, m->method[q], v, (size_t)m->n_an, label, m->an_correct};
    summarise_source(&sv, s, r);
    free(v);
    free(maps);
    free(rows);
    cmp_method_regions(in, m, q, r, d);
}

// The baselines under the same grouping as model m's maps: base [n_gaze_test, STATS_N_METRICS]
// holds a baseline's metrics on each held-out gaze image.
static void analyse_baseline(const cmp_inputs *in, const cmp_model *m, int source,
                             const double *base, const int *label,
                             const study_compare_settings *s, study_compare_result *r) {
    double *v = cx_malloc(sizeof(double) * STATS_N_METRICS * (size_t)(m->n_an ? m->n_an : 1));
    for (int64_t j = 0; j < m->n_an; j++) {
        int64_t gi = in->gaze_test_index[m->map_pack_row[m->an_map[j]]];
        memcpy(v + j * STATS_N_METRICS, base + gi * STATS_N_METRICS,
               sizeof(double) * STATS_N_METRICS);
    }
    source_values sv = {m->name, source, v, (size_t)m->n_an, label, m->an_correct};
    summarise_source(&sv, s, r);
    free(v);
}

// Baseline map base [S,S] against every held-out gaze image: [n_gaze_test, STATS_N_METRICS].
static double *baseline_metrics(const cmp_inputs *in, const float *base, int emd_side) {
    const float **maps = cx_malloc(sizeof(float *) * (size_t)in->n_gaze_test);
    for (int64_t j = 0; j < in->n_gaze_test; j++) maps[j] = base;
    double *v = metrics_against_gaze(in, in->n_gaze_test, maps, in->gaze_test_rows, emd_side);
    free(maps);
    return v;
}

static void analyse_models(const cmp_inputs *in, const study_compare_settings *s,
                           study_compare_result *r) {
    double *base[2] = {baseline_metrics(in, in->centre_bias, s->emd_side),
                       baseline_metrics(in, in->mean_gaze, s->emd_side)};
    cx_progress prog;
    int total = 0, done = 0;
    for (int k = 0; k < in->n_models; k++) total += in->model[k].n_methods;
    cx_progress_start(&prog, "compare", "methods", total);
    for (int k = 0; k < in->n_models; k++) {
        const cmp_model *m = &in->model[k];
        int *label = cx_malloc(sizeof(int) * (size_t)(m->n_an ? m->n_an : 1));
        for (int64_t j = 0; j < m->n_an; j++) label[j] = m->map_target[m->an_map[j]];
        for (int q = 0; q < m->n_methods; q++) {
            analyse_method(in, m, q, label, s, r, &r->model[k].regions[q]);
            cx_progress_update(&prog, ++done, attr_method_name(m->method[q]));
        }
        analyse_baseline(in, m, STUDY_SOURCE_CENTRE_BIAS, base[0], label, s, r);
        analyse_baseline(in, m, STUDY_SOURCE_MEAN_GAZE, base[1], label, s, r);
        free(label);
    }
    cx_progress_finish(&prog);
    free(base[0]);
    free(base[1]);
}

// The result's per-model counts and grids.
static void describe_models(const cmp_inputs *in, const study_compare_settings *s,
                            study_compare_result *r) {
    r->n_models = in->n_models;
    r->n_gaze_test = in->n_gaze_test;
    r->has_truth = in->pk.truth != NULL;
    for (int k = 0; k < in->n_models; k++) {
        const cmp_model *m = &in->model[k];
        study_compare_model *rm = &r->model[k];
        snprintf(rm->name, sizeof rm->name, "%s", m->name);
        rm->n_methods = m->n_methods;
        memcpy(rm->method, m->method, sizeof m->method);
        rm->n_maps = m->n_maps;
        rm->n_analysed = m->n_an;
        for (int64_t j = 0; j < m->n_an; j++) rm->n_correct += m->an_correct[j];
        cmp_grid(in, m, s->grid_rows, s->norm, &rm->grid);
    }
}

static const char *out_path(char path[4200], const char *dir, const char *name) {
    cx_path_join(path, 4200, dir, name);
    return path;
}

static int write_files(const study_compare_settings *s, const study_compare_result *r,
                       cx_error *err) {
    char p[4200];
    const char *dir = s->out_dir;
    if (study_ssim_write(out_path(p, dir, "ssim.csv"), r->metrics, r->n_metrics, err) ||
        study_metrics_write(out_path(p, dir, "metrics.csv"), r->metrics, r->n_metrics, err) ||
        study_regions_write(out_path(p, dir, "regions.csv"), r->regions, r->n_regions, err) ||
        study_region_distance_write(out_path(p, dir, "region_distance.csv"), r->distance,
                                    r->n_distance, err) ||
        study_sensitivity_write(out_path(p, dir, "sensitivity.csv"), r->sensitivity,
                                r->n_sensitivity, err))
        return -1;
    if (r->has_truth && study_truth_write(out_path(p, dir, "truth.csv"), r->truth, r->n_truth, err))
        return -1;
    if (r->n_gc_lc && study_gc_lc_write(out_path(p, dir, "gc_lc.csv"), r->gc_lc, r->n_gc_lc, err))
        return -1;
    return study_compare_json_write(out_path(p, dir, "compare.json"), s, r, err);
}

int study_compare(const study_compare_settings *s, study_compare_result *r, cx_error *err) {
    memset(r, 0, sizeof *r);
    if (s->n_models < 1 || s->n_models > STUDY_COMPARE_MAX_MODELS ||
        (s->n_eval != 1 && s->n_eval != s->n_models))
        return cx_fail(err, "compare: give one --eval, or one per --attributions (%d models, %d evals)",
                       s->n_models, s->n_eval);
    if (s->out_dir && cx_mkdir_p(s->out_dir, err)) return -1;
    cmp_inputs in;
    int rc = cmp_load(s, &in, err);
    if (!rc) {
        cmp_gaze_regions(&in, r);
        analyse_models(&in, s, r);
        cmp_truth(&in, r);
        cmp_gc_lc(&in, r);
        describe_models(&in, s, r);
        if (s->out_dir) rc = write_files(s, r, err);
    }
    cmp_free(&in);
    if (rc) study_compare_result_free(r);
    return rc;
}

void study_compare_result_free(study_compare_result *r) {
    for (int k = 0; k < r->n_models; k++) {
        free(r->model[k].grid.images);
        free(r->model[k].grid.maps);
    }
    free(r->metrics);
    free(r->regions);
    free(r->distance);
    free(r->sensitivity);
    free(r->truth);
    free(r->gc_lc);
    memset(r, 0, sizeof *r);
}

const study_metric_row *study_compare_pooled_ssim(const study_compare_result *r, const char *model,
                                                  int source, study_group g) {
    for (int64_t i = 0; i < r->n_metrics; i++) {
        const study_metric_row *row = &r->metrics[i];
        if (row->metric == STATS_SSIM && row->label == STUDY_ALL_LABELS && row->source == source &&
            row->group == g && !strcmp(row->model, model))
            return row;
    }
    return NULL;
}
