// study/faithfulness_files.c: the faithfulness stage's files, a writer and a reader each, side by
// side: faithfulness.csv, faithfulness_curves.csv, faithfulness_items.csv (study.h). Numbers
// %.6f; NaN is an empty cell (and an empty cell reads as NaN).
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "study/table_internal.h"

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

// ---- writers (table.c: reals %.6f, NaN an empty cell) -----------------------------------------
static int faith_text(const void *rows, int64_t i, study_cell *c) {
    const study_faith_row *r = (const study_faith_row *)rows + i;
    tbl_cell_text(c[F_MODEL], r->model);
    tbl_cell_text(c[F_METHOD], study_faith_method_name(r->method));
    tbl_cell_text(c[F_LABEL], label_name(r->label));
    tbl_cell_int(c[F_N], r->n);
    const double v[] = {r->deletion_auc, r->del_lo, r->del_hi, r->insertion_auc, r->ins_lo,
                        r->ins_hi};
    for (int k = 0; k < 6; k++) tbl_cell_real(c[F_DEL + k], "%.6f", v[k]);
    return 1;
}

static int curve_text(const void *rows, int64_t i, study_cell *c) {
    const study_faith_curve *r = (const study_faith_curve *)rows + i;
    tbl_cell_text(c[C_MODEL], r->model);
    tbl_cell_text(c[C_METHOD], study_faith_method_name(r->method));
    tbl_cell_text(c[C_KIND], study_faith_kind_name(r->kind));
    tbl_cell_int(c[C_STEP], r->step);
    tbl_cell_real(c[C_FRACTION], "%.6f", r->fraction);
    tbl_cell_real(c[C_PROB], "%.6f", r->probability);
    return 1;
}

static int item_text(const void *rows, int64_t i, study_cell *c) {
    const study_faith_item *r = (const study_faith_item *)rows + i;
    tbl_cell_text(c[I_MODEL], r->model);
    tbl_cell_text(c[I_METHOD], study_faith_method_name(r->method));
    tbl_cell_text(c[I_IMAGE], r->image);
    tbl_cell_text(c[I_LABEL], label_name(r->label));
    tbl_cell_real(c[I_DEL], "%.6f", r->deletion_auc);
    tbl_cell_real(c[I_INS], "%.6f", r->insertion_auc);
    return 1;
}

// dir/name, written by tbl_write_table or read by tbl_read_table.
static int write_file(const char *dir, const char *name, int ncols, const char *const *cols,
                      const void *rows, int64_t n, tbl_row_text_fn text, cx_error *err) {
    char path[4200];
    if (file_path(dir, name, path, sizeof path, err)) return -1;
    return tbl_write_table(path, ncols, cols, rows, n, text, err);
}

static int read_file(const char *dir, const char *name, int ncols, const char *const *cols,
                     size_t size, tbl_row_parse_fn parse, void **rows, int64_t *n, cx_error *err) {
    char path[4200];
    *rows = NULL, *n = 0;
    if (file_path(dir, name, path, sizeof path, err)) return -1;
    return tbl_read_table(path, ncols, cols, size, parse, rows, n, err);
}

int study_faith_write(const char *dir, const study_faith_row *rows, int64_t n, cx_error *err) {
    return write_file(dir, FAITH_CSV, F_NCOLS, faith_cols, rows, n, faith_text, err);
}

int study_faith_curves_write(const char *dir, const study_faith_curve *c, int64_t n,
                             cx_error *err) {
    return write_file(dir, CURVES_CSV, C_NCOLS, curve_cols, c, n, curve_text, err);
}

int study_faith_items_write(const char *dir, const study_faith_item *it, int64_t n,
                            cx_error *err) {
    return write_file(dir, ITEMS_CSV, I_NCOLS, item_cols, it, n, item_text, err);
}

// ---- readers (table.c's typed cells: file:line and column on a bad cell) -----------------------
static int get_method(const tbl_reader *rd, int col, int *v) {
    *v = study_faith_method_parse(tbl_cell_of(rd, col));
    return *v >= 0 ? 0 : tbl_bad_cell(rd, col, "a method (sl, gc, ...) or random");
}

static int parse_faith(const tbl_reader *rd, void *out) {
    study_faith_row *r = out;
    if (tbl_get_text(rd, F_MODEL, r->model, sizeof r->model) ||
        get_method(rd, F_METHOD, &r->method) || tbl_get_label(rd, F_LABEL, &r->label) ||
        tbl_get_count(rd, F_N, 0, INT64_MAX, &r->n))
        return -1;
    double *v[] = {&r->deletion_auc, &r->del_lo, &r->del_hi, &r->insertion_auc, &r->ins_lo,
                   &r->ins_hi};
    for (int k = 0; k < 6; k++)
        if (tbl_get_real(rd, F_DEL + k, v[k])) return -1;
    return 0;
}

static int parse_curve(const tbl_reader *rd, void *out) {
    study_faith_curve *r = out;
    int64_t step;
    if (tbl_get_text(rd, C_MODEL, r->model, sizeof r->model) ||
        get_method(rd, C_METHOD, &r->method) ||
        tbl_get_count(rd, C_STEP, 0, STUDY_FAITH_MAX_STEPS, &step) ||
        tbl_get_real(rd, C_FRACTION, &r->fraction) || tbl_get_real(rd, C_PROB, &r->probability))
        return -1;
    r->step = (int)step;
    const char *kind = tbl_cell_of(rd, C_KIND);
    if (!strcmp(kind, study_faith_kind_name(STUDY_FAITH_DELETION))) r->kind = STUDY_FAITH_DELETION;
    else if (!strcmp(kind, study_faith_kind_name(STUDY_FAITH_INSERTION)))
        r->kind = STUDY_FAITH_INSERTION;
    else return tbl_bad_cell(rd, C_KIND, "deletion or insertion");
    return 0;
}

static int parse_item(const tbl_reader *rd, void *out) {
    study_faith_item *r = out;
    return tbl_get_text(rd, I_MODEL, r->model, sizeof r->model) ||
                   get_method(rd, I_METHOD, &r->method) ||
                   tbl_get_text(rd, I_IMAGE, r->image, sizeof r->image) ||
                   tbl_get_label_name(rd, I_LABEL, &r->label) ||
                   tbl_get_real(rd, I_DEL, &r->deletion_auc) ||
                   tbl_get_real(rd, I_INS, &r->insertion_auc)
               ? -1
               : 0;
}

int study_faith_read(const char *dir, study_faith_row **rows, int64_t *n, cx_error *err) {
    return read_file(dir, FAITH_CSV, F_NCOLS, faith_cols, sizeof **rows, parse_faith,
                     (void **)rows, n, err);
}

int study_faith_curves_read(const char *dir, study_faith_curve **c, int64_t *n, cx_error *err) {
    return read_file(dir, CURVES_CSV, C_NCOLS, curve_cols, sizeof **c, parse_curve, (void **)c, n,
                     err);
}

int study_faith_items_read(const char *dir, study_faith_item **it, int64_t *n, cx_error *err) {
    return read_file(dir, ITEMS_CSV, I_NCOLS, item_cols, sizeof **it, parse_item, (void **)it, n,
                     err);
}

void study_faith_log(const study_faith_result *r, const char *out_dir) {
    for (int64_t i = 0; i < r->n_rows; i++)
        if (r->rows[i].label == STUDY_ALL_LABELS)
            cx_info("faithfulness: %-8s n %lld  deletion AUC %.4f  insertion AUC %.4f",
                    study_faith_method_name(r->rows[i].method), (long long)r->rows[i].n,
                    r->rows[i].deletion_auc, r->rows[i].insertion_auc);
    cx_info("faithfulness: faithfulness.csv, faithfulness_curves.csv, faithfulness_items.csv in %s",
            out_dir);
}
