// A full-size study output written by hand for the report's tests: two models (DenseNet,
// DenseNet-Aug), the six methods and the two baselines, all 14 labels; eval auroc.csv files,
// a pack summary.json (no pack), a training log, compare's files (ssim.csv, metrics.csv,
// region_distance.csv, sensitivity.csv, compare.json) and figures (report_compare_figures on a
// result built to match), sanity.csv. Values are deterministic; a few are undefined on purpose (the
// report must print a dash, never "nan"): Fracture has no correct predictions, GradCAM has constant
// maps for Edema, the kappa of SL on Atelectasis and one sensitivity difference are NaN,
// DenseNet-Aug's AUROC for Fracture is empty.
#ifndef CX_TEST_REPORT_FIXTURE_H
#define CX_TEST_REPORT_FIXTURE_H

#include "test.h"

#include <math.h>

#include "data/data.h"
#include "io/io.h"
#include "report/report.h"
#include "study/study.h"

enum { FX_MODELS = 2, FX_METHODS = 6, FX_SOURCES = FX_METHODS + 2, FX_S = 32, FX_GRID_ROWS = 4,
       FX_FRACTURE = 5, FX_EDEMA = 3, FX_ATELECTASIS = 0 };
static const char *const FX_MODEL[FX_MODELS] = {"DenseNet", "DenseNet-Aug"};

static void fx_put(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

// A value in [0, 1) from a few integers (a hash; no state).
static double fx_value(int a, int b, int c, int d) {
    uint32_t h = 2166136261u;
    int v[4] = {a, b, c, d};
    for (int i = 0; i < 4; i++) h = (h ^ (uint32_t)(v[i] + 7)) * 16777619u;
    return (h % 10007) / 10007.0;
}

static int fx_source(int k) {
    return k < FX_METHODS ? k
                          : (k == FX_METHODS ? STUDY_SOURCE_CENTRE_BIAS : STUDY_SOURCE_MEAN_GAZE);
}

// ssim.csv rows: model x source x (all, 14 labels) x group.
static int64_t fx_ssim_rows(study_metric_row *rows) {
    int64_t n = 0;
    for (int m = 0; m < FX_MODELS; m++)
        for (int k = 0; k < FX_SOURCES; k++)
            for (int c = -1; c < CX_N_LABELS; c++)
                for (int g = 0; g < STUDY_N_GROUPS; g++) {
                    study_metric_row *r = &rows[n++];
                    memset(r, 0, sizeof *r);
                    snprintf(r->model, sizeof r->model, "%s", FX_MODEL[m]);
                    r->source = fx_source(k);
                    r->metric = STATS_SSIM;
                    r->label = c < 0 ? STUDY_ALL_LABELS : c;
                    r->group = (study_group)g;
                    r->n = c < 0 ? 120 - 40 * g : 5 + (int)(10 * fx_value(m, k, c, 9)) - 3 * g;
                    if (c == FX_FRACTURE && g == STUDY_CORRECT) r->n = 0;
                    if (c == FX_EDEMA && k == ATTR_GC) r->n_constant = 2, r->n -= 2;
                    double mean = 0.1 + 0.5 * fx_value(m, k, c, g);
                    r->mean = r->n ? mean : NAN;
                    r->ci_lo = r->n ? mean - 0.05 : NAN;
                    r->ci_hi = r->n ? mean + 0.05 : NAN;
                    r->p_perm = c == FX_FRACTURE ? NAN : fx_value(m, k, c, 5);
                }
    return n;
}

static void fx_region_dist(study_region_dist *d, int a, int b) {
    memset(d, 0, sizeof *d);
    for (int c = 0; c < CX_N_LABELS; c++) {
        for (int r = 0; r < CX_N_REGIONS; r++)
            d->counts[c][r] = (int64_t)(6 * fx_value(a, b, c, r));
        for (int r = 0; r < CX_N_REGIONS; r++) d->n[c] += d->counts[c][r];
        if (d->n[c] < 3) d->counts[c][1] += 3, d->n[c] += 3;
    }
}

// The result report_compare_figures draws from; free with fx_result_free.
static void fx_result(study_compare_result *r, study_metric_row *ssim, int64_t n_ssim) {
    memset(r, 0, sizeof *r);
    r->n_models = FX_MODELS;
    r->n_gaze_test = 60;
    r->n_pairs = 160;
    fx_region_dist(&r->gaze_regions, 99, 0);
    r->metrics = ssim;
    r->n_metrics = n_ssim;
    size_t npix = FX_S * FX_S;
    for (int m = 0; m < FX_MODELS; m++) {
        study_compare_model *cm = &r->model[m];
        snprintf(cm->name, sizeof cm->name, "%s", FX_MODEL[m]);
        cm->n_methods = FX_METHODS;
        for (int q = 0; q < FX_METHODS; q++) {
            cm->method[q] = (attr_method)q;
            fx_region_dist(&cm->regions[q], m, q);
        }
        cm->n_maps = cm->n_analysed = 160;
        cm->n_correct = 120;
        study_compare_grid *g = &cm->grid;
        g->n_rows = FX_GRID_ROWS;
        g->n_cols = FX_METHODS + 1;
        g->size = FX_S;
        g->images = malloc(npix * FX_GRID_ROWS);
        g->maps = malloc(sizeof(float) * npix * FX_GRID_ROWS * g->n_cols);
        for (int row = 0; row < FX_GRID_ROWS; row++) {
            snprintf(g->row[row].dicom_id, sizeof g->row[row].dicom_id, "img%02d-%d", row, m);
            g->row[row].label = row * 3;
            g->row[row].probability = (float)(0.2 + 0.2 * row);
            g->row[row].correct = row < 2;
            for (size_t q = 0; q < npix; q++) g->images[row * npix + q] = (uint8_t)(q % FX_S * 8);
            for (int col = 0; col < g->n_cols; col++)
                for (int y = 0; y < FX_S; y++)
                    for (int x = 0; x < FX_S; x++) {
                        double cx = 8 + 2 * col, cy = 10 + 3 * row;
                        g->maps[((size_t)(row * g->n_cols + col) * FX_S + y) * FX_S + x] =
                            (float)exp(-((x - cx) * (x - cx) + (y - cy) * (y - cy)) / 30.0);
                    }
        }
    }
}

static void fx_result_free(study_compare_result *r) {
    for (int m = 0; m < r->n_models; m++) {
        free(r->model[m].grid.images);
        free(r->model[m].grid.maps);
    }
}

static void fx_compare_files(const char *cmp, study_metric_row *ssim, int64_t n_ssim,
                             const study_compare_result *res) {
    char p[4300];
    cx_error err;
    cx_mkdir_p(cmp, NULL);
    snprintf(p, sizeof p, "%s/ssim.csv", cmp);
    if (study_ssim_write(p, ssim, n_ssim, &err)) fail_msg("%s", err.msg);
    snprintf(p, sizeof p, "%s/metrics.csv", cmp);
    if (study_metrics_write(p, ssim, n_ssim, &err)) fail_msg("%s", err.msg);
    // region_distance.csv: model x method x label.
    study_region_distance_row dist[FX_MODELS * FX_METHODS * CX_N_LABELS];
    int nd = 0;
    for (int m = 0; m < FX_MODELS; m++)
        for (int q = 0; q < FX_METHODS; q++)
            for (int c = 0; c < CX_N_LABELS; c++) {
                study_region_distance_row *d = &dist[nd++];
                memset(d, 0, sizeof *d);
                snprintf(d->model, sizeof d->model, "%s", FX_MODEL[m]);
                d->source = q;
                d->label = c;
                d->n = 8 + c;
                d->tv_distance = fx_value(m, q, c, 1);
                d->agreement = fx_value(m, q, c, 2);
                d->kappa = (c == FX_ATELECTASIS && q == ATTR_SL) ? NAN : fx_value(m, q, c, 3) - 0.2;
                d->stuart_maxwell = 5 * fx_value(m, q, c, 4);
                d->dof = 2;
                d->p = fx_value(m, q, c, 6);
            }
    snprintf(p, sizeof p, "%s/region_distance.csv", cmp);
    if (study_region_distance_write(p, dist, nd, &err)) fail_msg("%s", err.msg);
    // sensitivity.csv: model x method x the three normalisations, labels pooled.
    study_sensitivity_row sens[FX_MODELS * FX_METHODS * STUDY_N_SENSITIVITY];
    int ns = 0;
    for (int m = 0; m < FX_MODELS; m++)
        for (int q = 0; q < FX_METHODS; q++)
            for (int v = 0; v < STUDY_N_SENSITIVITY; v++) {
                study_sensitivity_row *s = &sens[ns++];
                memset(s, 0, sizeof *s);
                snprintf(s->model, sizeof s->model, "%s", FX_MODEL[m]);
                s->source = q;
                s->label = STUDY_ALL_LABELS;
                s->norm = study_sensitivity_norms[v];
                s->n = 150;
                s->mean_correct = 0.2 + 0.1 * fx_value(m, q, v, 1);
                s->mean_incorrect = 0.2 + 0.1 * fx_value(m, q, v, 2);
                s->diff = s->mean_correct - s->mean_incorrect;
                if (m == 1 && q == ATTR_NT && v == 2) s->mean_incorrect = s->diff = NAN;
            }
    snprintf(p, sizeof p, "%s/sensitivity.csv", cmp);
    if (study_sensitivity_write(p, sens, ns, &err)) fail_msg("%s", err.msg);
    study_compare_settings s;
    study_compare_settings_default(&s);
    s.data_dir = "data";
    s.n_models = FX_MODELS;
    s.n_eval = FX_MODELS;
    for (int m = 0; m < FX_MODELS; m++) s.eval_dir[m] = s.attr_dir[m] = FX_MODEL[m];
    snprintf(p, sizeof p, "%s/compare.json", cmp);
    if (study_compare_json_write(p, &s, res, &err)) fail_msg("%s", err.msg);
    if (report_compare_figures(cmp, res, &err)) fail_msg("report_compare_figures: %s", err.msg);
}

static void fx_eval_and_runs(const char *root) {
    char p[4300];
    for (int m = 0; m < FX_MODELS; m++) {
        snprintf(p, sizeof p, "%s/eval/%s", root, FX_MODEL[m]);
        cx_mkdir_p(p, NULL);
        snprintf(p, sizeof p, "%s/eval/%s/auroc.csv", root, FX_MODEL[m]);
        FILE *f = fopen(p, "w");
        assert_non_null(f);
        fprintf(f, "label,n_pos,n_neg,auroc,delong_lo,delong_hi,boot_lo,boot_hi\n");
        for (int c = 0; c < CX_N_LABELS; c++) {
            double a = 0.6 + 0.3 * fx_value(m, c, 0, 0);
            if (c == FX_FRACTURE && m == 1) fprintf(f, "\"%s\",0,60,,,,,\n", CX_LABELS[c]);
            else fprintf(f, "\"%s\",12,48,%.6f,%.6f,%.6f,%.6f,%.6f\n", CX_LABELS[c], a, a - 0.1,
                         fmin(1, a + 0.1), a - 0.11, fmin(1, a + 0.1));
        }
        fclose(f);
    }
    // The data summary as prepare writes it (no pack: the report falls back to these counts).
    snprintf(p, sizeof p, "%s/data", root);
    cx_mkdir_p(p, NULL);
    snprintf(p, sizeof p, "%s/data/summary.json", root);
    FILE *js = fopen(p, "w");
    assert_non_null(js);
    fprintf(js, "{\"images\": 1200, \"images_per_split\": {\"train\": 800, \"validate\": 100, "
                "\"test\": 300},\n \"images_with_gaze\": 300, \"gaze_per_split\": {\"train\": 200, "
                "\"validate\": 40, \"test\": 60},\n \"positives_per_label\": {");
    for (int c = 0; c < CX_N_LABELS; c++)
        fprintf(js, "%s\"%s\": %d", c ? ", " : "", CX_LABELS[c], 10 * c + 5);
    fprintf(js, "}}\n");
    fclose(js);
    snprintf(p, sizeof p, "%s/runs/densenet", root);
    cx_mkdir_p(p, NULL);
    snprintf(p, sizeof p, "%s/runs/densenet/log.csv", root);
    fx_put(p, "epoch,train_loss,train_bce,train_gaze,val_loss,val_mean_auroc,lr,seconds\n"
              "1,0.40,0.40,0,0.35,0.70,0.0005,10\n2,0.30,0.30,0,0.31,0.80,0.0005,10\n");
}

static void fx_sanity(const char *root) {
    char p[4300];
    snprintf(p, sizeof p, "%s/sanity", root);
    cx_mkdir_p(p, NULL);
    const char *steps[SANITY_MAX_STEPS];
    int n_steps = attr_sanity_steps(steps, SANITY_MAX_STEPS);
    study_sanity_row rows[FX_METHODS * SANITY_NMODES * SANITY_MAX_STEPS];
    int n = 0;
    for (int q = 0; q < FX_METHODS; q++)
        for (int md = 0; md < SANITY_NMODES; md++)
            for (int s = 0; s < n_steps; s++) {
                double v = 1 - (s + 1) * 0.08 * (q + 1) / 3;
                rows[n++] = (study_sanity_row){(attr_method)q, (study_sanity_mode)md, s, 4,
                                               {v, 0.1}, {v, 0.1}, {v, 0.1}};
            }
    snprintf(p, sizeof p, "%s/sanity/sanity.csv", root);
    cx_error err;
    if (study_sanity_csv_write(p, rows, n, &err)) fail_msg("%s", err.msg);
}

// Everything above under root (emptied first is the caller's choice).
static void fx_write_study(const char *root) {
    static study_metric_row ssim[FX_MODELS * FX_SOURCES * (CX_N_LABELS + 1) * STUDY_N_GROUPS];
    int64_t n = fx_ssim_rows(ssim);
    study_compare_result res;
    fx_result(&res, ssim, n);
    char cmp[4200];
    snprintf(cmp, sizeof cmp, "%s/compare", root);
    fx_compare_files(cmp, ssim, n, &res);
    fx_result_free(&res);
    fx_eval_and_runs(root);
    fx_sanity(root);
}

#endif
