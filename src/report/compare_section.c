// report: the saliency-vs-gaze section, from compare's files read through study/'s readers: per
// model the paper's SSIM table, the most-salient-region charts and the qualitative grid; then the
// sensitivity to the map normalisation and the paired region statistics; the inter-observer
// ceiling (with radiologist readings); the analyses beyond the original study collapsed.
#include "report/report_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

// A document table of a stage file's rows as the file holds them, empty cells as dashes.
static void file_table(rp_doc *d, const char *caption, int ncols, const char *const *header,
                       int nrows, const study_cell *cells) {
    rb_cells body = {0};
    for (int i = 0; i < nrows * ncols; i++)
        rb_cell_add(&body, "%s", rb_undefined_cell(cells[i]) ? RB_DASH : cells[i]);
    rp_doc_table(d, caption, ncols, nrows, header, (const char *const *)body.v);
    rb_cells_free(&body);
}

// Distinct models of ssim.csv's rows, in order of appearance (at most 8).
static int model_names(const study_metric_row *rows, int64_t n, char models[8][64]) {
    int nm = 0;
    for (int64_t i = 0; i < n; i++) {
        int k = 0;
        while (k < nm && strcmp(models[k], rows[i].model)) k++;
        if (k == nm && nm < 8) snprintf(models[nm++], sizeof models[0], "%s", rows[i].model);
    }
    return nm;
}

// <dir>/<prefix>_<model>.png when compare drew it.
static int model_figure(const char *dir, const char *prefix, const char *model, char *png,
                        size_t cap) {
    char sl[128], name[200];
    rb_slug(model, sl, sizeof sl);
    snprintf(name, sizeof name, "%s_%s.png", prefix, sl);
    cx_path_join(png, cap, dir, name);
    return cx_path_exists(png);
}

// One model: the paper's SSIM table, the pooled SSIM chart, the regions chart, the grid.
// with_ceiling: compare drew the inter-observer ceiling on the SSIM chart.
static void model_part(const rb_report *R, const char *dir, const study_metric_row *rows, int64_t n,
                       const char *model, int with_ceiling) {
    rp_doc_heading(R->d, 3, model);
    rb_ssim_tables(R, rows, n, model);
    rb_ssim_findings(R, rows, n, model);
    char png[4400];
    if (model_figure(dir, "ssim", model, png, sizeof png))
        rb_embed(R, png, with_ceiling
                             ? "SSIM with gaze, all labels pooled, with the two baselines (bars: "
                               "mean, whiskers: 95% patient-bootstrap CI). Dashed line and shaded "
                               "band: the inter-observer ceiling (each radiologist's reading "
                               "against the mean of the others: mean and 95% CI). " RB_DASH
                               ": no maps in the group."
                             : "SSIM with gaze, all labels pooled, with the two baselines (bars: "
                               "mean, whiskers: 95% patient-bootstrap CI). " RB_DASH
                               ": no maps in the group.");
    if (model_figure(dir, "regions", model, png, sizeof png))
        rb_embed(R, png,
                 "Most salient region (argmax of the region z-scores) over the pairs of "
                 "each label, radiologist gaze against each saliency method (the study's "
                 "figure); labels with at least 3 gaze pairs. " RB_DASH ": the method has no "
                 "map with a most salient region for the label.");
    if (model_figure(dir, "grid", model, png, sizeof png))
        rb_embed(R, png,
                 "Rows: held-out images with gaze (label explained, predicted probability, "
                 "whether the prediction is correct); columns: the input, the saliency maps "
                 "and the radiologist gaze map, each over the radiograph (viridis; a map's "
                 "value is also its opacity).");
}

// ---- the inter-observer ceiling ----------------------------------------------------------------
static const study_interobserver_row *find_ceiling(const study_interobserver_row *rows, int64_t n,
                                                  study_ceiling c, stats_metric m) {
    for (int64_t i = 0; i < n; i++)
        if (rows[i].comparison == c && rows[i].metric == m) return &rows[i];
    return NULL;
}

static void ceiling_cells(rb_cells *body, const study_interobserver_row *r) {
    char m[32], lo[32], hi[32];
    if (!r || !r->n_pairs) {
        rb_cell_add(body, RB_DASH);
        rb_cell_add(body, RB_DASH);
        return;
    }
    rb_cell_add(body, "%s (%s to %s)", rb_value(m, sizeof m, "%.3f", r->mean),
                rb_value(lo, sizeof lo, "%.3f", r->ci_lo), rb_value(hi, sizeof hi, "%.3f", r->ci_hi));
    rb_cell_add(body, "%lld / %lld", (long long)r->n_images, (long long)r->n_pairs);
}

// Findings: the range over saliency methods (every model) of their SSIM, both groups pooled
// (weighted by n), as a share of the readers' mean SSIM.
static void ceiling_findings(const rb_report *R, const study_interobserver_row *c,
                             const study_metric_row *ssim, int64_t n) {
    if (!c || !(c->mean > 0)) return;
    double lo = INFINITY, hi = -INFINITY;
    for (int64_t i = 0; i < n; i++) {
        const study_metric_row *a = &ssim[i];
        if (a->label != STUDY_ALL_LABELS || a->group != STUDY_CORRECT || a->source >= ATTR_NMETHODS)
            continue;
        double sum = a->n && isfinite(a->mean) ? a->n * a->mean : 0;
        int64_t k = a->n && isfinite(a->mean) ? a->n : 0;
        for (int64_t j = 0; j < n; j++) { // its incorrect group
            const study_metric_row *b = &ssim[j];
            if (b->label == STUDY_ALL_LABELS && b->group == STUDY_INCORRECT &&
                b->source == a->source && !strcmp(b->model, a->model) && b->n && isfinite(b->mean))
                sum += b->n * b->mean, k += b->n;
        }
        if (!k) continue;
        double f = sum / k / c->mean;
        lo = fmin(lo, f), hi = fmax(hi, f);
    }
    if (!isfinite(lo)) return;
    rb_cell_add(R->findings,
                "Saliency methods reach %.0f-%.0f%% of the inter-observer SSIM: one radiologist's "
                "gaze map against the mean of the others scores SSIM %.3f (95%% CI %.3f to %.3f; "
                "%lld readings of %lld test images read by at least two radiologists).",
                100 * lo, 100 * hi, c->mean, c->ci_lo, c->ci_hi, (long long)c->n_pairs,
                (long long)c->n_images);
}

// interobserver.csv: per metric, the readers' ceiling and EGD against REFLACX, then the raw file
// collapsed (nothing without the file).
static void ceiling_part(const rb_report *R, const char *dir, const study_metric_row *ssim,
                        int64_t n_ssim) {
    char p[4200];
    cx_path_join(p, sizeof p, dir, "interobserver.csv");
    if (!cx_path_exists(p)) return;
    rp_doc *d = R->d;
    rp_doc_heading(d, 3, "Inter-observer ceiling");
    rp_doc_paragraph(d, "How close one radiologist's gaze comes to the others' on the same image: "
                        "on the test images read by at least two radiologists, each reading (its "
                        "heatmap and fixations as the reference) against the min-max mean of the "
                        "other readings, under every metric; and EGD-CXR's reading against the "
                        "mean of the REFLACX readings of the same image. metrics.csv's "
                        "ceiling_fraction gives every mean as a share of the readers' ceiling "
                        "(for KL and EMD, where lower is better, ceiling / mean): 1 is as close "
                        "to gaze as another radiologist.");
    cx_error err;
    study_interobserver_row *rows;
    int64_t n;
    if (study_interobserver_read(p, &rows, &n, &err)) {
        rp_doc_note(d, err.msg);
        return;
    }
    const char *hdr[5] = {"metric", "readers: mean (95% CI)", "images / readings",
                          "EGD vs REFLACX: mean (95% CI)", "images / pairs"};
    rb_cells body = {0};
    int nrows = 0;
    for (int m = 0; m < STATS_N_METRICS; m++) {
        const study_interobserver_row *a = find_ceiling(rows, n, STUDY_CEILING_READERS, m),
                                      *b = find_ceiling(rows, n, STUDY_CEILING_EGD_VS_REFLACX, m);
        if (!a && !b) continue;
        rb_cell_add(&body, "%s", stats_metric_name((stats_metric)m));
        ceiling_cells(&body, a);
        ceiling_cells(&body, b);
        nrows++;
    }
    rp_doc_table(d, "The inter-observer ceiling (interobserver.csv)", 5, nrows, hdr,
                 (const char *const *)body.v);
    rb_cells_free(&body);
    rp_doc_note(d, RB_DASH ": no pair with a value (no image with both EGD and REFLACX readings, "
                           "or a metric undefined there).");
    ceiling_findings(R, find_ceiling(rows, n, STUDY_CEILING_READERS, STATS_SSIM), ssim, n_ssim);
    free(rows);
    rb_raw_csv(R, p, "interobserver.csv", 40);
}

static void truth_findings(const study_truth_row *rows, int64_t n, rb_cells *findings) {
    double gz = NAN, cb = NAN, best_r = NAN;
    char best[256] = "";
    for (int64_t r = 0; r < n; r++) {
        if (rows[r].label != STUDY_ALL_LABELS) continue;
        double v = rows[r].ratio;
        if (rows[r].source == STUDY_SOURCE_GAZE) gz = v;
        else if (rows[r].source == STUDY_SOURCE_CENTRE_BIAS) cb = v;
        else if (isfinite(v) && !(v <= best_r)) {
            best_r = v;
            snprintf(best, sizeof best, "%s %s", rows[r].model, study_source_name(rows[r].source));
        }
    }
    if (!isfinite(gz) || !isfinite(cb)) return;
    char b[32];
    rb_cell_add(
        findings,
        "On the planted findings, held-out gaze concentrates %.2fx the finding's area share "
        "(centre-bias baseline: %.2fx): gaze %s the centre-bias baseline. The most "
        "concentrated saliency map: %s (%sx).",
        gz, cb, gz > cb ? "beats" : "does not beat", best[0] ? best : "none",
        rb_value(b, sizeof b, "%.2f", best_r));
}

static void truth_part(const rb_report *R, const char *dir) {
    char p[4200];
    cx_path_join(p, sizeof p, dir, "truth.csv");
    if (!cx_path_exists(p)) return;
    rp_doc *d = R->d;
    rp_doc_details_begin(d, "Planted findings (synthetic data: the truth is known)", NULL);
    rp_doc_paragraph(d, "Share of each map's mass inside the planted finding of its target "
                        "label, against the finding's share of the image area (ratio > 1: "
                        "the map concentrates on the finding).");
    cx_error err;
    study_truth_row *rows;
    int64_t n;
    if (study_truth_read(p, &rows, &n, &err)) {
        rp_doc_note(d, err.msg);
        rp_doc_details_end(d);
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
    truth_findings(rows, n, R->findings);
    free(rows);
    rp_doc_details_end(d);
}

static void gc_lc_part(const rb_report *R, const char *dir) {
    char p[4200];
    cx_path_join(p, sizeof p, dir, "gc_lc.csv");
    if (!cx_path_exists(p)) return;
    rp_doc *d = R->d;
    rp_doc_details_begin(d, "GradCAM vs Layer Conductance", NULL);
    cx_error err;
    study_gc_lc_row *rows;
    int64_t n;
    if (study_gc_lc_read(p, &rows, &n, &err)) {
        rp_doc_note(d, err.msg);
        rp_doc_details_end(d);
        return;
    }
    int shown = n < 10 ? (int)n : 10;
    study_cell cells[10 * STUDY_GC_LC_NCOLS];
    for (int r = 0; r < shown; r++) study_gc_lc_text(&rows[r], cells + STUDY_GC_LC_NCOLS * r);
    file_table(d, "Agreement of GC and LC maps (gc_lc.csv)", STUDY_GC_LC_NCOLS, study_gc_lc_columns,
               shown, cells);
    rp_doc_details_end(d);
    for (int64_t r = 0; r < n; r++) {
        double cc = rows[r].mean_cc;
        if (!isfinite(cc)) continue; // no pair where neither map is constant
        rb_cell_add(R->findings,
                    "%s: GradCAM and Layer Conductance maps %s (mean correlation %.4f). Taken "
                    "at the post-ReLU layer that feeds global average pooling and the linear "
                    "classifier (features.relu5), conductance equals GradCAM's gradient-"
                    "weighted activation up to normalisation, which explains identical GC and "
                    "LC numbers in the original study; at the layer Captum hooks (norm5, "
                    "before the final ReLU) the ReLU's gating makes them differ somewhat.",
                    rows[r].model,
                    cc > 0.99 ? "coincide" : (cc > 0.9 ? "nearly coincide" : "differ"), cc);
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
    rp_doc_details_begin(d, "Other saliency metrics vs gaze (CC, NSS, KL, SIM, AUC-Judd, EMD; "
                            "shuffled AUC and information gain over the two baselines), all "
                            "labels pooled", NULL);
    if (study_metrics_read(p, &rows, &n, &err)) {
        rp_doc_note(d, err.msg);
        rp_doc_details_end(d);
        return;
    }
    enum { MAX_SHOWN = 800 }; // 2 models x (8 methods + 2 baselines) x 10 metrics x 2 groups
    study_cell *cells = cx_malloc(sizeof(study_cell) * STUDY_METRIC_NCOLS * MAX_SHOWN);
    int shown = 0;
    for (int64_t r = 0; r < n && shown < MAX_SHOWN; r++)
        if (rows[r].label == STUDY_ALL_LABELS)
            study_metric_text(&rows[r], 1, cells + STUDY_METRIC_NCOLS * shown++);
    file_table(d, "metrics.csv, label = all", STUDY_METRIC_NCOLS, study_metric_columns, shown,
               cells);
    rp_doc_note(d, RB_DASH ": undefined (no maps in the group, or a test with an empty group).");
    free(cells);
    free(rows);
    rp_doc_details_end(d);
}

// What the section rests on, from compare.json; *norm gets the run's map normalisation.
static void intro(rp_doc *d, const char *json_path, stats_map_norm *norm) {
    study_compare_summary s;
    cx_error err;
    *norm = (stats_map_norm){STATS_SIGN_ABS, STATS_SCALE_P98};
    if (study_compare_json_read(json_path, &s, &err)) {
        rp_doc_note(d, err.msg);
        return;
    }
    *norm = s.norm;
    char line[1400], thr[64];
    if (s.fixed_threshold < 0)
        snprintf(thr, sizeof thr, "its F1-maximising threshold on the validation split");
    else snprintf(thr, sizeof thr, "%g", s.fixed_threshold);
    snprintf(line, sizeof line,
             "Held-out images with gaze: %lld; each is analysed once per positive label (a pair), "
             "with the map explaining that label. Saliency maps: %s, then %s (METHODS.md section "
             "3); gaze maps min-max. A prediction is correct when the label's probability reaches "
             "%s. CIs: %lld bootstrap resamples over patients; p: permutation test (%lld "
             "permutations within labels) of correct vs incorrect.",
             (long long)s.n_gaze_test,
             s.norm.sign == STATS_SIGN_ABS ? "absolute value of the attribution"
             : s.norm.sign == STATS_SIGN_POSITIVE ? "positive part of the attribution"
                                                  : "signed attribution",
             s.norm.scale == STATS_SCALE_P98 ? "divided by Captum's 98% cumulative-sum threshold "
                                               "and clipped to [0, 1]"
                                             : "min-max scaled to [0, 1]",
             thr, (long long)s.n_bootstrap, (long long)s.n_permutations);
    rp_doc_paragraph(d, line);
}

void rb_section_compare(const rb_report *R) {
    rb_found f;
    rb_find_all(R->n_dirs, R->dirs, "compare.json", &f);
    for (int i = 0; i < f.n; i++) {
        char dir[4096], p[4200];
        rb_dirname(f.path[i], dir, sizeof dir);
        rp_doc_heading(R->d, 2, "Saliency vs radiologist gaze");
        stats_map_norm norm;
        intro(R->d, f.path[i], &norm);
        cx_error err;
        study_metric_row *rows = NULL;
        int64_t n = 0;
        cx_path_join(p, sizeof p, dir, "ssim.csv");
        if (study_ssim_read(p, &rows, &n, &err)) rp_doc_note(R->d, err.msg);
        char models[8][64];
        int nm = rows ? model_names(rows, n, models) : 0;
        cx_path_join(p, sizeof p, dir, "interobserver.csv");
        int with_ceiling = cx_path_exists(p);
        for (int m = 0; m < nm; m++) model_part(R, dir, rows, n, models[m], with_ceiling);
        ceiling_part(R, dir, rows, n);
        free(rows);
        rb_sensitivity_part(R, dir, norm);
        rb_paired_regions_part(R, dir);
        rp_doc_heading(R->d, 3, "Beyond the original study");
        metrics_part(R->d, dir);
        truth_part(R, dir);
        gc_lc_part(R, dir);
    }
}
