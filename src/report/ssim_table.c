// report: the study's SSIM table of one model, laid out as in the paper — rows the six methods
// and the two baselines, columns the labels, each with the mean SSIM of correct (✓) and incorrect
// (✗) predictions; n per label in the header; the best method per column in bold; CI, n and p
// on hover and in a collapsed companion table. From ssim.csv's rows (study_ssim_read).
#include "report/report_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CHECK "\xe2\x9c\x93" // ✓
#define CROSS "\xe2\x9c\x97" // ✗
#define DAGGER "\xe2\x80\xa0"

// Rows of the paper's table: the six methods, then the two baselines (any other method a file
// holds follows the six).
static const int paper_rows[] = {ATTR_SL, ATTR_GC, ATTR_DL, ATTR_LC, ATTR_GS, ATTR_NT,
                                 STUDY_SOURCE_CENTRE_BIAS, STUDY_SOURCE_MEAN_GAZE};
enum { N_PAPER_ROWS = sizeof paper_rows / sizeof paper_rows[0], N_STUDY_METHODS = 6 };

static const char *const source_title[STUDY_N_SOURCES] = {
    [ATTR_SL] = "Saliency",
    [ATTR_GC] = "GradCAM",
    [ATTR_DL] = "DeepLift",
    [ATTR_LC] = "Layer Conductance",
    [ATTR_GS] = "GradientSHAP",
    [ATTR_NT] = "SmoothGrad",
    [ATTR_IG] = "Integrated Gradients",
    [ATTR_OC] = "Occlusion",
    [STUDY_SOURCE_CENTRE_BIAS] = "centre-bias baseline",
    [STUDY_SOURCE_MEAN_GAZE] = "mean training gaze baseline",
    [STUDY_SOURCE_GAZE] = "radiologist gaze"};
_Static_assert(sizeof source_title / sizeof source_title[0] == STUDY_N_SOURCES,
               "one title per map source");
// One model's rows of ssim.csv by (source, label + 1, group); label slot 0 is "all labels".
typedef struct ssim_index {
    const study_metric_row *at[STUDY_N_SOURCES][CX_N_LABELS + 1][STUDY_N_GROUPS];
    int rows[STUDY_N_SOURCES + 2]; // the table's rows, in order
    int n_rows;
    int cols[CX_N_LABELS + 1];     // label slots shown: labels with pairs, then "all"
    int n_cols;
    int64_t pairs[CX_N_LABELS + 1][STUDY_N_GROUPS]; // pairs of the label and group
} ssim_index;

static int64_t row_constant(const study_metric_row *r) { return r ? r->n_constant : 0; }

static void ssim_index_make(ssim_index *x, const study_metric_row *rows, int64_t n,
                            const char *model) {
    memset(x, 0, sizeof *x);
    int present[STUDY_N_SOURCES] = {0};
    for (int64_t i = 0; i < n; i++) {
        const study_metric_row *r = &rows[i];
        if (strcmp(r->model, model) || r->source < 0 || r->source >= STUDY_N_SOURCES) continue;
        int slot = r->label == STUDY_ALL_LABELS ? 0 : r->label + 1;
        if (slot < 0 || slot > CX_N_LABELS || r->group < 0 || r->group >= STUDY_N_GROUPS) continue;
        x->at[r->source][slot][r->group] = r;
        present[r->source] = 1;
        int64_t pairs = r->n + row_constant(r); // every map type is scored on the same pairs
        if (pairs > x->pairs[slot][r->group]) x->pairs[slot][r->group] = pairs;
    }
    for (int k = 0; k < N_PAPER_ROWS; k++) {
        x->rows[x->n_rows++] = paper_rows[k];
        if (k == N_STUDY_METHODS - 1) // other methods the file holds, after the six
            for (int m = 0; m < ATTR_NMETHODS; m++) {
                int in_paper = 0;
                for (int q = 0; q < N_STUDY_METHODS; q++) in_paper |= paper_rows[q] == m;
                if (present[m] && !in_paper) x->rows[x->n_rows++] = m;
            }
    }
    for (int slot = 1; slot <= CX_N_LABELS; slot++)
        if (x->pairs[slot][STUDY_CORRECT] + x->pairs[slot][STUDY_INCORRECT] > 0)
            x->cols[x->n_cols++] = slot;
    x->cols[x->n_cols++] = 0;
}

static const char *slot_name(int slot) {
    return slot ? CX_LABELS[slot - 1] : "All labels (pooled)";
}
static const char *slot_header(int slot) {
    return slot ? rb_label_breakable(slot - 1) : "All labels";
}

static int is_method(int source) { return source >= 0 && source < ATTR_NMETHODS; }

static double cell_mean(const study_metric_row *r) { return r && r->n > 0 ? r->mean : NAN; }

// A mean as the paper's table prints it: three decimals without the leading zero (SSIM lies in
// [-1, 1]), so that 15 label columns fit the page; a dash when undefined.
static void paper_value(char *buf, size_t cap, double v) {
    rb_value(buf, cap, "%.3f", v);
    char *zero = strstr(buf, "0.");
    if (isfinite(v) && zero && (zero == buf || zero[-1] == '-') && fabs(v) < 1)
        memmove(zero, zero + 1, strlen(zero + 1) + 1);
}

// The best method's mean in a column (the six methods and any other method; not the baselines).
static double column_best(const ssim_index *x, int slot, int g) {
    double best = NAN;
    for (int k = 0; k < x->n_rows; k++) {
        double v = is_method(x->rows[k]) ? cell_mean(x->at[x->rows[k]][slot][g]) : NAN;
        if (isfinite(v) && !(v <= best)) best = v;
    }
    return best;
}

static void hover_text(char *out, size_t cap, int source, int slot, int g,
                       const study_metric_row *r) {
    char lo[32], hi[32], p[32];
    if (!r || r->n == 0) {
        snprintf(out, cap, "%s, %s, %s predictions: no maps%s", source_title[source],
                 slot_name(slot), study_group_name(g), row_constant(r) ? " (all constant)" : "");
        return;
    }
    int o = snprintf(out, cap, "%s, %s, %s predictions: mean SSIM %.3f, 95%% CI %s to %s (patient "
                     "bootstrap), n = %lld maps", source_title[source], slot_name(slot),
                     study_group_name(g), r->mean, rb_value(lo, sizeof lo, "%.3f", r->ci_lo),
                     rb_value(hi, sizeof hi, "%.3f", r->ci_hi), (long long)r->n);
    if (row_constant(r) && o > 0 && (size_t)o < cap)
        o += snprintf(out + o, cap - (size_t)o, ", %lld constant maps excluded",
                      (long long)row_constant(r));
    if (o > 0 && (size_t)o < cap)
        snprintf(out + o, cap - (size_t)o, "; correct vs incorrect: permutation p = %s",
                 rb_value(p, sizeof p, "%.3g", r->p_perm));
}

static void header_rows(rp_table *t, const ssim_index *x) {
    rp_table_row(t, 1);
    rp_table_cell(t, "Method", NULL, 1, 0);
    for (int k = 0; k < x->n_cols; k++) {
        int slot = x->cols[k];
        int64_t constant = 0;
        for (int s = 0; s < STUDY_N_SOURCES; s++)
            for (int g = 0; g < STUDY_N_GROUPS; g++) constant += row_constant(x->at[s][slot][g]);
        char h[256], hover[256];
        int o = snprintf(h, sizeof h, "%s\n%lld / %lld", slot_header(slot),
                         (long long)x->pairs[slot][STUDY_CORRECT],
                         (long long)x->pairs[slot][STUDY_INCORRECT]);
        if (constant && o > 0 && (size_t)o < sizeof h)
            snprintf(h + o, sizeof h - (size_t)o, "\n(%lld const.)", (long long)constant);
        snprintf(hover, sizeof hover,
                 "pairs (image with gaze, positive label): %lld correct, %lld "
                 "incorrect predictions; constant maps excluded over all methods: %lld",
                 (long long)x->pairs[slot][STUDY_CORRECT],
                 (long long)x->pairs[slot][STUDY_INCORRECT], (long long)constant);
        rp_table_cell(t, h, hover, 2, 0);
    }
    rp_table_row(t, 1);
    rp_table_cell(t, "", NULL, 1, 0);
    for (int k = 0; k < x->n_cols; k++) {
        rp_table_cell(t, CHECK, "correct predictions", 1, 0);
        rp_table_cell(t, CROSS, "incorrect predictions", 1, 0);
    }
}

// The paper's table; returns which marks it used (1: a dash, 2: a dagger).
static int paper_table(rp_doc *d, const ssim_index *x, const char *model) {
    char caption[256];
    snprintf(caption, sizeof caption, "%s: mean SSIM between saliency maps and radiologist gaze, "
             "correct (" CHECK ") vs incorrect (" CROSS ") predictions", model);
    rp_table *t = rp_table_new(caption, "paper ssim");
    header_rows(t, x);
    int marks = 0;
    for (int k = 0; k < x->n_rows; k++) {
        int src = x->rows[k];
        rp_table_row(t, 0);
        rp_table_cell(t, rb_source_abbr(src), source_title[src], 1, RP_CELL_HEAD);
        for (int c = 0; c < x->n_cols; c++)
            for (int g = 0; g < STUDY_N_GROUPS; g++) {
                int slot = x->cols[c];
                const study_metric_row *r = x->at[src][slot][g];
                double v = cell_mean(r), best = column_best(x, slot, g);
                char text[48], hover[600];
                paper_value(text, sizeof text, v);
                if (!isfinite(v)) marks |= 1;
                if (isfinite(v) && row_constant(r)) {
                    strncat(text, DAGGER, sizeof text - strlen(text) - 1);
                    marks |= 2;
                }
                hover_text(hover, sizeof hover, src, slot, g, r);
                rp_table_cell(t, text, hover, 1, is_method(src) && v == best ? RP_CELL_BOLD : 0);
            }
    }
    rp_doc_add_table(d, t);
    return marks;
}

// The companion table: every cell of the paper's table with its CI and n, and the p value.
static void ci_table(rp_doc *d, const ssim_index *x, const char *model) {
    char caption[200];
    snprintf(caption, sizeof caption, "%s: mean SSIM (95%% patient-bootstrap CI), maps, and the "
             "permutation p of correct vs incorrect", model);
    rp_table *t = rp_table_new(caption, "ssim-ci");
    rp_table_row(t, 1);
    const char *hdr[] = {"Method",
                         "Label",
                         CHECK " mean (95% CI)",
                         CHECK " n",
                         CROSS " mean (95% CI)",
                         CROSS " n",
                         "constant maps excluded " CHECK " / " CROSS,
                         "p"};
    for (size_t c = 0; c < sizeof hdr / sizeof hdr[0]; c++) rp_table_cell(t, hdr[c], NULL, 1, 0);
    for (int k = 0; k < x->n_rows; k++)
        for (int c = 0; c < x->n_cols; c++) {
            int src = x->rows[k], slot = x->cols[c];
            const study_metric_row *rg[2] = {x->at[src][slot][0], x->at[src][slot][1]};
            if (!rg[0] && !rg[1]) continue;
            rp_table_row(t, 0);
            rp_table_cell(t, source_title[src], NULL, 1, RP_CELL_HEAD);
            rp_table_cell(t, slot_name(slot), NULL, 1, 0);
            for (int g = 0; g < 2; g++) {
                char m[32], lo[32], hi[32], cell[128], n[32];
                if (rg[g] && rg[g]->n > 0)
                    snprintf(cell, sizeof cell, "%s (%s to %s)",
                             rb_value(m, sizeof m, "%.3f", rg[g]->mean),
                             rb_value(lo, sizeof lo, "%.3f", rg[g]->ci_lo),
                             rb_value(hi, sizeof hi, "%.3f", rg[g]->ci_hi));
                else snprintf(cell, sizeof cell, "%s", RB_DASH);
                snprintf(n, sizeof n, "%lld", rg[g] ? (long long)rg[g]->n : 0LL);
                rp_table_cell(t, cell, NULL, 1, 0);
                rp_table_cell(t, n, NULL, 1, 0);
            }
            char cst[64], p[32];
            snprintf(cst, sizeof cst, "%lld / %lld", (long long)row_constant(rg[0]),
                     (long long)row_constant(rg[1]));
            rp_table_cell(t, cst, NULL, 1, 0);
            rp_table_cell(t, rb_value(p, sizeof p, "%.3g", rg[0] ? rg[0]->p_perm : rg[1]->p_perm),
                          NULL, 1, 0);
        }
    rp_doc_add_table(d, t);
}

void rb_ssim_tables(const rb_report *R, const study_metric_row *rows, int64_t n,
                    const char *model) {
    ssim_index *x = cx_malloc(sizeof *x);
    ssim_index_make(x, rows, n, model);
    int marks = paper_table(R->d, x, model);
    char note[1200];
    int o = snprintf(note, sizeof note,
                     CHECK
                     ": correct predictions (probability at or above the label's threshold); " CROSS
                     ": incorrect. Under each label: the pairs (image with gaze, positive "
                     "label) of correct / incorrect predictions, and the constant maps left out "
                     "over all methods where there are any. Bold: the highest mean among the "
                     "saliency methods in each column. "
                     "Means are printed without their leading zero (.412 is 0.412). Hover over a "
                     "cell for its 95%% CI, n and the permutation p (also in the table below).");
    if (marks & 1)
        o += snprintf(note + o, sizeof note - (size_t)o,
                      " " RB_DASH ": no maps in the group (n = 0), or the method was not run.");
    if (marks & 2)
        snprintf(note + o, sizeof note - (size_t)o,
                 " " DAGGER ": the mean leaves out constant maps, which have no SSIM.");
    rp_doc_note(R->d, note);
    char sum[200];
    snprintf(sum, sizeof sum, "%s: the SSIM table with 95%% CIs, n and p values", model);
    rp_doc_details_begin(R->d, sum, NULL);
    ci_table(R->d, x, model);
    rp_doc_details_end(R->d);
    free(x);
}

// Mean over both groups of a pooled source (weighted by maps), NaN without maps.
static double pooled_mean(const ssim_index *x, int src) {
    double s = 0;
    int64_t n = 0;
    for (int g = 0; g < STUDY_N_GROUPS; g++) {
        const study_metric_row *r = x->at[src][0][g];
        if (r && r->n > 0 && isfinite(r->mean)) s += r->mean * (double)r->n, n += r->n;
    }
    return n ? s / (double)n : NAN;
}

void rb_ssim_findings(const rb_report *R, const study_metric_row *rows, int64_t n,
                      const char *model) {
    ssim_index *x = cx_malloc(sizeof *x);
    ssim_index_make(x, rows, n, model);
    double cb = pooled_mean(x, STUDY_SOURCE_CENTRE_BIAS);
    char above[600] = "", below[600] = "", constant[600] = "";
    int n_higher = 0, n_sig = 0, n_both = 0;
    for (int src = 0; src < ATTR_NMETHODS; src++) {
        double o = pooled_mean(x, src);
        const study_metric_row *c = x->at[src][0][STUDY_CORRECT],
                               *i = x->at[src][0][STUDY_INCORRECT];
        int64_t k = row_constant(c) + row_constant(i);
        if (k) {
            size_t l = strlen(constant);
            snprintf(constant + l, sizeof constant - l, "%s%s %lld", l ? ", " : "",
                     source_title[src], (long long)k);
        }
        if (!isfinite(o)) continue;
        char *dst = o > cb ? above : below;
        size_t l = strlen(dst);
        snprintf(dst + l, sizeof above - l, "%s%s (%.3f)", l ? ", " : "", source_title[src], o);
        if (c && i && c->n > 0 && i->n > 0) {
            n_both++;
            if (c->mean > i->mean) {
                n_higher++;
                if (c->p_perm < 0.05) n_sig++;
            }
        }
    }
    if (isfinite(cb) && (above[0] || below[0]))
        rb_cell_add(
            R->findings,
            "%s, SSIM with gaze (all labels pooled): methods above the centre-bias baseline "
            "(%.3f): %s; at or below it: %s.",
            model, cb, above[0] ? above : "none", below[0] ? below : "none");
    if (n_both)
        rb_cell_add(
            R->findings,
            "%s: correct predictions look more like gaze than incorrect ones for %d of the %d "
            "methods with both groups (higher mean SSIM), %d of them significant at p < 0.05 "
            "(permutation test).",
            model, n_higher, n_both, n_sig);
    if (constant[0])
        rb_cell_add(R->findings,
                    "%s: constant maps (no SSIM, left out of every mean and test): %s.", model,
                    constant);
    free(x);
}
