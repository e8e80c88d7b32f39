// report: the saliency-vs-gaze section, from compare's files read through study/'s readers.
#include "report/report_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

// Table titles of the methods and baselines of compare's "method" column.
static const char *const source_long[STUDY_N_SOURCES] = {
    [ATTR_SL] = "Saliency (SL)",
    [ATTR_GC] = "GradCAM (GC)",
    [ATTR_DL] = "DeepLift (DL)",
    [ATTR_LC] = "Layer Conductance (LC)",
    [ATTR_GS] = "GradientSHAP (GS)",
    [ATTR_NT] = "SmoothGrad (NT)",
    [ATTR_IG] = "Integrated Gradients (IG)",
    [ATTR_OC] = "Occlusion (OC)",
    [STUDY_SOURCE_CENTRE_BIAS] = "centre-bias baseline",
    [STUDY_SOURCE_MEAN_GAZE] = "mean training gaze baseline",
    [STUDY_SOURCE_GAZE] = "radiologist gaze"};
_Static_assert(sizeof source_long / sizeof source_long[0] == STUDY_N_SOURCES,
               "one title per map source");

// The pooled ("all" labels) SSIM of one (model, source), both groups.
typedef struct ssim_row {
    char model[64];
    int source;
    double mean[STUDY_N_GROUPS];
    int64_t n[STUDY_N_GROUPS];
    double p;
} ssim_row;

static int pooled_ssim(const study_metric_row *rows, int64_t n_rows, ssim_row *out, int cap) {
    int n = 0;
    for (int64_t r = 0; r < n_rows; r++) {
        const study_metric_row *x = &rows[r];
        if (x->label != STUDY_ALL_LABELS) continue;
        int k = 0;
        while (k < n && (strcmp(out[k].model, x->model) || out[k].source != x->source)) k++;
        if (k == n) {
            if (n == cap) break;
            out[n] = (ssim_row){.source = x->source, .mean = {NAN, NAN}};
            snprintf(out[n].model, sizeof out[n].model, "%s", x->model);
            n++;
        }
        out[k].mean[x->group] = x->mean;
        out[k].n[x->group] = x->n;
        out[k].p = x->p_perm;
    }
    return n;
}

static double overall(const ssim_row *r) {
    double s = 0;
    int64_t n = 0;
    for (int g = 0; g < STUDY_N_GROUPS; g++)
        if (r->n[g] && isfinite(r->mean[g])) s += r->mean[g] * r->n[g], n += r->n[g];
    return n ? s / n : NAN;
}

// Distinct models of rows, in order of appearance (at most 8).
static int model_names(const ssim_row *rows, int n, char models[8][64]) {
    int nm = 0;
    for (int i = 0; i < n; i++) {
        int k = 0;
        while (k < nm && strcmp(models[k], rows[i].model)) k++;
        if (k == nm && nm < 8) snprintf(models[nm++], sizeof models[0], "%s", rows[i].model);
    }
    return nm;
}

static void ssim_model_findings(const ssim_row *rows, int n, const char *model, rb_cells *findings) {
    double cb = NAN;
    for (int i = 0; i < n; i++)
        if (!strcmp(rows[i].model, model) && rows[i].source == STUDY_SOURCE_CENTRE_BIAS)
            cb = overall(&rows[i]);
    char above[512] = "", below[512] = "";
    int n_higher = 0, n_sig = 0, n_methods = 0;
    for (int i = 0; i < n; i++) {
        const ssim_row *r = &rows[i];
        if (strcmp(r->model, model) || r->source >= ATTR_NMETHODS) continue;
        n_methods++;
        double o = overall(r);
        char *dst = o > cb ? above : below;
        size_t l = strlen(dst);
        snprintf(dst + l, sizeof above - l, "%s%s (%.3f)", l ? ", " : "",
                 study_source_name(r->source), o);
        if (r->mean[STUDY_CORRECT] > r->mean[STUDY_INCORRECT]) {
            n_higher++;
            if (r->p < 0.05) n_sig++;
        }
    }
    rb_cell_add(findings,
                "%s, SSIM with gaze: methods above the centre-bias baseline (%.3f): %s; at or "
                "below it: %s.",
                model, cb, above[0] ? above : "none", below[0] ? below : "none");
    rb_cell_add(findings,
                "%s: correct predictions look more like gaze than incorrect ones for %d of %d "
                "methods (higher mean SSIM), %d of them significant at p < 0.05 (permutation test).",
                model, n_higher, n_methods, n_sig);
}

// The study's SSIM table: rows methods; per model mean SSIM (n) for correct and incorrect, p.
static void ssim_table(rp_doc *d, const ssim_row *rows, int n) {
    char models[8][64];
    int sources[STUDY_N_SOURCES], nm = model_names(rows, n, models), nk = 0;
    for (int i = 0; i < n; i++) {
        int k = 0;
        while (k < nk && sources[k] != rows[i].source) k++;
        if (k == nk && nk < STUDY_N_SOURCES) sources[nk++] = rows[i].source;
    }
    const char *hdr[1 + 3 * 8];
    char hb[3 * 8][128];
    hdr[0] = "method";
    for (int m = 0; m < nm; m++) {
        cx_textf(hb[3 * m], sizeof hb[0], "%s correct", models[m]);
        cx_textf(hb[3 * m + 1], sizeof hb[0], "%s incorrect", models[m]);
        cx_textf(hb[3 * m + 2], sizeof hb[0], "%s p", models[m]);
        for (int q = 0; q < 3; q++) hdr[1 + 3 * m + q] = hb[3 * m + q];
    }
    rb_cells body = {0};
    for (int k = 0; k < nk; k++) {
        rb_cell_add(&body, "%s", source_long[sources[k]]);
        for (int m = 0; m < nm; m++) {
            const ssim_row *r = NULL;
            for (int i = 0; i < n; i++)
                if (!strcmp(rows[i].model, models[m]) && rows[i].source == sources[k]) r = &rows[i];
            for (int g = 0; g < STUDY_N_GROUPS; g++) {
                if (r && r->n[g]) rb_cell_add(&body, "%.3f (n=%lld)", r->mean[g], (long long)r->n[g]);
                else rb_cell_add(&body, "n/a (n=0)");
            }
            if (r && isfinite(r->p)) rb_cell_add(&body, "%.3g", r->p);
            else rb_cell_add(&body, "%s", "");
        }
    }
    rp_doc_table(d, "Mean SSIM between saliency and gaze maps, correct vs incorrect predictions "
                    "(all labels pooled; the study's layout)",
                 1 + 3 * nm, nk, hdr, (const char *const *)body.v);
    rb_cells_free(&body);
}

// A document table of a stage file's rows as the file holds them (at most max_rows).
static void file_table(rp_doc *d, const char *caption, int ncols, const char *const *header,
                       int nrows, const study_cell *cells) {
    rb_cells body = {0};
    for (int i = 0; i < nrows * ncols; i++) rb_cell_add(&body, "%s", cells[i]);
    rp_doc_table(d, caption, ncols, nrows, header, (const char *const *)body.v);
    rb_cells_free(&body);
}

// ssim.csv: the study's table, the findings, the figures and the per-label rows.
static void ssim_part(rp_doc *d, const char *dir, const char *out_dir, rb_cells *findings) {
    char p[4200];
    cx_error err;
    study_metric_row *rows;
    int64_t n;
    cx_path_join(p, sizeof p, dir, "ssim.csv");
    if (study_ssim_read(p, &rows, &n, &err)) return;
    ssim_row pooled[128];
    int np = pooled_ssim(rows, n, pooled, 128);
    if (np) {
        char models[8][64];
        int nm = model_names(pooled, np, models);
        rp_doc_heading(d, 3, "Image level: SSIM (the study's analysis)");
        ssim_table(d, pooled, np);
        for (int m = 0; m < nm; m++) ssim_model_findings(pooled, np, models[m], findings);
        rb_found figs;
        rb_find_pngs(dir, "ssim_", &figs);
        for (int k = 0; k < figs.n; k++) rb_embed(d, figs.path[k], out_dir, "SSIM correct vs incorrect");
        study_cell *cells = cx_malloc(sizeof(study_cell) * STUDY_SSIM_NCOLS * 80);
        int shown = 0;
        for (int64_t r = 0; r < n && shown < 80; r++)
            if (rows[r].group == STUDY_CORRECT)
                study_metric_text(&rows[r], 0, cells + STUDY_SSIM_NCOLS * shown++);
        file_table(d, "SSIM per label (ssim.csv)", STUDY_SSIM_NCOLS, study_ssim_columns, shown, cells);
        free(cells);
    }
    free(rows);
}

static void metrics_part(rp_doc *d, const char *dir) {
    char p[4200];
    cx_error err;
    study_metric_row *rows;
    int64_t n;
    cx_path_join(p, sizeof p, dir, "metrics.csv");
    if (!cx_path_exists(p)) return;
    rp_doc_heading(d, 3, "Image level: other saliency metrics (all labels pooled)");
    if (study_metrics_read(p, &rows, &n, &err)) {
        rp_doc_paragraph(d, err.msg);
        return;
    }
    study_cell *cells = cx_malloc(sizeof(study_cell) * STUDY_METRIC_NCOLS * 200);
    int shown = 0;
    for (int64_t r = 0; r < n && shown < 200; r++)
        if (rows[r].label == STUDY_ALL_LABELS)
            study_metric_text(&rows[r], 1, cells + STUDY_METRIC_NCOLS * shown++);
    file_table(d, "CC, NSS, KL, SIM, AUC-Judd, EMD and SSIM (metrics.csv, label = all)",
               STUDY_METRIC_NCOLS, study_metric_columns, shown, cells);
    free(cells);
    free(rows);
}

static void regions_part(rp_doc *d, const char *dir, const char *out_dir) {
    char p[4200];
    rp_doc_heading(d, 3, "Region level: most salient region (the study's analysis)");
    rb_found figs;
    rb_find_pngs(dir, "regions_", &figs);
    for (int k = 0; k < figs.n; k++) rb_embed(d, figs.path[k], out_dir, "Most salient region: gaze vs methods");
    cx_path_join(p, sizeof p, dir, "region_distance.csv");
    if (!cx_path_exists(p)) return;
    cx_error err;
    study_region_distance_row *rows;
    int64_t n;
    if (study_region_distance_read(p, &rows, &n, &err)) {
        rp_doc_paragraph(d, err.msg);
        return;
    }
    int shown = n < 120 ? (int)n : 120;
    study_cell *cells = cx_malloc(sizeof(study_cell) * STUDY_DISTANCE_NCOLS * (shown ? shown : 1));
    for (int r = 0; r < shown; r++) study_distance_text(&rows[r], cells + STUDY_DISTANCE_NCOLS * r);
    file_table(d, "Distance of each method's region distribution from gaze's", STUDY_DISTANCE_NCOLS,
               study_distance_columns, shown, cells);
    free(cells);
    free(rows);
}

static void truth_findings(const study_truth_row *rows, int64_t n, rb_cells *findings) {
    double gz = NAN, cb = NAN, best_r = -1;
    char best[256] = "";
    for (int64_t r = 0; r < n; r++) {
        if (rows[r].label != STUDY_ALL_LABELS) continue;
        double v = rows[r].ratio;
        if (rows[r].source == STUDY_SOURCE_GAZE) gz = v;
        else if (rows[r].source == STUDY_SOURCE_CENTRE_BIAS) cb = v;
        else if (v > best_r) {
            best_r = v;
            snprintf(best, sizeof best, "%s %s", rows[r].model, study_source_name(rows[r].source));
        }
    }
    rb_cell_add(findings,
                "On the planted findings, held-out gaze concentrates %.2fx the finding's area share "
                "(centre-bias baseline: %.2fx): gaze %s the centre-bias baseline. The most "
                "concentrated saliency map: %s (%.2fx).",
                gz, cb, gz > cb ? "beats" : "does not beat", best[0] ? best : "none", best_r);
}

static void truth_part(rp_doc *d, const char *dir, rb_cells *findings) {
    char p[4200];
    cx_path_join(p, sizeof p, dir, "truth.csv");
    if (!cx_path_exists(p)) return;
    rp_doc_heading(d, 3, "Planted findings (synthetic data: the truth is known)");
    rp_doc_paragraph(d, "Share of each map's mass inside the planted finding of its target "
                        "label, against the finding's share of the image area (ratio > 1: "
                        "the map concentrates on the finding).");
    cx_error err;
    study_truth_row *rows;
    int64_t n;
    if (study_truth_read(p, &rows, &n, &err)) {
        rp_doc_paragraph(d, err.msg);
        return;
    }
    study_cell *cells = cx_malloc(sizeof(study_cell) * STUDY_TRUTH_NCOLS * 40);
    int shown = 0;
    for (int64_t r = 0; r < n && shown < 40; r++)
        if (rows[r].label == STUDY_ALL_LABELS)
            study_truth_text(&rows[r], cells + STUDY_TRUTH_NCOLS * shown++);
    file_table(d, "Mass on the planted finding (truth.csv, all labels)", STUDY_TRUTH_NCOLS,
               study_truth_columns, shown, cells);
    free(cells);
    truth_findings(rows, n, findings);
    free(rows);
}

static void gc_lc_part(rp_doc *d, const char *dir, rb_cells *findings) {
    char p[4200];
    cx_path_join(p, sizeof p, dir, "gc_lc.csv");
    if (!cx_path_exists(p)) return;
    rp_doc_heading(d, 3, "GradCAM vs Layer Conductance");
    cx_error err;
    study_gc_lc_row *rows;
    int64_t n;
    if (study_gc_lc_read(p, &rows, &n, &err)) {
        rp_doc_paragraph(d, err.msg);
        return;
    }
    int shown = n < 10 ? (int)n : 10;
    study_cell cells[10 * STUDY_GC_LC_NCOLS];
    for (int r = 0; r < shown; r++) study_gc_lc_text(&rows[r], cells + STUDY_GC_LC_NCOLS * r);
    file_table(d, "Agreement of GC and LC maps (gc_lc.csv)", STUDY_GC_LC_NCOLS, study_gc_lc_columns,
               shown, cells);
    for (int64_t r = 0; r < n; r++) {
        double cc = rows[r].mean_cc;
        rb_cell_add(findings,
                    "%s: GradCAM and Layer Conductance maps %s (mean correlation %.4f). Taken "
                    "at the post-ReLU layer that feeds global average pooling and the linear "
                    "classifier (features.relu5), conductance equals GradCAM's gradient-"
                    "weighted activation up to normalisation, which explains identical GC and "
                    "LC numbers in the original study; at the layer Captum hooks (norm5, "
                    "before the final ReLU) the ReLU's gating makes them differ somewhat.",
                    rows[r].model, cc > 0.99 ? "coincide" : (cc > 0.9 ? "nearly coincide" : "differ"),
                    cc);
    }
    free(rows);
}

static void intro(rp_doc *d, const char *json_path) {
    study_compare_summary s;
    cx_error err;
    if (study_compare_json_read(json_path, &s, &err)) return;
    char line[512];
    snprintf(line, sizeof line,
             "Held-out images with gaze: %lld. Maps and gaze are min-max normalised; a "
             "prediction is correct when its probability reaches the label's threshold "
             "(%s). CIs: %lld bootstrap resamples; p: permutation test with %lld "
             "permutations.",
             (long long)s.n_gaze_test, s.fixed_threshold < 0 ? "f1-max on validate" : "fixed",
             (long long)s.n_bootstrap, (long long)s.n_permutations);
    rp_doc_paragraph(d, line);
}

void rb_section_compare(rp_doc *d, int n_dirs, const char *const *dirs, const char *out_dir,
                        rb_cells *findings) {
    rb_found f;
    rb_find_all(n_dirs, dirs, "compare.json", &f);
    if (!f.n) return;
    rp_doc_heading(d, 2, "Saliency vs radiologist gaze");
    for (int i = 0; i < f.n; i++) {
        char dir[4096];
        rb_dirname(f.path[i], dir, sizeof dir);
        intro(d, f.path[i]);
        ssim_part(d, dir, out_dir, findings);
        metrics_part(d, dir);
        regions_part(d, dir, out_dir);
        truth_part(d, dir, findings);
        gc_lc_part(d, dir, findings);
        rp_doc_heading(d, 3, "Qualitative grids");
        rb_found figs;
        rb_find_pngs(dir, "grid_", &figs);
        for (int k = 0; k < figs.n; k++)
            rb_embed(d, figs.path[k], out_dir, "Rows: held-out images (label, predicted probability); "
                                              "columns: input, saliency methods, radiologist gaze");
    }
}
