// report: `cxrgaze report` — gathers the outputs of prepare, train, eval, compare and sanity
// from run directories into one self-contained HTML page (+ Markdown), with short findings in
// plain words computed from the tables.
#include "report/report_internal.h"

#include <dirent.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "data/data.h"
#include "io/io.h"

// ---- finding files ------------------------------------------------------------------------------
// Files named `name` in dir and its subdirectories, up to `depth` levels, in sorted order.
static void rb_find_named(const char *dir, const char *name, int depth, rb_found *f) {
    struct dirent **list;
    int n = scandir(dir, &list, NULL, alphasort);
    if (n < 0) return;
    for (int i = 0; i < n; i++) {
        const char *e = list[i]->d_name;
        char p[4096];
        if (e[0] != '.') {
            cx_path_join(p, sizeof p, dir, e);
            if (!strcmp(e, name) && !cx_is_dir(p) && f->n < MAX_FOUND)
                snprintf(f->path[f->n++], sizeof f->path[0], "%s", p);
            else if (depth > 0 && cx_is_dir(p))
                rb_find_named(p, name, depth - 1, f);
        }
        free(list[i]);
    }
    free(list);
}

void rb_find_all(int n_dirs, const char *const *dirs, const char *name, rb_found *f) {
    f->n = 0;
    for (int i = 0; i < n_dirs; i++) {
        if (!cx_is_dir(dirs[i])) continue;
        rb_find_named(dirs[i], name, 2, f);
    }
}

// Figures (PNG) in a directory whose names start with prefix, sorted.
void rb_find_pngs(const char *dir, const char *prefix, rb_found *f) {
    f->n = 0;
    struct dirent **list;
    int n = scandir(dir, &list, NULL, alphasort);
    for (int i = 0; i < n; i++) {
        const char *e = list[i]->d_name;
        size_t l = strlen(e);
        if (!strncmp(e, prefix, strlen(prefix)) && l > 4 && !strcmp(e + l - 4, ".png") && f->n < MAX_FOUND)
            cx_path_join(f->path[f->n++], sizeof f->path[0], dir, e);
        free(list[i]);
    }
    if (n >= 0) free(list);
}

void rb_dirname(const char *path, char *out, size_t cap) {
    snprintf(out, cap, "%s", path);
    char *s = strrchr(out, '/');
    if (s) *s = 0;
    else snprintf(out, cap, ".");
}

void rb_basename(const char *dir, char *out, size_t cap) {
    const char *s = strrchr(dir, '/');
    cx_textf(out, cap, "%s", s ? s + 1 : dir); // a display name
}

// ---- small table helpers ------------------------------------------------------------------------
// Sized to the text: a cell is never cut short (a long command line or path stays whole).
void rb_cell_add(rb_cells *c, const char *fmt, ...) {
    if (c->n == c->cap) c->v = cx_realloc(c->v, sizeof(char *) * (c->cap = c->cap ? 2 * c->cap : 64));
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) n = 0;
    char *text = cx_malloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(text, (size_t)n + 1, fmt, ap);
    va_end(ap);
    c->v[c->n++] = text;
}

void rb_cells_free(rb_cells *c) {
    for (int i = 0; i < c->n; i++) free(c->v[i]);
    free(c->v);
    memset(c, 0, sizeof *c);
}

// A whole CSV as a document table (at most max_rows rows), optionally filtered on one column.
void rb_csv_table(rp_doc *d, const char *path, const char *caption, const char *filter_col,
                         const char *filter_val, int max_rows) {
    cx_error err;
    csv_table *t = csv_table_read(path, &err);
    if (!t) {
        rp_doc_paragraph(d, err.msg);
        return;
    }
    int fc = filter_col ? csv_col(t, filter_col) : -1;
    int nc = csv_ncols(t);
    const char **hdr = cx_malloc(sizeof(char *) * nc);
    for (int c = 0; c < nc; c++) hdr[c] = csv_colname(t, c);
    rb_cells body = {0};
    int rows = 0;
    for (int64_t r = 0; r < csv_nrows(t) && rows < max_rows; r++) {
        if (fc >= 0 && strcmp(csv_get(t, r, fc), filter_val)) continue;
        for (int c = 0; c < nc; c++) rb_cell_add(&body, "%s", csv_get(t, r, c));
        rows++;
    }
    rp_doc_table(d, caption, nc, rows, hdr, (const char *const *)body.v);
    rb_cells_free(&body);
    free(hdr);
    csv_table_free(t);
}

double rb_num(const char *s) {
    double v;
    return csv_parse_double(s, &v) == CSV_NUM_OK ? v : NAN;
}

void rb_embed(rp_doc *d, const char *png, const char *html_dir, const char *caption) {
    cx_error err;
    // Markdown links relative to the report's directory when the figure lies below it.
    size_t l = strlen(html_dir);
    const char *rel = (!strncmp(png, html_dir, l) && png[l] == '/') ? png + l + 1 : png;
    if (rp_doc_image(d, png, rel, caption, &err)) rp_doc_paragraph(d, err.msg);
}

// ---- JSON records as field/value tables ---------------------------------------------------------
// A record (summary.json, run.json, compare.json) reads as one row per value: nested objects as
// dotted keys (images_per_split.train), entries of arrays of objects as key[i]. Nothing is left
// out without a row that says what was left out and where to find it.
enum {
    RB_LIST_MAX = 16,    // arrays of scalars up to this many values are listed in one cell,
    RB_LIST_CHARS = 300, // when the list stays this short; longer ones are summarised
    RB_ENTRIES_MAX = 20, // entries of an array of objects shown; the rest are counted
};

typedef struct rb_record {
    rb_cells body; // field, value, field, value, ...
    int rows;
    const char *file; // the record's file name, for "see <file>"
} rb_record;

static void rb_row(rb_record *r, const char *key, const char *value) {
    rb_cell_add(&r->body, "%s", key[0] ? key : "(whole file)");
    rb_cell_add(&r->body, "%s", value);
    r->rows++;
}

// 1083 -> "1,083" (counts in sentences; values in the table keep their exact digits).
static void rb_thousands(long long v, char *out, size_t cap) {
    char digits[32];
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    int n = snprintf(digits, sizeof digits, "%llu", u), o = 0;
    if (v < 0 && o + 1 < (int)cap) out[o++] = '-';
    for (int i = 0; i < n && o + 2 < (int)cap; i++) {
        if (i && (n - i) % 3 == 0) out[o++] = ',';
        out[o++] = digits[i];
    }
    out[o] = 0;
}

// Settings people type (0.0005, 1e-05, 2.5) have few digits and are shown exactly; measured values
// (0.93341090200010512 seconds) get 4 significant digits; whole numbers print as integers.
static void rb_real(double v, char *out, size_t cap) {
    if (v == floor(v) && fabs(v) < 1e15) {
        snprintf(out, cap, "%.0f", v);
        return;
    }
    for (int digits = 1; digits <= 6; digits++) {
        snprintf(out, cap, "%.*g", digits, v);
        if (strtod(out, NULL) == v) return;
    }
    if (fabs(v) >= 1e4 && fabs(v) < 1e15) snprintf(out, cap, "%.0f", v);
    else snprintf(out, cap, "%.4g", v);
}

// A scalar as text: strings as they are, integers as integers, reals by rb_real, booleans yes/no,
// null "none". Returns the string itself or buf.
static const char *rb_json_scalar(const json_t *v, char *buf, size_t cap) {
    switch (json_typeof(v)) {
    case JSON_STRING: return json_string_value(v);
    case JSON_INTEGER: snprintf(buf, cap, "%lld", (long long)json_integer_value(v)); break;
    case JSON_REAL: rb_real(json_real_value(v), buf, cap); break;
    case JSON_TRUE: snprintf(buf, cap, "yes"); break;
    case JSON_FALSE: snprintf(buf, cap, "no"); break;
    default: snprintf(buf, cap, "none"); break;
    }
    return buf;
}

static int rb_json_is_scalar(const json_t *v) { return !json_is_object(v) && !json_is_array(v); }

// "6, 12, 24, 16", or NULL when the array is too long to read in one cell.
static char *rb_json_list(const json_t *a) {
    size_t n = json_array_size(a), len = 0;
    if (n > RB_LIST_MAX) return NULL;
    char *list = cx_strdup("");
    for (size_t i = 0; i < n && len <= RB_LIST_CHARS; i++) {
        char buf[64];
        const char *t = rb_json_scalar(json_array_get(a, i), buf, sizeof buf);
        size_t l = strlen(t);
        list = cx_realloc(list, len + l + 3);
        if (i) memcpy(list + len, ", ", 2), len += 2;
        memcpy(list + len, t, l + 1);
        len += l;
    }
    if (len > RB_LIST_CHARS) {
        free(list);
        return NULL;
    }
    return list;
}

// A long array of scalars: how many, their range when numbers, and where they are.
static void rb_json_list_summary(rb_record *r, const char *key, const json_t *a) {
    size_t n = json_array_size(a);
    int numbers = 1, strings = 1;
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        const json_t *x = json_array_get(a, i);
        numbers &= json_is_number(x);
        strings &= json_is_string(x);
        if (!json_is_number(x)) continue;
        lo = fmin(lo, json_number_value(x));
        hi = fmax(hi, json_number_value(x));
    }
    char count[32], lo_s[32], hi_s[32], line[400];
    rb_thousands((long long)n, count, sizeof count);
    if (numbers) {
        rb_real(lo, lo_s, sizeof lo_s);
        rb_real(hi, hi_s, sizeof hi_s);
        snprintf(line, sizeof line, "%s numbers from %s to %s, not listed here (see %s)", count,
                 lo_s, hi_s, r->file);
    } else {
        snprintf(line, sizeof line, "%s %s, not listed here (see %s)", count,
                 strings ? "strings" : "values", r->file);
    }
    rb_row(r, key, line);
}

static void rb_flatten(rb_record *r, char *key, size_t cap, const json_t *v);

// Arrays of scalars in one cell (or summarised); arrays of objects entry by entry as key[i].
static void rb_flatten_array(rb_record *r, char *key, size_t cap, const json_t *a) {
    size_t n = json_array_size(a), len = strlen(key), shown = 0; // entries flattened
    int all_scalars = 1;
    for (size_t i = 0; i < n; i++) all_scalars &= rb_json_is_scalar(json_array_get(a, i));
    if (n == 0) {
        rb_row(r, key, "none");
    } else if (all_scalars) {
        char *list = rb_json_list(a);
        if (list) rb_row(r, key, list);
        else rb_json_list_summary(r, key, a);
        free(list);
    } else {
        for (; shown < n && shown < RB_ENTRIES_MAX; shown++) {
            snprintf(key + len, cap - len, "[%zu]", shown);
            rb_flatten(r, key, cap, json_array_get(a, shown));
        }
        if (shown < n) {
            char count[32], line[300];
            snprintf(key + len, cap - len, "[%zu-%zu]", shown, n - 1);
            rb_thousands((long long)(n - shown), count, sizeof count);
            snprintf(line, sizeof line, "%s more entries, not listed here (see %s)", count, r->file);
            rb_row(r, key, line);
        }
    }
    key[len] = 0;
}

// key: the dotted path so far, extended in place and restored.
static void rb_flatten(rb_record *r, char *key, size_t cap, const json_t *v) {
    size_t len = strlen(key);
    if (json_is_object(v)) {
        if (json_object_size(v) == 0) rb_row(r, key, "none");
        const char *k;
        json_t *x;
        json_object_foreach((json_t *)v, k, x) {
            snprintf(key + len, cap - len, "%s%s", len ? "." : "", k);
            rb_flatten(r, key, cap, x);
        }
        key[len] = 0;
    } else if (json_is_array(v)) {
        rb_flatten_array(r, key, cap, v);
    } else {
        char buf[64];
        rb_row(r, key, rb_json_scalar(v, buf, sizeof buf));
    }
}

void rb_json_table(rp_doc *d, const char *path, const char *caption) {
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    if (!root) {
        char line[4400];
        snprintf(line, sizeof line, "%s: line %d: %s (not shown)", path, je.line, je.text);
        rp_doc_paragraph(d, line);
        return;
    }
    const char *slash = strrchr(path, '/');
    rb_record r = {.file = slash ? slash + 1 : path};
    char key[4096] = "";
    rb_flatten(&r, key, sizeof key, root);
    const char *hdr[2] = {"field", "value"};
    rp_doc_table(d, caption, 2, r.rows, hdr, (const char *const *)r.body.v);
    rb_cells_free(&r.body);
    json_decref(root);
}

// A Markdown pipe table (prose lines, then a header row, a --- row and body rows: what
// `eval --compare` writes) as a report table, the prose joining the caption; **bold** markers
// dropped. -1, with nothing added, when text is not such a table.
static int md_table(rp_doc *d, const char *caption, const char *text) {
    rb_cells cells = {0};
    int ncols = -1, nrows = 0, line_no = 0, rc = 0;
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
            rb_cell_add(&cells, "%s", a);
        }
        if (ncols < 0) ncols = k;
        if (k != ncols || k == 0) {
            rc = -1;
            break;
        }
        if (line_no > 1) nrows++;
    }
    if (!rc && ncols > 0 && line_no >= 2)
        rp_doc_table(d, cap, ncols, nrows, (const char *const *)cells.v,
                     (const char *const *)cells.v + ncols);
    else rc = -1;
    rb_cells_free(&cells);
    free(copy);
    return rc;
}

// ---- sections -----------------------------------------------------------------------------------
void rb_section_data(rp_doc *d, int n_dirs, const char *const *dirs) {
    rb_found f;
    rb_find_all(n_dirs, dirs, "summary.json", &f);
    if (!f.n) return;
    rp_doc_heading(d, 2, "Data");
    for (int i = 0; i < f.n; i++) {
        char cap[4200];
        snprintf(cap, sizeof cap, "Dataset pack summary (%s)", f.path[i]);
        rb_json_table(d, f.path[i], cap);
    }
}

void rb_section_training(rp_doc *d, int n_dirs, const char *const *dirs, const char *out_dir) {
    rb_found f;
    rb_find_all(n_dirs, dirs, "log.csv", &f);
    if (!f.n) return;
    rp_doc_heading(d, 2, "Training");
    for (int i = 0; i < f.n; i++) {
        char run[4096], name[256];
        rb_dirname(f.path[i], run, sizeof run);
        rb_basename(run, name, sizeof name);
        cx_error err;
        train_log_row *rows;
        int n;
        if (train_log_read(run, &rows, &n, &err)) {
            cx_warn("report: %s", err.msg);
            continue;
        }
        if (n < 1) {
            free(rows);
            continue;
        }
        double *tr = cx_malloc(sizeof(double) * n), *va = cx_malloc(sizeof(double) * n),
               *au = cx_malloc(sizeof(double) * n), ymax = 0;
        char (*xb)[16] = cx_malloc(sizeof *xb * n);
        const char **xs = cx_malloc(sizeof(char *) * n);
        for (int r = 0; r < n; r++) {
            tr[r] = rows[r].train_loss;
            va[r] = rows[r].val_loss;
            au[r] = rows[r].val_mean_auroc;
            if (isfinite(tr[r])) ymax = fmax(ymax, tr[r]);
            if (isfinite(va[r])) ymax = fmax(ymax, va[r]);
            snprintf(xb[r], sizeof xb[r], "%d", rows[r].epoch);
            xs[r] = xb[r];
        }
        rp_series s[3] = {{"train loss", tr, NULL, NULL}, {"val loss", va, NULL, NULL},
                          {"val mean AUROC", au, NULL, NULL}};
        char fig[4200], title[300];
        snprintf(fig, sizeof fig, "%s/fig_train_%s", out_dir, name);
        snprintf(title, sizeof title, "%s: loss and validation AUROC per epoch", name);
        if (rp_lines(fig, title, "epoch", "loss / AUROC", n, xs, 3, s, 0,
                     fmax(1.0, ymax * 1.05), &err) == 0) {
            char png[4300];
            snprintf(png, sizeof png, "%s.png", fig);
            rb_embed(d, png, out_dir, title);
        }
        char cap[4200];
        snprintf(cap, sizeof cap, "%s (%s)", name, f.path[i]);
        rb_csv_table(d, f.path[i], cap, NULL, NULL, 50);
        free(xs);
        free(xb);
        free(tr);
        free(va);
        free(au);
        free(rows);
    }
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
static void rb_auroc_table(rp_doc *d, const rb_auroc *a, const char *out_dir, rb_cells *findings) {
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
    int rows = 0;
    const char *row_names[CX_N_LABELS];
    double fe[8][CX_N_LABELS], fl[8][CX_N_LABELS], fh[8][CX_N_LABELS];
    for (int c = 0; c < CX_N_LABELS; c++) {
        if (!present[c]) continue;
        rb_cell_add(&body, "%s", CX_LABELS[c]);
        for (int m = 0; m < nm; m++) {
            double e = a->est[m][c], lo = a->lo[m][c], hi = a->hi[m][c];
            if (isnan(e)) rb_cell_add(&body, "n/a");
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
        rb_cell_add(&body, k ? "%.3f" : "n/a", k ? s / k : 0.0);
        rb_cell_add(findings, "%s reaches a mean test AUROC of %.3f over the %d labels present.",
                    a->name[m], k ? s / k : NAN, k);
    }
    rp_doc_table(d, "AUROC per label (the study's layout)", nm + 1, rows + 1, hdr,
                 (const char *const *)body.v);
    rb_cells_free(&body);
    if (rows == 0) return;
    rp_series s[8];
    for (int m = 0; m < nm; m++) s[m] = (rp_series){a->name[m], fe[m], fl[m], fh[m]};
    char fig[4200];
    cx_error err;
    snprintf(fig, sizeof fig, "%s/fig_auroc_forest", out_dir);
    if (rp_forest(fig, "Per-label AUROC with 95% DeLong CI", "AUROC", rows, row_names, nm, s, 0.4,
                  1.0, &err) == 0) {
        char png[4300];
        snprintf(png, sizeof png, "%s.png", fig);
        rb_embed(d, png, out_dir, "AUROC forest plot (test split)");
    }
}

void rb_section_auroc(rp_doc *d, int n_dirs, const char *const *dirs, const char *out_dir,
                      rb_cells *findings) {
    rb_auroc *a = cx_malloc(sizeof *a);
    rb_auroc_collect(n_dirs, dirs, a);
    if (a->n) {
        rp_doc_heading(d, 2, "Classification: per-label AUROC on the test split");
        rb_auroc_table(d, a, out_dir, findings);
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
        for (int m = 0; m < a->n; m++) {
            char cap[300];
            snprintf(cap, sizeof cap, "%s: AUROC with DeLong and patient-bootstrap CIs",
                     a->name[m]);
            rb_csv_table(d, a->path[m], cap, NULL, NULL, 20);
        }
    }
    free(a);
}

// ---- the report ---------------------------------------------------------------------------------
static void build_sections(rp_doc *d, int n_dirs, const char *const *dirs, const char *out_dir,
                           rb_cells *findings) {
    rb_section_data(d, n_dirs, dirs);
    rb_section_auroc(d, n_dirs, dirs, out_dir, findings);
    rb_section_compare(d, n_dirs, dirs, out_dir, findings);
    rb_section_sanity(d, n_dirs, dirs, out_dir, findings);
    rb_section_training(d, n_dirs, dirs, out_dir);
    rb_section_settings(d, n_dirs, dirs);
}

int report_build(const char *html_path, int n_dirs, const char *const *dirs, cx_error *err) {
    char out_dir[4096], md_path[4200];
    rb_dirname(html_path, out_dir, sizeof out_dir);
    if (cx_mkdir_p(out_dir, err)) return -1;
    for (int i = 0; i < n_dirs; i++)
        if (!cx_is_dir(dirs[i])) return cx_fail(err, "%s: not a directory", dirs[i]);
    size_t l = strlen(html_path);
    if (l > 5 && !strcmp(html_path + l - 5, ".html"))
        snprintf(md_path, sizeof md_path, "%.*s.md", (int)(l - 5), html_path);
    else
        snprintf(md_path, sizeof md_path, "%s.md", html_path);
    const char *title = "cxrgaze: does the classifier look where radiologists look?";
    // Pass 1 gathers the findings (they open the report); pass 2 writes the page.
    rb_cells findings = {0};
    rp_doc *scratch = rp_doc_new(title);
    build_sections(scratch, n_dirs, dirs, out_dir, &findings);
    rp_doc_free(scratch);
    if (findings.n == 0 && !cx_path_exists(out_dir))
        return cx_fail(err, "nothing to report in the given directories");
    rp_doc *d = rp_doc_new(title);
    rp_doc_paragraph(d, "Chest X-ray classifiers (DenseNet-121 and the gaze-supervised DenseNet-Aug) "
                        "against radiologists' eye gaze: classification quality, image-level and "
                        "region-level agreement of six saliency methods with gaze, and sanity checks.");
    rp_doc_heading(d, 2, "Findings in plain words");
    rb_cells tmp = {0};
    if (findings.n == 0) rb_cell_add(&tmp, "No evaluation, comparison or sanity outputs were found.");
    rp_doc_bullets(d, findings.n ? findings.n : tmp.n,
                   (const char *const *)(findings.n ? findings.v : tmp.v));
    rb_cells_free(&tmp);
    rb_cells_free(&findings);
    rb_cells ignored = {0};
    build_sections(d, n_dirs, dirs, out_dir, &ignored);
    rb_cells_free(&ignored);
    int rc = rp_doc_write(d, html_path, md_path, err);
    rp_doc_free(d);
    return rc;
}
