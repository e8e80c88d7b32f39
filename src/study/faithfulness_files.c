// study/faithfulness_files.c: the faithfulness stage's files, a writer and a reader each, side by
// side: faithfulness.csv, faithfulness_curves.csv, faithfulness_items.csv (study.h). Numbers
// %.6f; NaN is an empty cell (and an empty cell reads as NaN).
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "study/study.h"

static const char *const faith_cols[] = {"model",         "method", "label",  "n",
                                         "deletion_auc",  "del_lo", "del_hi", "insertion_auc",
                                         "ins_lo",        "ins_hi"};
enum {
    F_MODEL,
    F_METHOD,
    F_LABEL,
    F_N,
    F_DEL,
    F_DEL_LO,
    F_DEL_HI,
    F_INS,
    F_INS_LO,
    F_INS_HI,
    F_NCOLS
};
_Static_assert(sizeof faith_cols / sizeof *faith_cols == F_NCOLS, "faithfulness.csv columns");

static const char *const curve_cols[] = {"model", "method", "kind", "step", "fraction",
                                         "probability"};
enum { C_MODEL, C_METHOD, C_KIND, C_STEP, C_FRACTION, C_PROB, C_NCOLS };
_Static_assert(sizeof curve_cols / sizeof *curve_cols == C_NCOLS, "curves columns");

static const char *const item_cols[] = {"model", "method",       "image",
                                        "label", "deletion_auc", "insertion_auc"};
enum { I_MODEL, I_METHOD, I_IMAGE, I_LABEL, I_DEL, I_INS, I_NCOLS };
_Static_assert(sizeof item_cols / sizeof *item_cols == I_NCOLS, "items columns");

#define FAITH_CSV "faithfulness.csv"
#define CURVES_CSV "faithfulness_curves.csv"
#define ITEMS_CSV "faithfulness_items.csv"

static int file_path(const char *dir, const char *name, char *out, size_t cap, cx_error *err) {
    return cx_pathf(out, cap, err, "%s/%s", dir, name);
}

static const char *label_name(int label) {
    return label == STUDY_ALL_LABELS ? "all" : CX_LABELS[label];
}

// A real as the file holds it: %.6f, NaN empty.
static void field_real(csv_writer *w, double v) {
    if (isnan(v)) csv_writer_field(w, "");
    else csv_writer_fieldf(w, "%.6f", v);
}

// ---- writers -----------------------------------------------------------------------------------
int study_faith_write(const char *dir, const study_faith_row *rows, int64_t n, cx_error *err) {
    char path[4200];
    if (file_path(dir, FAITH_CSV, path, sizeof path, err)) return -1;
    csv_writer *w = csv_writer_open(path, err);
    if (!w) return -1;
    csv_writer_row(w, F_NCOLS, faith_cols);
    for (int64_t i = 0; i < n; i++) {
        const study_faith_row *r = &rows[i];
        csv_writer_field(w, r->model);
        csv_writer_field(w, study_faith_method_name(r->method));
        csv_writer_field(w, label_name(r->label));
        csv_writer_fieldf(w, "%lld", (long long)r->n);
        const double v[] = {r->deletion_auc, r->del_lo, r->del_hi, r->insertion_auc, r->ins_lo,
                            r->ins_hi};
        for (int k = 0; k < 6; k++) field_real(w, v[k]);
        csv_writer_end_row(w);
    }
    return csv_writer_commit(w, err);
}

int study_faith_curves_write(const char *dir, const study_faith_curve *c, int64_t n,
                             cx_error *err) {
    char path[4200];
    if (file_path(dir, CURVES_CSV, path, sizeof path, err)) return -1;
    csv_writer *w = csv_writer_open(path, err);
    if (!w) return -1;
    csv_writer_row(w, C_NCOLS, curve_cols);
    for (int64_t i = 0; i < n; i++) {
        csv_writer_field(w, c[i].model);
        csv_writer_field(w, study_faith_method_name(c[i].method));
        csv_writer_field(w, study_faith_kind_name(c[i].kind));
        csv_writer_fieldf(w, "%d", c[i].step);
        field_real(w, c[i].fraction);
        field_real(w, c[i].probability);
        csv_writer_end_row(w);
    }
    return csv_writer_commit(w, err);
}

int study_faith_items_write(const char *dir, const study_faith_item *it, int64_t n,
                            cx_error *err) {
    char path[4200];
    if (file_path(dir, ITEMS_CSV, path, sizeof path, err)) return -1;
    csv_writer *w = csv_writer_open(path, err);
    if (!w) return -1;
    csv_writer_row(w, I_NCOLS, item_cols);
    for (int64_t i = 0; i < n; i++) {
        csv_writer_field(w, it[i].model);
        csv_writer_field(w, study_faith_method_name(it[i].method));
        csv_writer_field(w, it[i].image);
        csv_writer_field(w, label_name(it[i].label));
        field_real(w, it[i].deletion_auc);
        field_real(w, it[i].insertion_auc);
        csv_writer_end_row(w);
    }
    return csv_writer_commit(w, err);
}

// ---- readers -----------------------------------------------------------------------------------
typedef struct reader {
    csv_table *t;
    const char *const *cols;
    int idx[16];
    int64_t r;
    cx_error *err;
} reader;

static int reader_open(reader *rd, const char *dir, const char *name, int ncols,
                       const char *const *cols, cx_error *err) {
    char path[4200];
    *rd = (reader){.cols = cols, .err = err};
    if (file_path(dir, name, path, sizeof path, err)) return -1;
    if (!(rd->t = csv_table_read(path, err))) return -1;
    if (csv_require_cols(rd->t, cols, ncols, rd->idx, err)) {
        csv_table_free(rd->t);
        return -1;
    }
    return 0;
}

static const char *cell(const reader *rd, int col) { return csv_get(rd->t, rd->r, rd->idx[col]); }

static int bad(const reader *rd, int col, const char *expected) {
    return cx_fail(rd->err, "%s:%lld: column \"%s\": expected %s, got \"%s\"", csv_path(rd->t),
                   (long long)csv_row_line(rd->t, rd->r), rd->cols[col], expected, cell(rd, col));
}

static int get_text(const reader *rd, int col, char *out, size_t cap) {
    if (strlen(cell(rd, col)) >= cap) return bad(rd, col, "a shorter name");
    snprintf(out, cap, "%s", cell(rd, col));
    return 0;
}

static int get_real(const reader *rd, int col, double *v) {
    return csv_parse_double_or_nan(cell(rd, col), v) == CSV_NUM_BAD
               ? bad(rd, col, "a number or an empty cell")
               : 0;
}

static int get_int(const reader *rd, int col, int64_t lo, int64_t hi, int64_t *v) {
    if (csv_parse_int64(cell(rd, col), v) != CSV_NUM_OK || *v < lo || *v > hi)
        return bad(rd, col, "a count");
    return 0;
}

static int get_method(const reader *rd, int col, int *v) {
    *v = study_faith_method_parse(cell(rd, col));
    return *v >= 0 ? 0 : bad(rd, col, "a method (sl, gc, ...) or random");
}

static int get_label(const reader *rd, int col, int all_ok, int *v) {
    if (all_ok && !strcmp(cell(rd, col), "all")) {
        *v = STUDY_ALL_LABELS;
        return 0;
    }
    *v = label_from_name(cell(rd, col));
    return *v >= 0 ? 0 : bad(rd, col, all_ok ? "a label name or \"all\"" : "a label name");
}

int study_faith_read(const char *dir, study_faith_row **rows, int64_t *n, cx_error *err) {
    reader rd;
    *rows = NULL, *n = 0;
    if (reader_open(&rd, dir, FAITH_CSV, F_NCOLS, faith_cols, err)) return -1;
    int64_t m = csv_nrows(rd.t);
    study_faith_row *out = cx_calloc((size_t)(m ? m : 1), sizeof *out);
    int rc = 0;
    for (rd.r = 0; rd.r < m && !rc; rd.r++) {
        study_faith_row *r = &out[rd.r];
        rc = get_text(&rd, F_MODEL, r->model, sizeof r->model) ||
             get_method(&rd, F_METHOD, &r->method) || get_label(&rd, F_LABEL, 1, &r->label) ||
             get_int(&rd, F_N, 0, INT64_MAX, &r->n) || get_real(&rd, F_DEL, &r->deletion_auc) ||
             get_real(&rd, F_DEL_LO, &r->del_lo) || get_real(&rd, F_DEL_HI, &r->del_hi) ||
             get_real(&rd, F_INS, &r->insertion_auc) || get_real(&rd, F_INS_LO, &r->ins_lo) ||
             get_real(&rd, F_INS_HI, &r->ins_hi);
    }
    csv_table_free(rd.t);
    if (rc) {
        free(out);
        return -1;
    }
    *rows = out, *n = m;
    return 0;
}

int study_faith_curves_read(const char *dir, study_faith_curve **c, int64_t *n, cx_error *err) {
    reader rd;
    *c = NULL, *n = 0;
    if (reader_open(&rd, dir, CURVES_CSV, C_NCOLS, curve_cols, err)) return -1;
    int64_t m = csv_nrows(rd.t);
    study_faith_curve *out = cx_calloc((size_t)(m ? m : 1), sizeof *out);
    int rc = 0;
    for (rd.r = 0; rd.r < m && !rc; rd.r++) {
        study_faith_curve *r = &out[rd.r];
        int64_t step = 0;
        rc = get_text(&rd, C_MODEL, r->model, sizeof r->model) ||
             get_method(&rd, C_METHOD, &r->method) ||
             get_int(&rd, C_STEP, 0, STUDY_FAITH_MAX_STEPS, &step) ||
             get_real(&rd, C_FRACTION, &r->fraction) || get_real(&rd, C_PROB, &r->probability);
        r->step = (int)step;
        if (rc) break;
        if (!strcmp(cell(&rd, C_KIND), "deletion")) r->kind = STUDY_FAITH_DELETION;
        else if (!strcmp(cell(&rd, C_KIND), "insertion")) r->kind = STUDY_FAITH_INSERTION;
        else rc = bad(&rd, C_KIND, "deletion or insertion");
    }
    csv_table_free(rd.t);
    if (rc) {
        free(out);
        return -1;
    }
    *c = out, *n = m;
    return 0;
}

int study_faith_items_read(const char *dir, study_faith_item **it, int64_t *n, cx_error *err) {
    reader rd;
    *it = NULL, *n = 0;
    if (reader_open(&rd, dir, ITEMS_CSV, I_NCOLS, item_cols, err)) return -1;
    int64_t m = csv_nrows(rd.t);
    study_faith_item *out = cx_calloc((size_t)(m ? m : 1), sizeof *out);
    int rc = 0;
    for (rd.r = 0; rd.r < m && !rc; rd.r++) {
        study_faith_item *r = &out[rd.r];
        rc = get_text(&rd, I_MODEL, r->model, sizeof r->model) ||
             get_method(&rd, I_METHOD, &r->method) ||
             get_text(&rd, I_IMAGE, r->image, sizeof r->image) ||
             get_label(&rd, I_LABEL, 0, &r->label) || get_real(&rd, I_DEL, &r->deletion_auc) ||
             get_real(&rd, I_INS, &r->insertion_auc);
    }
    csv_table_free(rd.t);
    if (rc) {
        free(out);
        return -1;
    }
    *it = out, *n = m;
    return 0;
}
