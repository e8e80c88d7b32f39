// study: what the stages' CSV writers and readers share (table.c): cells as the files hold
// them, the atomic table writer, and the reader of a file's named columns with typed cell parsers
// that name file:line and column on a bad cell. Private to study/.
#ifndef CX_STUDY_TABLE_INTERNAL_H
#define CX_STUDY_TABLE_INTERNAL_H

#include "io/io.h"
#include "study/study.h"

#define TBL_MAX_COLS 24 // columns of the widest file (localize.csv: 17)

// Cells: text, an integer, a number by fmt (tbl_cell_real: NaN empty; tbl_cell_num: NaN as
// "nan", as compare has always written some cells).
void tbl_cell_text(study_cell c, const char *s);
void tbl_cell_int(study_cell c, int64_t v);
void tbl_cell_real(study_cell c, const char *fmt, double v);
void tbl_cell_num(study_cell c, const char *fmt, double v);
// Writes the header and the rows for which text(rows, i, cells) fills ncols (<= TBL_MAX_COLS)
// cells and returns 1, atomically.
typedef int (*tbl_row_text_fn)(const void *rows, int64_t i, study_cell *cells);
int tbl_write_table(const char *path, int ncols, const char *const *cols, const void *rows,
                    int64_t n, tbl_row_text_fn text, cx_error *err);
// A file read by column names: row r's cell of column k (cols[k]) via tbl_cell_of.
typedef struct tbl_reader {
    csv_table *t;
    const char *const *cols;
    int idx[TBL_MAX_COLS];
    int64_t r;
    cx_error *err;
} tbl_reader;
// The first ncols - n_optional columns are required; the last n_optional (columns added later)
// may be missing: their cells read as empty.
int tbl_reader_open(tbl_reader *rd, const char *path, int ncols, int n_optional,
                    const char *const *cols, cx_error *err);
const char *tbl_cell_of(const tbl_reader *rd, int col);
// Typed cells: 0, or -1 with file:line, the column and what was expected (tbl_bad_cell).
int tbl_bad_cell(const tbl_reader *rd, int col, const char *expected);
int tbl_get_text(const tbl_reader *rd, int col, char *out, size_t cap);
int tbl_get_int64(const tbl_reader *rd, int col, int64_t *v);
int tbl_get_count(const tbl_reader *rd, int col, int64_t lo, int64_t hi, int64_t *v); // lo..hi
int tbl_get_real(const tbl_reader *rd, int col, double *v); // empty, "nan", "-nan": NaN
int tbl_get_source(const tbl_reader *rd, int col, int *v);
int tbl_get_label(const tbl_reader *rd, int col, int *v);      // a CX label or "all"
int tbl_get_label_name(const tbl_reader *rd, int col, int *v); // a CX label only
int tbl_get_region(const tbl_reader *rd, int col, int *v);
int tbl_get_group(const tbl_reader *rd, int col, study_group *g);
// Rows parsed one by one by parse(rd, row) into *rows (malloc'd, free()) and *n.
typedef int (*tbl_row_parse_fn)(const tbl_reader *rd, void *row);
int tbl_read_table_opt(const char *path, int ncols, int n_optional, const char *const *cols,
                       size_t row_size, tbl_row_parse_fn parse, void **rows, int64_t *n,
                       cx_error *err);
int tbl_read_table(const char *path, int ncols, const char *const *cols, size_t row_size,
                   tbl_row_parse_fn parse, void **rows, int64_t *n, cx_error *err);

#endif
