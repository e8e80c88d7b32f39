// report: the classification section — the study's AUROC table (label x model), the forest plot,
// eval --compare's DeLong table (the per-model files are among the raw tables).
#include "report/report_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "io/io.h"

// A Markdown pipe table (prose lines, then a header row, a --- row and body rows: what
// `eval --compare` writes) as a report table, the prose joining the caption; **bold** markers
// dropped. -1, with nothing added, when text is not such a table.
static int md_table(rp_doc *d, const char *caption, const char *text) {
    rb_cells cells = {0};
    int ncols = -1, nrows = 0, line_no = 0, rc = 0, dashes = 0;
    char *copy = strdup(text), *save = NULL, cap[1024];
    snprintf(cap, sizeof cap, "%s", caption);
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        while (*line == ' ') line++;
        if (!*line) continue;
        if (*line != '|' && line_no == 0) { // prose before the table
            size_t l = strlen(cap);
            snprintf(cap + l, sizeof cap - l, "%s%s", l ? ": " : "", line);
            continue;
        }
        if (*line != '|') {
            rc = -1;
            break;
        }
        for (char *b; (b = strstr(line, "**"));) memmove(b, b + 2, strlen(b + 2) + 1);
        line_no++;
        if (line_no == 2) { // the separator row: only |, -, :, spaces
            if (strspn(line, "|-: ") != strlen(line)) rc = -1;
            if (rc) break;
            continue;
        }
        int k = 0;
        char *cell = line + 1;
        for (char *bar; (bar = strchr(cell, '|')); cell = bar + 1, k++) {
            *bar = 0;
            char *a = cell, *b = bar;
            while (*a == ' ') a++;
            while (b > a && b[-1] == ' ') *--b = 0;
            rb_cell_add(&cells, "%s", !strcmp(a, "n/a") ? RB_DASH : a);
            dashes |= !strcmp(a, "n/a");
        }
        if (ncols < 0) ncols = k;
        if (k != ncols || k == 0) {
            rc = -1;
            break;
        }
        if (line_no > 1) nrows++;
    }
    if (!rc && ncols > 0 && line_no >= 2) {
        rp_doc_table(d, cap, ncols, nrows, (const char *const *)cells.v,
                     (const char *const *)cells.v + ncols);
        if (dashes)
            rp_doc_note(d, RB_DASH ": not defined (a label with one class on the test split has no "
                           "AUROC, and no DeLong test).");
    } else {
        rc = -1;
    }
    rb_cells_free(&cells);
    free(copy);
    return rc;
}

// The per-model AUROC tables of the run directories, read through the evaluate stage's reader:
// single-model auroc.csv files (one model each, named by their directory) into est/lo/hi, and
// the paths of eval --compare's combined tables (shown through their Markdown twin).
typedef struct rb_auroc {
    int n;                                       // models
    char name[8][128];
    char path[8][4096];                          // their auroc.csv
    double est[8][CX_N_LABELS], lo[8][CX_N_LABELS], hi[8][CX_N_LABELS];
    rb_found combined;                           // eval --compare's auroc.csv files
} rb_auroc;

static void rb_auroc_collect(int n_dirs, const char *const *dirs, rb_auroc *a) {
    rb_found all;
    rb_find_all(n_dirs, dirs, "auroc.csv", &all);
    memset(a, 0, sizeof *a);
    for (int i = 0; i < all.n; i++) {
        char dir[4096];
        rb_dirname(all.path[i], dir, sizeof dir);
        study_auroc_table t;
        cx_error err;
        if (study_auroc_read(dir, &t, &err)) {
            cx_warn("report: %s", err.msg);
            continue;
        }
        if (t.n_models > 1 || t.name[0][0]) {
            snprintf(a->combined.path[a->combined.n++], sizeof a->combined.path[0], "%s",
                     all.path[i]);
        } else if (a->n < 8) {
            int m = a->n++;
            snprintf(a->path[m], sizeof a->path[m], "%s", all.path[i]);
            rb_basename(dir, a->name[m], sizeof a->name[m]);
            for (int c = 0; c < CX_N_LABELS; c++) {
                a->est[m][c] = t.entry[0][c].auroc;
                a->lo[m][c] = t.entry[0][c].delong_lo;
                a->hi[m][c] = t.entry[0][c].delong_hi;
            }
        }
        study_auroc_table_free(&t);
    }
}

// The study's AUROC table (label x model) with a mean row, a finding per model, and the forest
// plot of the labels present.
static void rb_auroc_table(const rb_report *R, const rb_auroc *a) {
    rp_doc *d = R->d;
    const int nm = a->n;
    int present[CX_N_LABELS] = {0};
    for (int m = 0; m < nm; m++)
        for (int c = 0; c < CX_N_LABELS; c++) present[c] |= isfinite(a->est[m][c]);
    const char *hdr[9] = {"label"};
    char hbuf[8][160];
    for (int m = 0; m < nm; m++) {
        snprintf(hbuf[m], sizeof hbuf[m], "%s AUROC (95%% CI, DeLong)", a->name[m]);
        hdr[m + 1] = hbuf[m];
    }
    rb_cells body = {0};
    int rows = 0, dashes = 0;
    const char *row_names[CX_N_LABELS];
    double fe[8][CX_N_LABELS], fl[8][CX_N_LABELS], fh[8][CX_N_LABELS];
    for (int c = 0; c < CX_N_LABELS; c++) {
        if (!present[c]) continue;
        rb_cell_add(&body, "%s", CX_LABELS[c]);
        for (int m = 0; m < nm; m++) {
            double e = a->est[m][c], lo = a->lo[m][c], hi = a->hi[m][c];
            if (isnan(e)) rb_cell_add(&body, "%s", RB_DASH), dashes = 1;
            else if (isnan(lo)) rb_cell_add(&body, "%.3f", e);
            else rb_cell_add(&body, "%.3f (%.3f-%.3f)", e, lo, hi);
            fe[m][rows] = e, fl[m][rows] = lo, fh[m][rows] = hi;
        }
        row_names[rows++] = CX_LABELS[c];
    }
    rb_cell_add(&body, "mean");
    for (int m = 0; m < nm; m++) {
        double s = 0;
        int k = 0;
        for (int c = 0; c < CX_N_LABELS; c++)
            if (isfinite(a->est[m][c])) s += a->est[m][c], k++;
        char v[32];
        rb_cell_add(&body, "%s", rb_value(v, sizeof v, "%.3f", k ? s / k : NAN));
        if (k)
            rb_cell_add(R->findings,
                        "%s reaches a mean test AUROC of %.3f over the %d labels present.",
                        a->name[m], s / k, k);
    }
    rp_doc_table(d, "AUROC per label on the test split, 95% DeLong CI (the study's layout)", nm + 1,
                 rows + 1, hdr, (const char *const *)body.v);
    rb_cells_free(&body);
    if (dashes)
        rp_doc_note(d, RB_DASH ": no AUROC, the label has only one class (no positives or no "
                           "negatives) on the test split.");
    if (rows == 0) return;
    rp_series s[8];
    for (int m = 0; m < nm; m++) s[m] = (rp_series){a->name[m], fe[m], fl[m], fh[m]};
    char fig[4200];
    cx_error err;
    snprintf(fig, sizeof fig, "%s/fig_auroc_forest", R->out_dir);
    if (rp_forest(fig, "Per-label AUROC with 95% DeLong CI", "AUROC", rows, row_names, nm, s, 0.4,
                  1.0, &err) == 0) {
        char png[4300];
        snprintf(png, sizeof png, "%s.png", fig);
        rb_embed(R, png, "Per-label AUROC with 95% DeLong CI (test split)");
    }
}

void rb_section_auroc(const rb_report *R) {
    rp_doc *d = R->d;
    rb_auroc *a = cx_malloc(sizeof *a);
    rb_auroc_collect(R->n_dirs, R->dirs, a);
    if (a->n) {
        rp_doc_heading(d, 2, "Classification: per-label AUROC on the test split");
        rb_auroc_table(R, a);
        for (int i = 0; i < a->combined.n; i++) {
            char dir[4096], mdp[4200], *text;
            size_t n;
            cx_error err;
            rb_dirname(a->combined.path[i], dir, sizeof dir);
            cx_path_join(mdp, sizeof mdp, dir, "auroc_table.md");
            if (cx_read_file(mdp, &text, &n, &err) == 0) {
                if (md_table(d, "DeLong comparison of the models (eval --compare)", text)) {
                    rp_doc_paragraph(d, "DeLong comparison of the models (eval --compare):");
                    rp_doc_code(d, text);
                }
                free(text);
            }
        }
        rp_doc_note(d, "Patient-bootstrap CIs are in each model's auroc.csv (Raw tables, below).");
    }
    free(a);
}
