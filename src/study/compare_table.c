// study/compare: what the compare files' writers and readers share (compare_files.c,
// compare_ceiling's interobserver.csv there too): cells as the files hold them, the table writer,
// and the reader of a file's named columns with typed cell parsers that name file:line and
// column on a bad cell.
#include "study/compare_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

// ---- cells -------------------------------------------------------------------------------------
void cmp_cell_text(study_cell c, const char *s) {
    snprintf(c, sizeof(study_cell), "%s", s);
}
void cmp_cell_int(study_cell c, int64_t v) {
    snprintf(c, sizeof(study_cell), "%lld", (long long)v);
}
// fmt: one double conversion; NaN -> empty.
void cmp_cell_real(study_cell c, const char *fmt, double v) {
    if (isnan(v))
        c[0] = 0;
    else
        snprintf(c, sizeof(study_cell), fmt, v);
}
// fmt: one double conversion, NaN as printf writes it ("nan"): the cells that compare has always
// written that way (a region fraction of no maps, a truth ratio, ...) keep their bytes.
void cmp_cell_num(study_cell c, const char *fmt, double v) {
    snprintf(c, sizeof(study_cell), fmt, v);
}

// Writes the header and the rows for which text(rows, i, cells) fills ncols cells and returns 1.
int cmp_write_table(const char *path, int ncols, const char *const *cols, const void *rows,
                    int64_t n, cmp_row_text_fn text, cx_error *err) {
    csv_writer *w = csv_writer_open(path, err);
    if (!w) return -1;
    csv_writer_row(w, ncols, cols);
    study_cell cells[16];
    const char *fields[16];
    for (int k = 0; k < ncols; k++)
        fields[k] = cells[k];
    for (int64_t i = 0; i < n; i++)
        if (text(rows, i, cells)) csv_writer_row(w, ncols, fields);
    return csv_writer_commit(w, err);
}

// ---- reading -----------------------------------------------------------------------------------

// The first ncols - n_optional columns are required; the last n_optional (columns added later)
// may be missing: their cells read as empty.
int cmp_reader_open(cmp_reader *rd, const char *path, int ncols, int n_optional,
                    const char *const *cols, cx_error *err) {
    *rd = (cmp_reader){.cols = cols, .err = err};
    if (!(rd->t = csv_table_read(path, err))) return -1;
    if (csv_require_cols(rd->t, cols, ncols - n_optional, rd->idx, err)) {
        csv_table_free(rd->t);
        return -1;
    }
    for (int c = ncols - n_optional; c < ncols; c++)
        rd->idx[c] = csv_col(rd->t, cols[c]);
    return 0;
}

const char *cmp_cell_of(const cmp_reader *rd, int col) {
    return rd->idx[col] < 0 ? "" : csv_get(rd->t, rd->r, rd->idx[col]);
}

int cmp_bad_cell(const cmp_reader *rd, int col, const char *expected) {
    return cx_fail(rd->err, "%s:%lld: column \"%s\": expected %s, got \"%s\"", csv_path(rd->t),
                   (long long)csv_row_line(rd->t, rd->r), rd->cols[col], expected,
                   cmp_cell_of(rd, col));
}

int cmp_get_text(const cmp_reader *rd, int col, char *out, size_t cap) {
    if (strlen(cmp_cell_of(rd, col)) >= cap) return cmp_bad_cell(rd, col, "a shorter name");
    snprintf(out, cap, "%s", cmp_cell_of(rd, col));
    return 0;
}

int cmp_get_int64(const cmp_reader *rd, int col, int64_t *v) {
    return csv_parse_int64(cmp_cell_of(rd, col), v) == CSV_NUM_OK
               ? 0
               : cmp_bad_cell(rd, col, "an integer");
}

int cmp_get_real(const cmp_reader *rd, int col, double *v) { // empty, "nan" or "-nan": NaN
    const char *s = cmp_cell_of(rd, col);
    if (!strcmp(s, "nan") || !strcmp(s, "-nan")) {
        *v = NAN;
        return 0;
    }
    return csv_parse_double_or_nan(s, v) == CSV_NUM_BAD
               ? cmp_bad_cell(rd, col, "a number or an empty cell")
               : 0;
}

int cmp_get_source(const cmp_reader *rd, int col, int *v) {
    *v = study_source_parse(cmp_cell_of(rd, col));
    return *v >= 0
               ? 0
               : cmp_bad_cell(rd, col, "a method (sl, gc, ...), centre_bias, mean_gaze or gaze");
}

int cmp_get_label(const cmp_reader *rd, int col, int *v) {
    const char *s = cmp_cell_of(rd, col);
    if (!strcmp(s, "all")) {
        *v = STUDY_ALL_LABELS;
        return 0;
    }
    *v = label_from_name(s);
    return *v >= 0 ? 0 : cmp_bad_cell(rd, col, "a label name or \"all\"");
}

int cmp_get_region(const cmp_reader *rd, int col, int *v) {
    for (*v = 0; *v < CX_N_REGIONS; (*v)++)
        if (!strcmp(cmp_cell_of(rd, col), CX_REGIONS[*v])) return 0;
    return cmp_bad_cell(rd, col, "a region name");
}

int cmp_get_group(const cmp_reader *rd, int col, study_group *g) {
    for (int k = 0; k < STUDY_N_GROUPS; k++)
        if (!strcmp(cmp_cell_of(rd, col), study_group_name((study_group)k))) {
            *g = (study_group)k;
            return 0;
        }
    return cmp_bad_cell(rd, col, "correct or incorrect");
}

// Rows parsed one by one by parse(rd, row); *rows gets them (free()).
int cmp_read_table_opt(const char *path, int ncols, int n_optional, const char *const *cols,
                       size_t row_size, cmp_row_parse_fn parse, void **rows, int64_t *n,
                       cx_error *err) {
    cmp_reader rd;
    *rows = NULL;
    *n = 0;
    if (cmp_reader_open(&rd, path, ncols, n_optional, cols, err)) return -1;
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

int cmp_read_table(const char *path, int ncols, const char *const *cols, size_t row_size,
                   cmp_row_parse_fn parse, void **rows, int64_t *n, cx_error *err) {
    return cmp_read_table_opt(path, ncols, 0, cols, row_size, parse, rows, n, err);
}
