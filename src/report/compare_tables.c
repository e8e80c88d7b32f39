// report: two tables of the comparison beyond the per-model ones — how the image-level
// conclusion (mean SSIM of correct minus incorrect) changes with the map normalisation
// (sensitivity.csv), and each method's most salient regions against gaze's on the same pairs
// (region_distance.csv: agreement, Cohen's kappa, Stuart-Maxwell p) — with their findings.
#include "report/report_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CHECK "\xe2\x9c\x93"
#define CROSS "\xe2\x9c\x97"
#define KAPPA "\xce\xba"

// (model, method) pairs of rows, in order of appearance; rows carry model and source at the same
// offsets in every table, so the caller passes them out.
typedef struct model_method {
    char model[64];
    int source;
} model_method;

static int add_model_method(model_method *mm, int n, int cap, const char *model, int source) {
    for (int i = 0; i < n; i++)
        if (!strcmp(mm[i].model, model) && mm[i].source == source) return n;
    if (n == cap) return n;
    snprintf(mm[n].model, sizeof mm[n].model, "%s", model);
    mm[n].source = source;
    return n + 1;
}

static void norm_name(stats_map_norm norm, char *out, size_t cap) {
    snprintf(out, cap, "%s-%s", stats_map_sign_name(norm.sign), stats_map_scale_name(norm.scale));
}

// ---- sensitivity.csv
// -----------------------------------------------------------------------------
static const study_sensitivity_row *sens_find(const study_sensitivity_row *rows, int64_t n,
                                              const model_method *mm, stats_map_norm norm) {
    for (int64_t i = 0; i < n; i++)
        if (rows[i].label == STUDY_ALL_LABELS && rows[i].source == mm->source &&
            rows[i].norm.sign == norm.sign && rows[i].norm.scale == norm.scale &&
            !strcmp(rows[i].model, mm->model))
            return &rows[i];
    return NULL;
}

// -1, 0, +1: the sign of a difference; 2 when undefined.
static int diff_sign(const study_sensitivity_row *r) {
    if (!r || !isfinite(r->diff)) return 2;
    return (r->diff > 0) - (r->diff < 0);
}

static void sensitivity_findings(const rb_report *R, const study_sensitivity_row *rows, int64_t n,
                                 const model_method *mm, int n_mm) {
    int held = 0, compared = 0;
    char flips[800] = "";
    for (int i = 0; i < n_mm; i++) {
        int s0 = 2, same = 1, defined = 0;
        for (int v = 0; v < STUDY_N_SENSITIVITY; v++) {
            int s = diff_sign(sens_find(rows, n, &mm[i], study_sensitivity_norms[v]));
            if (s == 2) continue;
            if (defined++ == 0) s0 = s;
            else same &= s == s0;
        }
        if (defined < 2) continue;
        compared++;
        if (same) held++;
        else {
            size_t l = strlen(flips);
            cx_textf(flips + l, sizeof flips - l, "%s%s %s", l ? ", " : "", mm[i].model,
                     rb_source_abbr(mm[i].source));
        }
    }
    if (compared)
        rb_cell_add(R->findings,
                    "Sensitivity to the map normalisation: the sign of the correct-minus-incorrect "
                    "SSIM difference (all labels pooled) is the same under abs-p98, abs-minmax and "
                    "signed-minmax for %d of %d model-method pairs%s%s.",
                    held, compared, flips[0] ? "; it flips for " : "", flips);
}

void rb_sensitivity_part(const rb_report *R, const char *dir, stats_map_norm run_norm) {
    char p[4200];
    cx_path_join(p, sizeof p, dir, "sensitivity.csv");
    if (!cx_path_exists(p)) return;
    rp_doc *d = R->d;
    rp_doc_heading(d, 3, "Sensitivity of the image-level conclusion to the map normalisation");
    cx_error err;
    study_sensitivity_row *rows;
    int64_t n;
    if (study_sensitivity_read(p, &rows, &n, &err)) {
        rp_doc_note(d, err.msg);
        return;
    }
    model_method mm[64];
    int n_mm = 0;
    for (int64_t i = 0; i < n; i++)
        if (rows[i].label == STUDY_ALL_LABELS)
            n_mm = add_model_method(mm, n_mm, 64, rows[i].model, rows[i].source);
    rp_table *t = rp_table_new("Mean SSIM of correct minus incorrect predictions (all labels "
                               "pooled) under each map normalisation", "paper sensitivity");
    rp_table_row(t, 1);
    rp_table_cell(t, "Model", NULL, 1, 0);
    rp_table_cell(t, "Method", NULL, 1, 0);
    for (int v = 0; v < STUDY_N_SENSITIVITY; v++) {
        stats_map_norm nv = study_sensitivity_norms[v];
        char h[80];
        norm_name(nv, h, sizeof h);
        if (nv.sign == run_norm.sign && nv.scale == run_norm.scale)
            strncat(h, "\n(this run)", sizeof h - strlen(h) - 1);
        rp_table_cell(t, h, NULL, 1, 0);
    }
    rp_table_cell(t, "same sign?", NULL, 1, 0);
    int dashes = 0;
    for (int i = 0; i < n_mm; i++) {
        rp_table_row(t, 0);
        const char *model = i && !strcmp(mm[i].model, mm[i - 1].model) ? "" : mm[i].model;
        rp_table_cell(t, model, NULL, 1, RP_CELL_HEAD);
        rp_table_cell(t, rb_source_abbr(mm[i].source), NULL, 1, RP_CELL_HEAD);
        int s0 = 2, same = 1, defined = 0;
        for (int v = 0; v < STUDY_N_SENSITIVITY; v++) {
            const study_sensitivity_row *r = sens_find(rows, n, &mm[i], study_sensitivity_norms[v]);
            char text[32], hover[300], c[32], w[32];
            rb_value(text, sizeof text, "%+.3f", r ? r->diff : NAN);
            dashes |= !r || !isfinite(r->diff);
            snprintf(hover, sizeof hover,
                     "mean SSIM " CHECK " %s, " CROSS " %s; %lld pairs with an SSIM",
                     rb_value(c, sizeof c, "%.3f", r ? r->mean_correct : NAN),
                     rb_value(w, sizeof w, "%.3f", r ? r->mean_incorrect : NAN),
                     r ? (long long)r->n : 0LL);
            rp_table_cell(t, text, hover, 1, 0);
            int s = diff_sign(r);
            if (s == 2) continue;
            if (defined++ == 0) s0 = s;
            else same &= s == s0;
        }
        rp_table_cell(t, defined < 2 ? RB_DASH : (same ? "yes" : "no"), NULL, 1,
                      same ? 0 : RP_CELL_BOLD);
    }
    rp_doc_add_table(d, t);
    rp_doc_note(d,
                "abs: |attribution|; signed: kept, so that zero lands mid-grey after min-max; p98: "
                "scaled by Captum's 98% cumulative-sum threshold and clipped; minmax: min-max "
                "(METHODS.md section 3). Positive: correct predictions' maps are closer to gaze. "
                "Hover over a cell for the two means. Per-label rows: sensitivity.csv.");
    if (dashes)
        rp_doc_note(d, RB_DASH ": undefined (a group without maps under this normalisation).");
    sensitivity_findings(R, rows, n, mm, n_mm);
    free(rows);
}

// ---- region_distance.csv
// -------------------------------------------------------------------------
static const study_region_distance_row *dist_find(const study_region_distance_row *rows, int64_t n,
                                                  const model_method *mm, int label) {
    for (int64_t i = 0; i < n; i++)
        if (rows[i].label == label && rows[i].source == mm->source &&
            !strcmp(rows[i].model, mm->model))
            return &rows[i];
    return NULL;
}

static void paired_findings(const rb_report *R, const study_region_distance_row *rows, int64_t n,
                            const model_method *mm, int n_mm) {
    for (int i = 0; i < n_mm; i++) {
        if (i > 0 && !strcmp(mm[i].model, mm[i - 1].model)) continue; // one sentence per model
        double best = NAN, worst = NAN;
        int best_src = -1, worst_src = -1, n_tests = 0, n_sig = 0;
        for (int k = i; k < n_mm && !strcmp(mm[k].model, mm[i].model); k++) {
            double s = 0, w = 0;
            for (int64_t r = 0; r < n; r++) {
                const study_region_distance_row *x = &rows[r];
                if (x->source != mm[k].source || strcmp(x->model, mm[k].model)) continue;
                if (isfinite(x->agreement) && x->n > 0)
                    s += x->agreement * (double)x->n, w += (double)x->n;
                if (isfinite(x->p)) n_tests++, n_sig += x->p < 0.05;
            }
            if (w == 0) continue;
            double a = s / w;
            if (!(a <= best)) best = a, best_src = mm[k].source;
            if (!(a >= worst)) worst = a, worst_src = mm[k].source;
        }
        if (best_src < 0) continue;
        rb_cell_add(
            R->findings,
            "%s, region level (paired with gaze on the same pairs): the most salient region "
            "matches gaze's on %.0f%% of pairs for the best method (%s) and %.0f%% for the "
            "worst (%s); the Stuart-Maxwell test finds the method's regions distributed "
            "differently from gaze's (p < 0.05) in %d of %d method-label comparisons.",
            mm[i].model, 100 * best, rb_source_abbr(best_src), 100 * worst,
            rb_source_abbr(worst_src), n_sig, n_tests);
    }
}

void rb_paired_regions_part(const rb_report *R, const char *dir) {
    char p[4200];
    cx_path_join(p, sizeof p, dir, "region_distance.csv");
    if (!cx_path_exists(p)) return;
    rp_doc *d = R->d;
    rp_doc_heading(d, 3, "Region level: each method against gaze on the same pairs");
    cx_error err;
    study_region_distance_row *rows;
    int64_t n;
    if (study_region_distance_read(p, &rows, &n, &err)) {
        rp_doc_note(d, err.msg);
        return;
    }
    model_method mm[64];
    int n_mm = 0, labels[CX_N_LABELS], n_labels = 0;
    int64_t label_n[CX_N_LABELS] = {0};
    for (int64_t i = 0; i < n; i++) {
        n_mm = add_model_method(mm, n_mm, 64, rows[i].model, rows[i].source);
        if (rows[i].label >= 0 && rows[i].label < CX_N_LABELS && rows[i].n > label_n[rows[i].label])
            label_n[rows[i].label] = rows[i].n;
    }
    for (int c = 0; c < CX_N_LABELS; c++)
        if (label_n[c] > 0) labels[n_labels++] = c;
    rp_table *t = rp_table_new("Most salient region of each method against gaze's, per label: "
                               "agreement and Cohen's " KAPPA, "paper regions");
    rp_table_row(t, 1);
    rp_table_cell(t, "Model", NULL, 1, 0);
    rp_table_cell(t, "Method", NULL, 1, 0);
    for (int k = 0; k < n_labels; k++) {
        char h[128];
        snprintf(h, sizeof h, "%s\nn = %lld", rb_label_breakable(labels[k]),
                 (long long)label_n[labels[k]]);
        rp_table_cell(t, h, "pairs where both gaze and the method have a most salient region", 2,
                      0);
    }
    rp_table_row(t, 1);
    rp_table_cell(t, "", NULL, 1, 0);
    rp_table_cell(t, "", NULL, 1, 0);
    for (int k = 0; k < n_labels; k++) {
        rp_table_cell(t, "agree", "share of pairs whose most salient region is gaze's", 1, 0);
        rp_table_cell(t, KAPPA, "Cohen's kappa", 1, 0);
    }
    int dashes = 0, sig = 0;
    for (int i = 0; i < n_mm; i++) {
        rp_table_row(t, 0);
        const char *model = i && !strcmp(mm[i].model, mm[i - 1].model) ? "" : mm[i].model;
        rp_table_cell(t, model, NULL, 1, RP_CELL_HEAD);
        rp_table_cell(t, rb_source_abbr(mm[i].source), NULL, 1, RP_CELL_HEAD);
        for (int k = 0; k < n_labels; k++) {
            const study_region_distance_row *r = dist_find(rows, n, &mm[i], labels[k]);
            char a[32], kp[32], sm[32], pv[32], tv[32], hover[400];
            rb_value(a, sizeof a, "%.2f", r ? r->agreement : NAN);
            rb_value(kp, sizeof kp, "%.2f", r ? r->kappa : NAN);
            dashes |= !r || !isfinite(r->agreement) || !isfinite(r->kappa);
            int s = r && isfinite(r->p) && r->p < 0.05;
            sig |= s;
            if (s) strncat(a, "*", sizeof a - strlen(a) - 1);
            snprintf(hover, sizeof hover,
                     "n = %lld pairs; total-variation distance %s; Stuart-Maxwell "
                     "statistic %s (dof %d), p = %s%s",
                     r ? (long long)r->n : 0LL,
                     rb_value(tv, sizeof tv, "%.3f", r ? r->tv_distance : NAN),
                     rb_value(sm, sizeof sm, "%.3g", r ? r->stuart_maxwell : NAN), r ? r->dof : -1,
                     rb_value(pv, sizeof pv, "%.3g", r ? r->p : NAN),
                     r && r->n < 30 ? " (exact permutation p, n < 30)" : "");
            rp_table_cell(t, a, hover, 1, 0);
            rp_table_cell(t, kp, hover, 1, 0);
        }
    }
    rp_doc_add_table(d, t);
    char note[600];
    snprintf(note, sizeof note,
             "Gaze and each method are evaluated on the same pairs (image with gaze, positive "
             "label), so they are compared with paired statistics. Hover over a cell for n, the "
             "total-variation distance and the Stuart-Maxwell test of marginal homogeneity.%s%s",
             sig ? " *: Stuart-Maxwell p < 0.05 (the method's regions are distributed differently "
                   "from gaze's)." : "",
             dashes ? " " RB_DASH ": undefined (no pairs, or kappa with chance agreement 1)." : "");
    rp_doc_note(d, note);
    paired_findings(R, rows, n, mm, n_mm);
    free(rows);
}
