// study/compare: saliency maps vs radiologist gaze (METHODS.md §3) — image-level metrics on the
// analysed pairs for correct vs incorrect predictions with baselines (constant maps left out and
// counted; CIs by patient bootstrap, permutation p within labels); the regions in
// compare_regions.c, planted findings, GC vs LC, sensitivity and grids in compare_outputs.c, the
// inter-observer ceiling in compare_ceiling.c; the files in compare_files.c.
#include "study/compare_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void study_compare_settings_default(study_compare_settings *s) {
    memset(s, 0, sizeof *s);
    s->fixed_threshold = -1;
    s->norm = (stats_map_norm){STATS_SIGN_ABS, STATS_SCALE_P98};
    s->n_bootstrap = 1000;
    s->n_permutations = 10000;
    s->emd_side = 32;
    s->grid_rows = 4;
}

void cmp_pair_metrics(const cmp_inputs *in, const float *map, const float *gaze, const uint8_t *fix,
                      const uint8_t *own, uint32_t *other, int emd_side,
                      double out[STATS_N_METRICS]) {
    const int S = in->S;
    size_t n = (size_t)S * S;
    stats_status st;
    out[STATS_SSIM] = stats_ssim(map, gaze, S, S);
    out[STATS_CC] = stats_cc(map, gaze, n);
    out[STATS_NSS] = stats_nss(map, fix, n);
    out[STATS_KL] = stats_kl(map, gaze, n);
    out[STATS_SIM] = stats_sim(map, gaze, n);
    out[STATS_AUC_JUDD] = stats_auc_judd(map, fix, n);
    out[STATS_EMD] = stats_emd(map, gaze, S, S, emd_side, &st);
    for (size_t q = 0; q < n; q++) other[q] = in->fix_count[q] - (own && own[q] ? 1u : 0u);
    out[STATS_SAUC] = stats_sauc(map, fix, other, n);
    out[STATS_IG_CENTRE] = stats_info_gain(map, in->centre_bias_n, fix, n);
    out[STATS_IG_MEAN_GAZE] = in->mean_gaze_n ? stats_info_gain(map, in->mean_gaze_n, fix, n) : NAN;
}

// One map type's scores on n pairs: maps[j] [S,S] (raw) against the gaze of held-out image
// image[j]. Maps are normalised by *norm (NULL: min-max, the baselines). Fills v [n,
// STATS_N_METRICS] (NaN where excluded), constant [n] (the map or the gaze map is constant: no
// value) and, when mass is not NULL, the region masses [n, CX_N_REGIONS] of the normalised map
// (NaN when the map is constant) with map_constant [n].
typedef struct pair_scores {
    double *v;
    uint8_t *constant;
    double *mass;          // NULL: not wanted
    uint8_t *map_constant; // with mass
} pair_scores;

static void score_pairs(const cmp_inputs *in, int64_t n, const float *const *maps,
                        const int64_t *image, const stats_map_norm *norm, int emd_side,
                        pair_scores *out) {
    const pack *p = &in->pk;
    size_t npix = (size_t)in->S * in->S;
#pragma omp parallel
    {
        float *a = cx_malloc(npix * sizeof(float)), *g = cx_malloc(npix * sizeof(float));
        float *work = cx_malloc(npix * sizeof(float));
        uint32_t *other = cx_malloc(npix * sizeof(uint32_t));
        uint8_t *masks = out->mass ? cx_malloc(CX_N_REGIONS * npix) : NULL;
#pragma omp for schedule(dynamic, 1)
        for (int64_t j = 0; j < n; j++) {
            int64_t gr = p->gaze_row[in->gaze_test_rows[image[j]]];
            memcpy(a, maps[j], npix * sizeof(float));
            memcpy(g, p->gaze + (size_t)gr * npix, npix * sizeof(float));
            int map_const = norm ? stats_map_normalise(a, npix, *norm, work)
                                 : stats_minmax_normalise(a, npix);
            int gaze_const = stats_minmax_normalise(g, npix);
            double *v = out->v + (size_t)j * STATS_N_METRICS;
            out->constant[j] = (uint8_t)(map_const || gaze_const);
            if (out->constant[j])
                for (int k = 0; k < STATS_N_METRICS; k++) v[k] = NAN;
            else
                cmp_pair_metrics(in, a, g, p->fixations + (size_t)gr * npix,
                                 p->fixations + (size_t)gr * npix, other, emd_side, v);
            if (out->mass) {
                out->map_constant[j] = (uint8_t)map_const;
                cmp_region_masks(p, gr, masks);
                stats_region_mass(a, masks, CX_N_REGIONS, npix, out->mass + j * CX_N_REGIONS);
            }
        }
        free(a);
        free(g);
        free(work);
        free(other);
        free(masks);
    }
}

static pair_scores scores_new(int64_t n, int with_mass) {
    size_t m = (size_t)(n ? n : 1);
    return (pair_scores){
        .v = cx_malloc(sizeof(double) * STATS_N_METRICS * m), .constant = cx_malloc(m),
        .mass = with_mass ? cx_malloc(sizeof(double) * CX_N_REGIONS * m) : NULL,
        .map_constant = with_mass ? cx_malloc(m) : NULL};
}

static void scores_free(pair_scores *s) {
    free(s->v);
    free(s->constant);
    free(s->mass);
    free(s->map_constant);
}

// ---- grouped summaries -------------------------------------------------------------------------
// One map type's values v [n, STATS_N_METRICS] on model m's analysed pairs, with their
// constant flags: rows per metric, pooled over labels ("all") and per label.
typedef struct source_values {
    const char *model;
    int source;
    const double *v;
    const uint8_t *constant;
    int64_t n;
    const int64_t *label;    // [n]
    const int64_t *patient;  // [n]
    const uint8_t *correct;  // [n]
} source_values;

// The (metric, label) cell's two rows: patient-bootstrap CI of each group's mean, permutation p
// of their difference with correct/incorrect permuted within labels. Values in pair order.
static void summarise_cell(const source_values *sv, int metric, int c,
                           const study_compare_settings *s, study_compare_result *r) {
    size_t cap = (size_t)(sv->n ? sv->n : 1);
    double *x = cx_malloc(sizeof(double) * cap), *xg = cx_malloc(sizeof(double) * cap);
    int64_t *stratum = cx_malloc(sizeof(int64_t) * cap), *pat = cx_malloc(sizeof(int64_t) * cap);
    int64_t *pg = cx_malloc(sizeof(int64_t) * cap);
    uint8_t *in_a = cx_malloc(cap);
    size_t n = 0;
    int64_t n_const[STUDY_N_GROUPS] = {0};
    for (int64_t j = 0; j < sv->n; j++) {
        if (c != STUDY_ALL_LABELS && sv->label[j] != c) continue;
        double v = sv->v[j * STATS_N_METRICS + metric];
        if (sv->constant[j]) n_const[sv->correct[j] ? STUDY_CORRECT : STUDY_INCORRECT]++;
        if (!isfinite(v)) continue; // constant, or undefined (NSS without fixations, ...)
        x[n] = v, in_a[n] = sv->correct[j] != 0, stratum[n] = sv->label[j];
        pat[n++] = sv->patient[j];
    }
    if (n || n_const[0] || n_const[1]) {
        double p = stats_permutation_test_strata(x, in_a, stratum, n, s->n_permutations, s->seed,
                                                 NULL, NULL);
        for (int k = 0; k < STUDY_N_GROUPS; k++) {
            size_t m = 0;
            for (size_t i = 0; i < n; i++)
                if (in_a[i] == (k == STUDY_CORRECT)) xg[m] = x[i], pg[m++] = pat[i];
            stats_ci ci = {.estimate = NAN, .lo = NAN, .hi = NAN};
            if (m) stats_bootstrap_mean_ci_clustered(xg, pg, m, s->n_bootstrap, 0.95, s->seed, &ci);
            study_metric_row row = {.source = sv->source, .metric = (stats_metric)metric,
                                    .label = c, .group = (study_group)k, .n = (int64_t)m,
                                    .n_constant = n_const[k], .mean = ci.estimate, .ci_lo = ci.lo,
                                    .ci_hi = ci.hi, .p_perm = p};
            snprintf(row.model, sizeof row.model, "%s", sv->model);
            CMP_PUSH(r->metrics, r->n_metrics, row);
        }
    }
    free(x);
    free(xg);
    free(stratum);
    free(pat);
    free(pg);
    free(in_a);
}

static void summarise_source(const source_values *sv, const study_compare_settings *s,
                             study_compare_result *r) {
    for (int metric = 0; metric < STATS_N_METRICS; metric++)
        for (int c = STUDY_ALL_LABELS; c < CX_N_LABELS; c++) summarise_cell(sv, metric, c, s, r);
}

// ---- one model ---------------------------------------------------------------------------------
// Per analysed pair of m: label, patient and held-out image.
typedef struct pair_keys {
    int64_t *label, *patient, *image;
} pair_keys;

static pair_keys pair_keys_of(const cmp_inputs *in, const cmp_model *m) {
    size_t cap = (size_t)(m->n_an ? m->n_an : 1);
    pair_keys k = {cx_malloc(sizeof(int64_t) * cap), cx_malloc(sizeof(int64_t) * cap),
                   cx_malloc(sizeof(int64_t) * cap)};
    for (int64_t j = 0; j < m->n_an; j++) {
        int64_t pair = m->an_pair[j];
        k.image[j] = in->pair_image[pair];
        k.label[j] = in->pair_label[pair];
        k.patient[j] = in->patient[k.image[j]];
    }
    return k;
}

// Method slot q of model m: its metrics, its region distribution and paired statistics against
// gaze, its sensitivity rows.
static void analyse_method(const cmp_inputs *in, const cmp_model *m, int q, const pair_keys *k,
                           const int *gaze_most, const study_compare_settings *s,
                           study_compare_result *r, study_region_dist *d) {
    int64_t n = m->n_an;
    const float **maps = cx_malloc(sizeof(float *) * (size_t)(n ? n : 1));
    for (int64_t j = 0; j < n; j++) maps[j] = cmp_map(in, m, q, m->an_map[j]);
    pair_scores sc = scores_new(n, 1);
    score_pairs(in, n, maps, k->image, &in->norm, s->emd_side, &sc);
    source_values sv = {m->name, m->method[q], sc.v, sc.constant, n, k->label, k->patient,
                        m->an_correct};
    summarise_source(&sv, s, r);
    cmp_method_regions(in, m, q, sc.mass, sc.map_constant, gaze_most, s, r, d);
    double *ssim = cx_malloc(sizeof(double) * (size_t)(n ? n : 1));
    for (int64_t j = 0; j < n; j++) ssim[j] = sc.v[j * STATS_N_METRICS + STATS_SSIM];
    cmp_sensitivity(in, m, q, ssim, r);
    free(ssim);
    scores_free(&sc);
    free(maps);
}

// A baseline under the same grouping as model m's pairs: base holds its scores on each held-out
// gaze image.
static void analyse_baseline(const cmp_inputs *in, const cmp_model *m, int source,
                             const pair_scores *base, const pair_keys *k,
                             const study_compare_settings *s, study_compare_result *r) {
    pair_scores sc = scores_new(m->n_an, 0);
    for (int64_t j = 0; j < m->n_an; j++) {
        memcpy(sc.v + j * STATS_N_METRICS, base->v + k->image[j] * STATS_N_METRICS,
               sizeof(double) * STATS_N_METRICS);
        sc.constant[j] = base->constant[k->image[j]];
    }
    source_values sv = {m->name, source, sc.v, sc.constant, m->n_an, k->label, k->patient,
                        m->an_correct};
    summarise_source(&sv, s, r);
    scores_free(&sc);
}

// Baseline map base [S,S] (min-max normalised) against every held-out gaze image.
static pair_scores baseline_scores(const cmp_inputs *in, const float *base, int emd_side) {
    int64_t n = in->n_gaze_test;
    const float **maps = cx_malloc(sizeof(float *) * (size_t)(n ? n : 1));
    int64_t *image = cx_malloc(sizeof(int64_t) * (size_t)(n ? n : 1));
    for (int64_t j = 0; j < n; j++) maps[j] = base, image[j] = j;
    pair_scores sc = scores_new(n, 0);
    score_pairs(in, n, maps, image, NULL, emd_side, &sc);
    free(maps);
    free(image);
    return sc;
}

static void analyse_models(const cmp_inputs *in, const int *gaze_most,
                           const study_compare_settings *s, study_compare_result *r) {
    pair_scores base[2] = {baseline_scores(in, in->centre_bias, s->emd_side),
                           baseline_scores(in, in->mean_gaze, s->emd_side)};
    cx_progress prog;
    int total = 0, done = 0;
    for (int k = 0; k < in->n_models; k++) total += in->model[k].n_methods;
    cx_progress_start(&prog, "compare", "methods", total);
    for (int k = 0; k < in->n_models; k++) {
        const cmp_model *m = &in->model[k];
        pair_keys keys = pair_keys_of(in, m);
        for (int q = 0; q < m->n_methods; q++) {
            analyse_method(in, m, q, &keys, gaze_most, s, r, &r->model[k].regions[q]);
            cx_progress_update(&prog, ++done, attr_method_name(m->method[q]));
        }
        analyse_baseline(in, m, STUDY_SOURCE_CENTRE_BIAS, &base[0], &keys, s, r);
        analyse_baseline(in, m, STUDY_SOURCE_MEAN_GAZE, &base[1], &keys, s, r);
        free(keys.label);
        free(keys.patient);
        free(keys.image);
    }
    cx_progress_finish(&prog);
    scores_free(&base[0]);
    scores_free(&base[1]);
}

// The result's per-model counts and grids.
static void describe_models(const cmp_inputs *in, const study_compare_settings *s,
                            study_compare_result *r) {
    r->n_models = in->n_models;
    r->n_gaze_test = in->n_gaze_test;
    r->n_pairs = in->n_pairs;
    r->n_pairs_unmapped = in->n_pairs_unmapped;
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
    if (r->n_interobserver &&
        study_interobserver_write(out_path(p, dir, "interobserver.csv"), r->interobserver,
                                  r->n_interobserver, err))
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
        int *gaze_most = cmp_gaze_regions(&in, r);
        analyse_models(&in, gaze_most, s, r);
        free(gaze_most);
        cmp_ceiling(&in, s, r);
        cmp_ceiling_fractions(r);
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
    free(r->interobserver);
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
