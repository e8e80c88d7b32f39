// libFuzzer target: the CSV reader, whole table (csv_table_read + every accessor) and streaming
// (csv_stream), plus the strict number parsers on every field. The input is the file's bytes
// (plain or gzip: zlib detects gzip by its magic). Invariants checked beyond "no crash": both
// readers agree on success and on the number of data rows.
#include "fuzz_common.h"
#include "io/io.h"

typedef struct stream_ctx {
    int64_t rows;
    int header_fields;
} stream_ctx;

static void touch_field(const char *s) {
    double d;
    int64_t i;
    int l;
    (void)csv_parse_double(s, &d);
    (void)csv_parse_int64(s, &i);
    (void)csv_parse_label(s, &l);
}

static int on_header(void *vctx, int nfields, const char *const *fields, cx_error *err) {
    stream_ctx *c = vctx;
    c->header_fields = nfields;
    static const char *const want[2] = {"a", "b"};
    int idx[2];
    cx_error e2;
    (void)csv_header_require("fuzz.csv", nfields, fields, want, 2, idx, &e2);
    for (int i = 0; i < nfields; i++) touch_field(fields[i]);
    return 0;
}

static int on_row(void *vctx, int64_t line, int nfields, const char *const *fields,
                  cx_error *err) {
    stream_ctx *c = vctx;
    c->rows++;
    for (int i = 0; i < nfields; i++) touch_field(fields[i]);
    // Exercise the error path too: fail on a row whose first field is "STOP_ERR".
    if (nfields && !strcmp(fields[0], "STOP_ERR")) return cx_fail(err, "stop requested");
    if (nfields && !strcmp(fields[0], "STOP_OK")) return 1;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n) {
    const char *path = fuzz_path("t.csv");
    fuzz_write(path, data, n);
    cx_error err;
    csv_table *t = csv_table_read(path, &err);
    int64_t table_rows = -1;
    if (t) {
        table_rows = csv_nrows(t);
        int nc = csv_ncols(t);
        for (int c = 0; c < nc; c++) {
            const char *name = csv_colname(t, c);
            if (csv_col(t, name) > c) abort(); // first column with that name
        }
        for (int64_t r = 0; r < table_rows; r++) {
            // Lines are counted at LF; libcsv also ends a record at a lone CR, so a CR-only
            // file numbers every record line 1 (docs/reliability.md): >= 1 and non-decreasing.
            if (csv_row_line(t, r) < 1 || (r && csv_row_line(t, r) < csv_row_line(t, r - 1)))
                abort();
            for (int c = 0; c < nc; c++) touch_field(csv_get(t, r, c));
        }
        static const char *const want[3] = {"dicom_id", "a", "Atelectasis"};
        int idx[3];
        (void)csv_require_cols(t, want, 3, idx, &err);
        csv_table_free(t);
    }
    stream_ctx c = {0};
    int rc = csv_stream(path, on_header, on_row, &c, &err);
    (void)rc;
    if (table_rows >= 0 && rc == 0 && c.rows != table_rows) {
        // A STOP row ends the stream early; only compare complete streams.
        if (!memmem(data, n, "STOP_", 5)) {
            fprintf(stderr, "csv_table_read: %lld rows, csv_stream: %lld\n",
                    (long long)table_rows, (long long)c.rows);
            abort();
        }
    }
    return 0;
}
