// report: the faithfulness section (Petsiuk et al. 2018), from the faithfulness stage's files read
// through study/'s readers: per model the mean deletion and insertion curves of every method and
// the random order, the AUC table (all labels pooled, patient-bootstrap CIs) and a finding; the
// per-label table and the curves collapsed.
#include "report/report_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define FAITH_MAX_MODELS 8

static const char *method_abbr(int method) {
    return method == STUDY_FAITH_RANDOM ? "random" : rb_source_abbr(method);
}

// Distinct models of the rows, in order of appearance.
static int model_names(const study_faith_row *rows, int64_t n, char models[][64]) {
    int nm = 0;
    for (int64_t i = 0; i < n; i++) {
        int k = 0;
        while (k < nm && strcmp(models[k], rows[i].model)) k++;
        if (k == nm && nm < FAITH_MAX_MODELS) snprintf(models[nm++], 64, "%s", rows[i].model);
    }
    return nm;
}

// One figure: the mean curve of `kind` of every method of the model, x = share of pixels.
static void curves_figure(const rb_report *R, int file, const char *model,
                          const study_faith_curve *cv, int64_t n, study_faith_kind kind) {
    int steps = -1, methods[STUDY_FAITH_N_SOURCES], nm = 0;
    for (int64_t i = 0; i < n; i++)
        if (!strcmp(cv[i].model, model) && cv[i].kind == kind) {
            if (cv[i].step > steps) steps = cv[i].step;
            int k = 0;
            while (k < nm && methods[k] != cv[i].method) k++;
            if (k == nm && nm < STUDY_FAITH_N_SOURCES) methods[nm++] = cv[i].method;
        }
    if (steps < 1 || nm == 0) return;
    double *val = cx_malloc(sizeof *val * (size_t)nm * (steps + 1));
    for (int q = 0; q < nm * (steps + 1); q++) val[q] = NAN;
    for (int64_t i = 0; i < n; i++) {
        if (strcmp(cv[i].model, model) || cv[i].kind != kind) continue;
        int k = 0;
        while (k < nm && methods[k] != cv[i].method) k++;
        if (k < nm) val[k * (steps + 1) + cv[i].step] = cv[i].probability;
    }
    rp_series ser[STUDY_FAITH_N_SOURCES];
    for (int k = 0; k < nm; k++)
        ser[k] = (rp_series){method_abbr(methods[k]), val + k * (steps + 1), NULL, NULL};
    rb_cells x = {0};
    for (int s = 0; s <= steps; s++) rb_cell_add(&x, "%.3g", (double)s / steps);
    char fig[4400], title[200], png[4500], slug[128];
    rb_slug(model, slug, sizeof slug);
    const char *kname = study_faith_kind_name(kind);
    snprintf(fig, sizeof fig, "%s/fig_faith_%d_%s_%s", R->out_dir, file, slug, kname);
    cx_textf(title, sizeof title, "%s: %s curves", model, kname);
    cx_error err;
    if (rp_lines(fig, title,
                 kind == STUDY_FAITH_DELETION ? "share of pixels blurred (top of the map first)"
                                              : "share of pixels restored (top of the map first)",
                 "mean probability of the target", steps + 1, (const char *const *)x.v, nm, ser, 0,
                 1, &err) == 0) {
        snprintf(png, sizeof png, "%s.png", fig);
        char caption[400];
        cx_textf(caption, sizeof caption,
                 "%s: mean sigmoid(logit) of the explained label as pixels are %s in the map's "
                 "order (random: a random order). %s",
                 model, kind == STUDY_FAITH_DELETION ? "replaced by the blurred image" : "put back "
                 "into the blurred image",
                 kind == STUDY_FAITH_DELETION ? "A faithful map's curve falls fast."
                                              : "A faithful map's curve rises fast.");
        rb_embed(R, png, caption);
    } else {
        rp_doc_note(R->d, err.msg);
    }
    rb_cells_free(&x);
    free(val);
}

static void auc_cell(rb_cells *c, double v, double lo, double hi) {
    char a[32], b[32], e[32];
    if (!isfinite(v)) rb_cell_add(c, RB_DASH);
    else if (!isfinite(lo) || !isfinite(hi)) rb_cell_add(c, "%s", rb_value(a, sizeof a, "%.3f", v));
    else
        rb_cell_add(c, "%s (%s-%s)", rb_value(a, sizeof a, "%.3f", v),
                    rb_value(b, sizeof b, "%.3f", lo), rb_value(e, sizeof e, "%.3f", hi));
}

// The pooled AUC table of one model and its finding.
static void auc_table(const rb_report *R, const char *model, const study_faith_row *rows,
                      int64_t n) {
    static const char *const header[] = {"method", "maps", "deletion AUC (95% CI), lower is better",
                                         "insertion AUC (95% CI), higher is better"};
    rb_cells c = {0};
    int nr = 0;
    const study_faith_row *rnd = NULL, *best_del = NULL, *best_ins = NULL;
    char worse[256] = "";
    for (int64_t i = 0; i < n; i++) {
        const study_faith_row *r = &rows[i];
        if (strcmp(r->model, model) || r->label != STUDY_ALL_LABELS) continue;
        rb_cell_add(&c, "%s", method_abbr(r->method));
        rb_cell_add(&c, "%lld", (long long)r->n);
        auc_cell(&c, r->deletion_auc, r->del_lo, r->del_hi);
        auc_cell(&c, r->insertion_auc, r->ins_lo, r->ins_hi);
        nr++;
        if (r->method == STUDY_FAITH_RANDOM) {
            rnd = r;
            continue;
        }
        if (isfinite(r->deletion_auc) && (!best_del || r->deletion_auc < best_del->deletion_auc))
            best_del = r;
        if (isfinite(r->insertion_auc) &&
            (!best_ins || r->insertion_auc > best_ins->insertion_auc))
            best_ins = r;
    }
    if (nr == 0) {
        rb_cells_free(&c);
        return;
    }
    rp_doc_table(R->d,
                 "Deletion and insertion AUC, all labels pooled (trapezoid rule over the share "
                 "of pixels; CIs resample patients)",
                 4, nr, header, (const char *const *)c.v);
    rb_cells_free(&c);
    if (!rnd || !best_del || !best_ins) return;
    for (int64_t i = 0; i < n; i++) {
        const study_faith_row *r = &rows[i];
        if (strcmp(r->model, model) || r->label != STUDY_ALL_LABELS ||
            r->method == STUDY_FAITH_RANDOM || !(r->deletion_auc >= rnd->deletion_auc))
            continue;
        size_t l = strlen(worse);
        snprintf(worse + l, sizeof worse - l, "%s%s", l ? ", " : "", method_abbr(r->method));
    }
    rb_cell_add(R->findings,
                "Faithfulness (%s): blurring pixels in the order of %s's map lowers the model's "
                "probability fastest (deletion AUC %.3f, random order %.3f); restoring them in the "
                "order of %s's map raises it fastest (insertion AUC %.3f, random %.3f). %s%s",
                model, method_abbr(best_del->method), best_del->deletion_auc, rnd->deletion_auc,
                method_abbr(best_ins->method), best_ins->insertion_auc, rnd->insertion_auc,
                worse[0] ? "No better than random on deletion: " : "Every method beats the random "
                                                                   "order on deletion.",
                worse[0] ? worse : "");
}

void rb_section_faithfulness(const rb_report *R) {
    rb_found f;
    rb_find_all(R->n_dirs, R->dirs, "faithfulness.csv", &f);
    if (!f.n) return;
    rp_doc *d = R->d;
    rp_doc_heading(d, 2, "Faithfulness: deletion and insertion (Petsiuk et al. 2018)");
    rp_doc_paragraph(d, "Does the map point at what the model uses? Pixels are ranked by the map; "
                        "deletion replaces them, most salient first, by a blurred copy of the "
                        "image (Gaussian, sigma = image size / 20) and records the explained "
                        "label's probability; insertion starts from the blurred image and puts "
                        "them back. The area under the curve is low for deletion and high for "
                        "insertion when the map is faithful; a random pixel order is the "
                        "baseline.");
    for (int i = 0; i < f.n; i++) {
        cx_error err;
        char dir[4096];
        rb_dirname(f.path[i], dir, sizeof dir);
        study_faith_row *rows;
        int64_t n;
        if (study_faith_read(dir, &rows, &n, &err)) {
            rp_doc_note(d, err.msg);
            continue;
        }
        study_faith_curve *cv = NULL;
        int64_t nc = 0;
        if (study_faith_curves_read(dir, &cv, &nc, &err)) rp_doc_note(d, err.msg);
        char models[FAITH_MAX_MODELS][64];
        int nm = model_names(rows, n, models);
        for (int m = 0; m < nm; m++) {
            rp_doc_heading(d, 3, models[m]);
            for (int k = 0; k < STUDY_FAITH_N_KINDS; k++)
                curves_figure(R, i, models[m], cv, nc, (study_faith_kind)k);
            auc_table(R, models[m], rows, n);
        }
        free(rows);
        free(cv);
        rb_raw_csv(R, f.path[i], "faithfulness.csv: per label and pooled, with CIs", 200);
        char path[4200];
        if (cx_pathf(path, sizeof path, &err, "%s/faithfulness_curves.csv", dir) == 0 &&
            cx_path_exists(path))
            rb_raw_csv(R, path, "faithfulness_curves.csv: the mean curves", 200);
    }
}
