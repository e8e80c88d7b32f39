// report/compare: saliency maps vs radiologist gaze (METHODS.md §3) — image-level metrics for
// correct vs incorrect predictions, region-level most-salient-region distributions, the share
// of each map on a planted finding (synth truth), GradCAM vs Layer Conductance, and figures.
#include "report/compare_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *const cmp_metric_names[CMP_N_METRICS] = {"ssim", "cc", "nss", "kl",
                                                      "sim", "auc_judd", "emd"};

void compare_opts_default(compare_opts *o) {
    memset(o, 0, sizeof *o);
    o->fixed_threshold = -1;
    o->n_bootstrap = 1000;
    o->n_permutations = 10000;
    o->emd_side = 32;
    o->grid_rows = 4;
}

// All metrics of one map against one gaze image (both min-max normalised here).
static void pair_metrics(const float *map, const float *gaze, const uint8_t *fix, int S,
                         int emd_side, float *tmp_map, float *tmp_ref, double out[CMP_N_METRICS]) {
    size_t n = (size_t)S * S;
    memcpy(tmp_map, map, n * sizeof(float));
    memcpy(tmp_ref, gaze, n * sizeof(float));
    stats_minmax_normalise(tmp_map, n);
    stats_minmax_normalise(tmp_ref, n);
    stats_status st;
    out[0] = stats_ssim(tmp_map, tmp_ref, S, S);
    out[1] = stats_cc(tmp_map, tmp_ref, n);
    out[2] = stats_nss(tmp_map, fix, n);
    out[3] = stats_kl(tmp_map, tmp_ref, n);
    out[4] = stats_sim(tmp_map, tmp_ref, n);
    out[5] = stats_auc_judd(tmp_map, fix, n);
    out[6] = stats_emd(tmp_map, tmp_ref, S, S, emd_side, &st);
}

// Per-map metric values: [n, CMP_N_METRICS].
static double *metrics_for_maps(const cmp_inputs *in, const cmp_model *m, int k, int emd_side) {
    const pack *p = &in->pk;
    int S = in->S;
    size_t npix = (size_t)S * S;
    double *v = cx_malloc(sizeof(double) * CMP_N_METRICS * (size_t)(m->n_an ? m->n_an : 1));
#pragma omp parallel
    {
        float *a = cx_malloc(npix * sizeof(float)), *b = cx_malloc(npix * sizeof(float));
#pragma omp for schedule(dynamic, 1)
        for (int64_t j = 0; j < m->n_an; j++) {
            int64_t r = m->an_map[j], g = p->gaze_row[m->map_pack_row[r]];
            pair_metrics(cmp_map(in, m, k, r), p->gaze + (size_t)g * npix,
                         p->fixations + (size_t)g * npix, S, emd_side, a, b,
                         v + (size_t)j * CMP_N_METRICS);
        }
        free(a);
        free(b);
    }
    return v;
}

// Baseline metrics per gaze-test image: [n_gaze_test, CMP_N_METRICS]; base is [S,S].
static double *metrics_for_baseline(const cmp_inputs *in, const float *base, int emd_side) {
    const pack *p = &in->pk;
    size_t npix = (size_t)in->S * in->S;
    double *v = cx_malloc(sizeof(double) * CMP_N_METRICS * (size_t)in->n_gaze_test);
#pragma omp parallel
    {
        float *a = cx_malloc(npix * sizeof(float)), *b = cx_malloc(npix * sizeof(float));
#pragma omp for schedule(dynamic, 1)
        for (int64_t j = 0; j < in->n_gaze_test; j++) {
            int64_t g = p->gaze_row[in->gaze_test_rows[j]];
            pair_metrics(base, p->gaze + (size_t)g * npix, p->fixations + (size_t)g * npix, in->S,
                         emd_side, a, b, v + (size_t)j * CMP_N_METRICS);
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

// One (model, method, metric, label) cell: bootstrap CI of the mean for correct [0] and incorrect
// [1] maps, and the permutation p of their difference (NaN when a group is empty).
typedef struct group_summary {
    size_t n[2];
    stats_ci ci[2];
    double p;
} group_summary;

static void summarise_groups(const group_vals *cor, const group_vals *inc, const compare_opts *o,
                             group_summary *s) {
    stats_status st;
    s->p = NAN;
    if (cor->n && inc->n)
        s->p = stats_permutation_test(cor->x, cor->n, inc->x, inc->n, o->n_permutations, o->seed,
                                      NULL, &st);
    const group_vals *g[2] = {cor, inc};
    for (int k = 0; k < 2; k++) {
        s->n[k] = g[k]->n;
        s->ci[k] = (stats_ci){.estimate = NAN, .lo = NAN, .hi = NAN};
        if (g[k]->n)
            stats_bootstrap_mean_ci(g[k]->x, g[k]->n, o->n_bootstrap, 0.95, o->seed, &s->ci[k]);
    }
}

// Writes the correct and incorrect rows of a cell (metric NULL: no metric column).
static void write_groups(csv_writer *w, const char *model, const char *method, const char *metric,
                         const char *label, const group_summary *s) {
    const char *gname[2] = {"correct", "incorrect"};
    for (int k = 0; k < 2; k++) {
        const stats_ci *ci = &s->ci[k];
        csv_writer_field(w, model);
        csv_writer_field(w, method);
        if (metric) csv_writer_field(w, metric);
        csv_writer_field(w, label);
        csv_writer_field(w, gname[k]);
        csv_writer_fieldf(w, "%zu", s->n[k]);
        if (s->n[k]) csv_writer_fieldf(w, "%.6f", ci->estimate);
        else csv_writer_field(w, "");
        if (s->n[k] && !isnan(ci->lo)) {
            csv_writer_fieldf(w, "%.6f", ci->lo);
            csv_writer_fieldf(w, "%.6f", ci->hi);
        } else {
            csv_writer_field(w, "");
            csv_writer_field(w, "");
        }
        if (isnan(s->p)) csv_writer_field(w, "");
        else csv_writer_fieldf(w, "%.6g", s->p);
        csv_writer_end_row(w);
    }
}

// One map kind's values [n, CMP_N_METRICS] with labels/correctness per entry, written as rows
// per label and pooled ("all").
typedef struct kind_rows {
    const char *model, *method;
    const double *v;
    size_t n;
    const int *label;          // [n]
    const uint8_t *correct;    // [n]
} kind_rows;

static void write_kind(csv_writer *ssim_w, csv_writer *met_w, const kind_rows *k,
                       const compare_opts *o, double pooled_ssim[2], double pooled_lo[2],
                       double pooled_hi[2]) {
    for (int metric = 0; metric < CMP_N_METRICS; metric++) {
        for (int c = -1; c < CX_N_LABELS; c++) {
            group_vals cor = {0}, inc = {0};
            for (size_t j = 0; j < k->n; j++) {
                if (c >= 0 && k->label[j] != c) continue;
                gv_push(k->correct[j] ? &cor : &inc, k->v[j * CMP_N_METRICS + metric], k->n);
            }
            if (cor.n + inc.n == 0) continue;
            const char *lname = c < 0 ? "all" : CX_LABELS[c];
            group_summary sum;
            summarise_groups(&cor, &inc, o, &sum);
            write_groups(met_w, k->model, k->method, cmp_metric_names[metric], lname, &sum);
            if (metric == 0) { // SSIM also has its own table, and the pooled values feed a figure
                write_groups(ssim_w, k->model, k->method, NULL, lname, &sum);
                if (c < 0 && pooled_ssim)
                    for (int q = 0; q < 2; q++) {
                        pooled_ssim[q] = sum.ci[q].estimate;
                        pooled_lo[q] = sum.ci[q].lo;
                        pooled_hi[q] = sum.ci[q].hi;
                    }
            }
            free(cor.x);
            free(inc.x);
        }
    }
}

// ---- regions ---------------------------------------------------------------------------------
// Region masks of gaze row g with absent regions emptied: masks [4, S*S].
static void region_masks(const pack *p, int64_t g, uint8_t *masks) {
    size_t npix = (size_t)p->size * p->size;
    for (int r = 0; r < CX_N_REGIONS; r++) {
        const uint8_t *src = p->regions + ((size_t)g * CX_N_REGIONS + r) * npix;
        if (p->region_present[g * CX_N_REGIONS + r]) memcpy(masks + r * npix, src, npix);
        else memset(masks + r * npix, 0, npix);
    }
}

// Most-salient region of each of n maps: z-scored over the n maps (METHODS.md §3).
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
    for (int64_t j = 0; j < n; j++) most[j] = stats_most_salient_region(z + j * CX_N_REGIONS, CX_N_REGIONS);
    free(prop);
    free(z);
}

static void write_region_rows(csv_writer *w, const char *model, const char *method,
                              const cmp_region_dist *d) {
    for (int c = 0; c < CX_N_LABELS; c++) {
        if (!d->n[c]) continue;
        int64_t tot = 0;
        for (int r = 0; r < CX_N_REGIONS; r++) tot += d->counts[c][r];
        for (int r = 0; r < CX_N_REGIONS; r++) {
            csv_writer_field(w, model);
            csv_writer_field(w, method);
            csv_writer_field(w, CX_LABELS[c]);
            csv_writer_field(w, CX_REGIONS[r]);
            csv_writer_fieldf(w, "%lld", (long long)tot);
            csv_writer_fieldf(w, "%lld", (long long)d->counts[c][r]);
            csv_writer_fieldf(w, "%.6f", tot ? (double)d->counts[c][r] / tot : NAN);
            csv_writer_end_row(w);
        }
    }
}

// ---- the run -----------------------------------------------------------------------------------
static csv_writer *open_table(const char *dir, const char *name, const char *header, cx_error *err) {
    char path[4200];
    cx_path_join(path, sizeof path, dir, name);
    csv_writer *w = csv_writer_open(path, err);
    if (!w) return NULL;
    char buf[512];
    snprintf(buf, sizeof buf, "%s", header);
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) csv_writer_field(w, tok);
    csv_writer_end_row(w);
    return w;
}

int compare_run(const compare_opts *o, cx_error *err) {
    if (o->n_models < 1 || o->n_models > 8 || (o->n_eval != 1 && o->n_eval != o->n_models))
        return cx_fail(err, "compare: give one --eval, or one per --attributions (%d models, %d evals)",
                       o->n_models, o->n_eval);
    if (cx_mkdir_p(o->out_dir, err)) return -1;
    cmp_inputs in;
    if (cmp_load(o, &in, err)) {
        cmp_free(&in);
        return -1;
    }
    const pack *p = &in.pk;
    size_t npix = (size_t)in.S * in.S;
    int rc = -1;
    csv_writer *ssim_w = open_table(o->out_dir, "ssim.csv", "model,method,label,group,n,mean,ci_lo,ci_hi,p_perm", err);
    csv_writer *met_w = ssim_w ? open_table(o->out_dir, "metrics.csv", "model,method,metric,label,group,n,mean,ci_lo,ci_hi,p_perm", err) : NULL;
    csv_writer *reg_w = met_w ? open_table(o->out_dir, "regions.csv", "model,method,label,region,n,count,fraction", err) : NULL;
    csv_writer *dist_w = reg_w ? open_table(o->out_dir, "region_distance.csv", "model,method,label,n,n_gaze,tv_distance,chi2,dof,p", err) : NULL;
    if (!dist_w) goto out;

    cmp_pooled *pooled = cx_calloc(in.n_models, sizeof *pooled);
    cmp_dists *dist = cx_calloc(in.n_models, sizeof *dist);
    double *base_cb = metrics_for_baseline(&in, in.centre_bias, o->emd_side);
    double *base_mg = metrics_for_baseline(&in, in.mean_gaze, o->emd_side);
    cx_strmap gaze_index; // pack row -> index into gaze_test_rows
    strmap_init(&gaze_index);
    for (int64_t j = 0; j < in.n_gaze_test; j++) {
        char key[32];
        snprintf(key, sizeof key, "%lld", (long long)in.gaze_test_rows[j]);
        strmap_put(&gaze_index, key, j);
    }

    // Gaze's own most-salient regions (the ground truth distribution).
    cmp_region_dist gaze_dist = {0};
    {
        const float **maps = cx_malloc(sizeof(float *) * (size_t)in.n_gaze_test);
        int64_t *grow = cx_malloc(sizeof(int64_t) * (size_t)in.n_gaze_test);
        int *most = cx_malloc(sizeof(int) * (size_t)in.n_gaze_test);
        for (int64_t j = 0; j < in.n_gaze_test; j++) {
            grow[j] = p->gaze_row[in.gaze_test_rows[j]];
            maps[j] = p->gaze + (size_t)grow[j] * npix;
        }
        most_salient(p, in.n_gaze_test, maps, grow, most);
        for (int64_t j = 0; j < in.n_gaze_test; j++) {
            int64_t i = in.gaze_test_rows[j];
            for (int c = 0; c < CX_N_LABELS; c++) {
                if (!p->label_mask[i * CX_N_LABELS + c] || p->labels[i * CX_N_LABELS + c] < 0.5f) continue;
                gaze_dist.n[c]++;
                if (most[j] >= 0) gaze_dist.counts[c][most[j]]++;
            }
        }
        write_region_rows(reg_w, "-", "gaze", &gaze_dist);
        for (int k = 0; k < in.n_models; k++) dist[k][CMP_MAX_METHODS] = gaze_dist;
        free(maps);
        free(grow);
        free(most);
    }

    cx_progress prog;
    int total_kinds = 0;
    for (int k = 0; k < in.n_models; k++) total_kinds += in.model[k].n_methods;
    cx_progress_start(&prog, "compare", "methods", total_kinds);
    int done = 0;
    for (int k = 0; k < in.n_models; k++) {
        cmp_model *m = &in.model[k];
        int *label = cx_malloc(sizeof(int) * (size_t)(m->n_an ? m->n_an : 1));
        for (int64_t j = 0; j < m->n_an; j++) label[j] = m->map_target[m->an_map[j]];
        const float **maps = cx_malloc(sizeof(float *) * (size_t)(m->n_an ? m->n_an : 1));
        int64_t *grow = cx_malloc(sizeof(int64_t) * (size_t)(m->n_an ? m->n_an : 1));
        int *most = cx_malloc(sizeof(int) * (size_t)(m->n_an ? m->n_an : 1));
        for (int q = 0; q < m->n_methods; q++) {
            double *v = metrics_for_maps(&in, m, q, o->emd_side);
            kind_rows kr = {m->name, m->method[q], v, (size_t)m->n_an, label, m->an_correct};
            write_kind(ssim_w, met_w, &kr, o, pooled[k][q][0], pooled[k][q][1], pooled[k][q][2]);
            free(v);
            // Regions: z-scores over this model+method's analysed maps.
            for (int64_t j = 0; j < m->n_an; j++) {
                int64_t r = m->an_map[j];
                maps[j] = cmp_map(&in, m, q, r);
                grow[j] = p->gaze_row[m->map_pack_row[r]];
            }
            most_salient(p, m->n_an, maps, grow, most);
            cmp_region_dist *d = &dist[k][q];
            for (int64_t j = 0; j < m->n_an; j++) {
                d->n[label[j]]++;
                if (most[j] >= 0) d->counts[label[j]][most[j]]++;
            }
            write_region_rows(reg_w, m->name, m->method[q], d);
            for (int c = 0; c < CX_N_LABELS; c++) {
                if (!d->n[c] || !gaze_dist.n[c]) continue;
                stats_chi2 chi;
                stats_chi2_homogeneity(d->counts[c], gaze_dist.counts[c], CX_N_REGIONS, &chi);
                double tv = stats_tv_distance(d->counts[c], gaze_dist.counts[c], CX_N_REGIONS);
                csv_writer_field(dist_w, m->name);
                csv_writer_field(dist_w, m->method[q]);
                csv_writer_field(dist_w, CX_LABELS[c]);
                csv_writer_fieldf(dist_w, "%lld", (long long)d->n[c]);
                csv_writer_fieldf(dist_w, "%lld", (long long)gaze_dist.n[c]);
                csv_writer_fieldf(dist_w, "%.6f", tv);
                if (isnan(chi.stat)) {
                    csv_writer_field(dist_w, "");
                    csv_writer_field(dist_w, "");
                    csv_writer_field(dist_w, "");
                } else {
                    csv_writer_fieldf(dist_w, "%.6g", chi.stat);
                    csv_writer_fieldf(dist_w, "%d", chi.dof);
                    csv_writer_fieldf(dist_w, "%.6g", chi.p);
                }
                csv_writer_end_row(dist_w);
            }
            cx_progress_update(&prog, ++done, m->method[q]);
        }
        // Baselines under the same grouping: the baseline's metrics on the image's gaze map.
        double *bv = cx_malloc(sizeof(double) * CMP_N_METRICS * (size_t)(m->n_an ? m->n_an : 1));
        const char *bname[2] = {"centre_bias", "mean_gaze"};
        const double *bsrc[2] = {base_cb, base_mg};
        for (int b = 0; b < 2; b++) {
            for (int64_t j = 0; j < m->n_an; j++) {
                char key[32];
                snprintf(key, sizeof key, "%lld", (long long)m->map_pack_row[m->an_map[j]]);
                int64_t gi = strmap_get(&gaze_index, key);
                memcpy(bv + j * CMP_N_METRICS, bsrc[b] + gi * CMP_N_METRICS, sizeof(double) * CMP_N_METRICS);
            }
            kind_rows kr = {m->name, bname[b], bv, (size_t)m->n_an, label, m->an_correct};
            int slot = CMP_MAX_METHODS + b;
            write_kind(ssim_w, met_w, &kr, o, pooled[k][slot][0], pooled[k][slot][1], pooled[k][slot][2]);
        }
        free(bv);
        free(label);
        free(maps);
        free(grow);
        free(most);
    }
    cx_progress_finish(&prog);
    strmap_free(&gaze_index);
    free(base_cb);
    free(base_mg);

    rc = csv_writer_commit(ssim_w, err);
    ssim_w = NULL;
    if (!rc) rc = csv_writer_commit(met_w, err);
    met_w = NULL;
    if (!rc) rc = csv_writer_commit(reg_w, err);
    reg_w = NULL;
    if (!rc) rc = csv_writer_commit(dist_w, err);
    dist_w = NULL;
    if (!rc) rc = cmp_truth(&in, o, err);
    if (!rc) rc = cmp_gc_lc(&in, o, err);
    if (!rc) rc = cmp_figures(&in, o, pooled, dist, err);
    if (!rc) rc = cmp_summary_json(&in, o, err);
    free(pooled);
    free(dist);
out:
    if (ssim_w) csv_writer_abort(ssim_w);
    if (met_w) csv_writer_abort(met_w);
    if (reg_w) csv_writer_abort(reg_w);
    if (dist_w) csv_writer_abort(dist_w);
    cmp_free(&in);
    return rc;
}
