// study: what the stages' CSV writers and readers share (compare's files, localize's,
// faithfulness's): cells as the files hold them, the table writer, and the reader of a file's
// named columns with typed cell parsers that name file:line and column on a bad cell.
#include "study/table_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

// ---- cells -------------------------------------------------------------------------------------
void tbl_cell_text(study_cell c, const char *s) {
    snprintf(c, sizeof(study_cell), "%s", s);
}
void tbl_cell_int(study_cell c, int64_t v) {
    snprintf(c, sizeof(study_cell), "%lld", (long long)v);
}
// fmt: one double conversion; NaN -> empty.
void tbl_cell_real(study_cell c, const char *fmt, double v) {
    if (isnan(v))
        c[0] = 0;
    else
        snprintf(c, sizeof(study_cell), fmt, v);
}
// fmt: one double conversion, NaN as printf writes it ("nan"): the cells that compare has always
// written that way (a region fraction of no maps, a truth ratio, ...) keep their bytes.
void tbl_cell_num(study_cell c, const char *fmt, double v) {
    snprintf(c, sizeof(study_cell), fmt, v);
}

// Writes the header and the rows for which text(rows, i, cells) fills ncols cells and returns 1.
int tbl_write_table(const char *path, int ncols, const char *const *cols, const void *rows,
                    int64_t n, tbl_row_text_fn text, cx_error *err) {
    csv_writer *w = csv_writer_open(path, err);
    if (!w) return -1;
    csv_writer_row(w, ncols, cols);
    study_cell cells[TBL_MAX_COLS];
    const char *fields[TBL_MAX_COLS];
    for (int k = 0; k < ncols; k++)
        fields[k] = cells[k];
    for (int64_t i = 0; i < n; i++)
        if (text(rows, i, cells)) csv_writer_row(w, ncols, fields);
    return csv_writer_commit(w, err);
}

// ---- reading -----------------------------------------------------------------------------------

// The first ncols - n_optional columns are required; the last n_optional (columns added later)
// may be missing: their cells read as empty.
int tbl_reader_open(tbl_reader *rd, const char *path, int ncols, int n_optional,
                    const char *const *cols, cx_error *err) {
    *rd = (tbl_reader){.cols = cols, .err = err};
    if (!(rd->t = csv_table_read(path, err))) return -1;
    if (csv_require_cols(rd->t, cols, ncols - n_optional, rd->idx, err)) {
        csv_table_free(rd->t);
        return -1;
    }
    for (int c = ncols - n_optional; c < ncols; c++)
        rd->idx[c] = csv_col(rd->t, cols[c]);
    return 0;
}

const char *tbl_cell_of(const tbl_reader *rd, int col) {
    return rd->idx[col] < 0 ? "" : csv_get(rd->t, rd->r, rd->idx[col]);
}

int tbl_bad_cell(const tbl_reader *rd, int col, const char *expected) {
    return cx_fail(rd->err, "%s:%lld: column \"%s\": expected %s, got \"%s\"", csv_path(rd->t),
                   (long long)csv_row_line(rd->t, rd->r), rd->cols[col], expected,
                   tbl_cell_of(rd, col));
}

int tbl_get_text(const tbl_reader *rd, int col, char *out, size_t cap) {
    if (strlen(tbl_cell_of(rd, col)) >= cap) return tbl_bad_cell(rd, col, "a shorter name");
    snprintf(out, cap, "%s", tbl_cell_of(rd, col));
    return 0;
}

int tbl_get_int64(const tbl_reader *rd, int col, int64_t *v) {
    return csv_parse_int64(tbl_cell_of(rd, col), v) == CSV_NUM_OK
               ? 0
               : tbl_bad_cell(rd, col, "an integer");
}

int tbl_get_count(const tbl_reader *rd, int col, int64_t lo, int64_t hi, int64_t *v) {
    if (csv_parse_int64(tbl_cell_of(rd, col), v) != CSV_NUM_OK || *v < lo || *v > hi)
        return tbl_bad_cell(rd, col, "an integer in range");
    return 0;
}

int tbl_get_real(const tbl_reader *rd, int col, double *v) { // empty, "nan" or "-nan": NaN
    const char *s = tbl_cell_of(rd, col);
    if (!strcmp(s, "nan") || !strcmp(s, "-nan")) {
        *v = NAN;
        return 0;
    }
    return csv_parse_double_or_nan(s, v) == CSV_NUM_BAD
               ? tbl_bad_cell(rd, col, "a number or an empty cell")
               : 0;
}

int tbl_get_source(const tbl_reader *rd, int col, int *v) {
    *v = study_source_parse(tbl_cell_of(rd, col));
    return *v >= 0
               ? 0
               : tbl_bad_cell(rd, col, "a method (sl, gc, ...), centre_bias, mean_gaze or gaze");
}

int tbl_get_label_name(const tbl_reader *rd, int col, int *v) {
    *v = label_from_name(tbl_cell_of(rd, col));
    return *v >= 0 ? 0 : tbl_bad_cell(rd, col, "a label name");
}

int tbl_get_label(const tbl_reader *rd, int col, int *v) {
    const char *s = tbl_cell_of(rd, col);
    if (!strcmp(s, "all")) {
        *v = STUDY_ALL_LABELS;
        return 0;
    }
    *v = label_from_name(s);
    return *v >= 0 ? 0 : tbl_bad_cell(rd, col, "a label name or \"all\"");
}

int tbl_get_region(const tbl_reader *rd, int col, int *v) {
    for (*v = 0; *v < CX_N_REGIONS; (*v)++)
        if (!strcmp(tbl_cell_of(rd, col), CX_REGIONS[*v])) return 0;
    return tbl_bad_cell(rd, col, "a region name");
}

int tbl_get_group(const tbl_reader *rd, int col, study_group *g) {
    for (int k = 0; k < STUDY_N_GROUPS; k++)
        if (!strcmp(tbl_cell_of(rd, col), study_group_name((study_group)k))) {
            *g = (study_group)k;
            return 0;
        }
    return tbl_bad_cell(rd, col, "correct or incorrect");
}

// Rows parsed one by one by parse(rd, row); *rows gets them (free()).
int tbl_read_table_opt(const char *path, int ncols, int n_optional, const char *const *cols,
                       size_t row_size, tbl_row_parse_fn parse, void **rows, int64_t *n,
                       cx_error *err) {
    tbl_reader rd;
    *rows = NULL;
    *n = 0;
    if (tbl_reader_open(&rd, path, ncols, n_optional, cols, err)) return -1;
    int64_t nr = csv_nrows(rd.t);
    char *v = cx_calloc((size_t)(nr ? nr : 1), row_size);
    for (rd.r = 0; rd.r < nr; rd.r++)
        if (parse(&rd, v + (size_t)rd.r * row_size)) {
            free(v);
            csv_table_free(rd.t);
            return -1;
        }
    csv_table_free(rd.t);
    *rows = v;
    *n = nr;
    return 0;
}

int tbl_read_table(const char *path, int ncols, const char *const *cols, size_t row_size,
                   tbl_row_parse_fn parse, void **rows, int64_t *n, cx_error *err) {
    return tbl_read_table_opt(path, ncols, 0, cols, row_size, parse, rows, n, err);
}
