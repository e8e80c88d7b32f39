// io/csv: RFC 4180 cases read by hand-written snippets (quoted commas, "" escapes, newlines in
// quotes, CRLF, BOM, gzip), physical line numbers, column lookup, strict numbers, bounded fields,
// ragged rows, streaming with early stop, and writer round trips (plain and .gz, atomic).
#include "test.h"

#include <zlib.h>

#include "io/io.h"

static const char *write_text(const char *name, const char *text, size_t n) {
    const char *path = test_out_path(name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fwrite(text, 1, n, f);
    fclose(f);
    return path;
}
#define WRITE_TEXT(name, lit) write_text((name), (lit), sizeof(lit) - 1)

static csv_table *read_ok(const char *path) {
    cx_error err = {0};
    csv_table *t = csv_table_read(path, &err);
    if (!t) fail_msg("%s", err.msg);
    return t;
}

static void quoting_and_line_numbers(void **state) {
    (void)state;
    const char *path = WRITE_TEXT("csv_quoting.csv",
                                  "id,text,note\n"
                                  "1,\"x, y\",\"he said \"\"hi\"\"\"\n"
                                  "2,\"multi\nline\",z\n"
                                  "\n"
                                  "3,,\"\"\n"
                                  "4,\" padded \",last"); // no final newline
    csv_table *t = read_ok(path);
    assert_int_equal(csv_ncols(t), 3);
    assert_int_equal(csv_nrows(t), 4);
    assert_string_equal(csv_colname(t, 1), "text");
    assert_string_equal(csv_get(t, 0, 1), "x, y");
    assert_string_equal(csv_get(t, 0, 2), "he said \"hi\"");
    assert_string_equal(csv_get(t, 1, 1), "multi\nline");
    assert_string_equal(csv_get(t, 2, 1), "");
    assert_string_equal(csv_get(t, 2, 2), "");
    assert_string_equal(csv_get(t, 3, 1), " padded ");
    assert_string_equal(csv_get(t, 3, 2), "last");
    // Physical lines where each record starts: the quoted newline and the blank line count.
    assert_int_equal(csv_row_line(t, 0), 2);
    assert_int_equal(csv_row_line(t, 1), 3);
    assert_int_equal(csv_row_line(t, 2), 6);
    assert_int_equal(csv_row_line(t, 3), 7);
    assert_string_equal(csv_path(t), path);
    csv_table_free(t);
}

static void crlf_bom_and_gzip(void **state) {
    (void)state;
    const char text[] = "\xEF\xBB\xBFid,val\r\n7,\"a\r\nb\"\r\n8,9\r\n";
    const char *path = write_text("csv_crlf.csv", text, sizeof text - 1);
    csv_table *t = read_ok(path);
    assert_string_equal(csv_colname(t, 0), "id"); // BOM gone
    assert_int_equal(csv_col(t, "val"), 1);
    assert_string_equal(csv_get(t, 0, 1), "a\r\nb"); // CR kept inside quotes only
    assert_string_equal(csv_get(t, 1, 1), "9");      // trailing \r stripped
    assert_int_equal(csv_row_line(t, 1), 4);
    csv_table_free(t);

    // The same bytes gzipped (zlib, not our writer) read identically.
    const char *gzp = test_out_path("csv_crlf.csv.gz");
    gzFile gz = gzopen(gzp, "wb");
    gzwrite(gz, text, sizeof text - 1);
    gzclose(gz);
    t = read_ok(gzp);
    assert_int_equal(csv_nrows(t), 2);
    assert_string_equal(csv_get(t, 0, 1), "a\r\nb");
    assert_string_equal(csv_get(t, 1, 0), "8");
    assert_int_equal(csv_row_line(t, 1), 4);
    csv_table_free(t);
}

static void columns_in_any_order(void **state) {
    (void)state;
    const char *path = WRITE_TEXT("csv_cols.csv", "c,a,b\n3,1,2\n");
    csv_table *t = read_ok(path);
    const char *names[] = {"a", "b", "c"};
    int idx[3];
    cx_error err = {0};
    assert_int_equal(csv_require_cols(t, names, 3, idx, &err), 0);
    assert_string_equal(csv_get(t, 0, idx[0]), "1");
    assert_string_equal(csv_get(t, 0, idx[1]), "2");
    assert_string_equal(csv_get(t, 0, idx[2]), "3");
    const char *bad[] = {"a", "dicom_id", "FPOGX"};
    assert_int_equal(csv_require_cols(t, bad, 3, idx, &err), -1);
    assert_non_null(strstr(err.msg, "csv_cols.csv"));
    assert_non_null(strstr(err.msg, "\"dicom_id\""));
    assert_non_null(strstr(err.msg, "\"FPOGX\""));
    assert_int_equal(idx[1], -1);
    assert_int_equal(csv_col(t, "A"), -1); // exact, case-sensitive
    csv_table_free(t);
}

static void numbers_and_labels(void **state) {
    (void)state;
    static const char *const good[] = {"1", "1.0", "0", "0.0", "-1", "-1.0", " 1.0 "};
    static const int want[] = {1, 1, 0, 0, -1, -1, 1};
    for (int i = 0; i < 7; i++) {
        int v = 99;
        assert_int_equal(csv_parse_label(good[i], &v), CSV_NUM_OK);
        assert_int_equal(v, want[i]);
    }
    int v;
    assert_int_equal(csv_parse_label("", &v), CSV_NUM_EMPTY);
    assert_int_equal(csv_parse_label("  ", &v), CSV_NUM_EMPTY);
    static const char *const bad[] = {"2", "0.5", "yes", "1.", "--1", "1.0x", "nan", "-0.5"};
    for (int i = 0; i < 8; i++)
        assert_int_equal(csv_parse_label(bad[i], &v), CSV_NUM_BAD);

    double d;
    assert_int_equal(csv_parse_double("0.45224", &d), CSV_NUM_OK);
    assert_true(d == 0.45224);
    assert_int_equal(csv_parse_double(" -2.5e3", &d), CSV_NUM_OK);
    assert_true(d == -2500.0);
    assert_int_equal(csv_parse_double("", &d), CSV_NUM_EMPTY);
    static const char *const dbad[] = {"abc", "1.5x", "nan", "inf", "0x10", "1e999", "1,5", "."};
    for (int i = 0; i < 8; i++)
        assert_int_equal(csv_parse_double(dbad[i], &d), CSV_NUM_BAD);
    // the optional number: blank is NaN, a number is itself, a bad cell is still bad
    d = 7;
    assert_int_equal(csv_parse_double_or_nan(" ", &d), CSV_NUM_EMPTY);
    assert_true(isnan(d));
    assert_int_equal(csv_parse_double_or_nan("0.25", &d), CSV_NUM_OK);
    assert_true(d == 0.25);
    assert_int_equal(csv_parse_double_or_nan("nan", &d), CSV_NUM_BAD);
    int64_t n;
    assert_int_equal(csv_parse_int64("-3", &n), CSV_NUM_OK);
    assert_int_equal(n, -3);
    assert_int_equal(csv_parse_int64("3.0", &n), CSV_NUM_BAD);
    assert_int_equal(csv_parse_int64("99999999999999999999", &n), CSV_NUM_BAD);
    assert_int_equal(csv_parse_int64("", &n), CSV_NUM_EMPTY);
}

static void bad_files_name_file_and_line(void **state) {
    (void)state;
    cx_error err = {0};
    // Ragged row: the record starting at line 4 (after a multi-line one) has 3 fields, not 2.
    const char *path = WRITE_TEXT("csv_ragged.csv", "a,b\n1,\"x\ny\"\n2,3,4\n");
    assert_null(csv_table_read(path, &err));
    assert_non_null(strstr(err.msg, "csv_ragged.csv:4:"));
    assert_non_null(strstr(err.msg, "3 fields"));
    assert_non_null(strstr(err.msg, "header has 2"));
    // Malformed quoting (text after a closing quote), strict mode.
    path = WRITE_TEXT("csv_badquote.csv", "a,b\n1,2\n3,\"x\"y\n");
    assert_null(csv_table_read(path, &err));
    assert_non_null(strstr(err.msg, "csv_badquote.csv:3:"));
    // A quote inside an unquoted field (Python's csv would take it literally; we refuse).
    path = WRITE_TEXT("csv_strayquote.csv", "a,b\n1,2\n\n3,ab\"c\n");
    assert_null(csv_table_read(path, &err));
    assert_non_null(strstr(err.msg, "csv_strayquote.csv:4:"));
    // Unterminated quote at end of file.
    path = WRITE_TEXT("csv_unterminated.csv", "a,b\n1,2\n3,\"open\nstill open\n");
    assert_null(csv_table_read(path, &err));
    assert_non_null(strstr(err.msg, "csv_unterminated.csv:3:"));
    assert_non_null(strstr(err.msg, "unterminated"));
    // Empty file and missing file.
    path = WRITE_TEXT("csv_empty.csv", "");
    assert_null(csv_table_read(path, &err));
    assert_non_null(strstr(err.msg, "empty"));
    assert_null(csv_table_read(test_out_path("csv_missing.csv"), &err));
    assert_non_null(strstr(err.msg, "csv_missing.csv"));
    // A corrupt gzip stream.
    const char *gzp = test_out_path("csv_corrupt.csv.gz");
    gzFile gz = gzopen(gzp, "wb");
    for (int i = 0; i < 2000; i++)
        gzprintf(gz, "%d,%d\n", i, i * i);
    gzclose(gz);
    char *data;
    size_t n;
    assert_int_equal(cx_read_file(gzp, &data, &n, &err), 0);
    write_text("csv_corrupt.csv.gz", data, n / 2); // truncated
    free(data);
    assert_null(csv_table_read(gzp, &err));
    assert_non_null(strstr(err.msg, "csv_corrupt.csv.gz"));
}

static void overlong_field_refused(void **state) {
    (void)state;
    // One unquoted field of CSV_MAX_FIELD + 1 MiB bytes on line 3, and one quoted.
    size_t big = CSV_MAX_FIELD + (1u << 20);
    for (int quoted = 0; quoted < 2; quoted++) {
        const char *path = test_out_path(quoted ? "csv_long_q.csv" : "csv_long.csv");
        FILE *f = fopen(path, "wb");
        fputs("a,b\n1,2\n3,", f);
        if (quoted) fputc('"', f);
        char block[4096];
        memset(block, 'x', sizeof block);
        for (size_t i = 0; i < big; i += sizeof block)
            fwrite(block, 1, sizeof block, f);
        fputs(quoted ? "\"\n" : "\n", f);
        fclose(f);
        cx_error err = {0};
        double peak0 = cx_peak_rss_mb();
        assert_null(csv_table_read(path, &err));
        assert_non_null(strstr(err.msg, quoted ? "csv_long_q.csv:3:" : "csv_long.csv:3:"));
        assert_non_null(strstr(err.msg, "CSV_MAX_FIELD"));
#ifndef __SANITIZE_ADDRESS__                        // ASan's quarantine keeps freed blocks resident
        assert_true(cx_peak_rss_mb() - peak0 < 64); // bounded: about one field's worth at most
#else
        (void)peak0;
#endif
        remove(path); // 17 MB: don't leave it in the output directory
    }
}

typedef struct {
    int header_n, rows, stop_after;
    int64_t last_line;
    double sum;
    int fail_on;
} stream_state;

static int st_header(void *ctx, int nf, const char *const *fields, cx_error *err) {
    stream_state *s = ctx;
    s->header_n = nf;
    assert_string_equal(fields[0], "x");
    return 0;
}

static int st_row(void *ctx, int64_t line, int nf, const char *const *fields, cx_error *err) {
    stream_state *s = ctx;
    double v;
    if (csv_parse_double(fields[1], &v) != CSV_NUM_OK)
        return cx_fail(err, "column y: expected a number, found \"%s\"", fields[1]);
    s->rows++;
    s->sum += v;
    s->last_line = line;
    return s->stop_after && s->rows == s->stop_after ? 1 : 0;
}

static void streaming(void **state) {
    (void)state;
    const char *path = test_out_path("csv_stream.csv.gz");
    cx_error err = {0};
    csv_writer *w = csv_writer_open(path, &err);
    assert_non_null(w);
    const char *hdr[] = {"x", "y"};
    csv_writer_row(w, 2, hdr);
    for (int i = 0; i < 5000; i++) {
        csv_writer_fieldf(w, "id %d, \"q\"", i); // needs quoting
        csv_writer_fieldf(w, "%d.5", i);
        csv_writer_end_row(w);
    }
    assert_int_equal(csv_writer_commit(w, &err), 0);

    stream_state s = {0};
    assert_int_equal(csv_stream(path, st_header, st_row, &s, &err), 0);
    assert_int_equal(s.header_n, 2);
    assert_int_equal(s.rows, 5000);
    assert_int_equal(s.last_line, 5001);
    assert_close(s.sum, 4999.0 * 5000 / 2 + 0.5 * 5000, 0, 1e-6, "sum of y");
    // Early stop.
    stream_state e = {.stop_after = 10};
    assert_int_equal(csv_stream(path, NULL, st_row, &e, &err), 0);
    assert_int_equal(e.rows, 10);
    assert_int_equal(e.last_line, 11);
    // A callback error gets file:line in front.
    const char *bad = WRITE_TEXT("csv_stream_bad.csv", "x,y\n1,2\n\"3\nz\",oops\n");
    stream_state b = {0};
    assert_int_equal(csv_stream(bad, st_header, st_row, &b, &err), -1);
    assert_non_null(strstr(err.msg, "csv_stream_bad.csv:3: column y"));
    assert_non_null(strstr(err.msg, "\"oops\""));
}

static void writer_round_trips(void **state) {
    (void)state;
    static const char *const vals[] = {"plain", "a,b",   "say \"hi\"", "line\nbreak",
                                       "",      " lead", "cr\rin",     "ünïcode"};
    enum { NV = 8 };
    // csv_write_field quoting, byte exact.
    char *mem;
    size_t mlen;
    FILE *f = open_memstream(&mem, &mlen);
    assert_int_equal(csv_write_row(f, NV, vals), 0);
    fclose(f);
    assert_string_equal(mem, "plain,\"a,b\",\"say \"\"hi\"\"\",\"line\nbreak\",,\" lead\","
                             "\"cr\rin\",ünïcode\n");
    free(mem);
    // Plain and gzip writers read back to the same fields; gzip output starts with 1f 8b.
    static const char *const paths[] = {"csv_written.csv", "csv_written.csv.gz"};
    for (int p = 0; p < 2; p++) {
        const char *path = test_out_path(paths[p]);
        cx_error err = {0};
        csv_writer *w = csv_writer_open(path, &err);
        assert_non_null(w);
        for (int r = 0; r < 3; r++)
            csv_writer_row(w, NV, vals);
        assert_int_equal(csv_writer_commit(w, &err), 0);
        char *data;
        size_t n;
        assert_int_equal(cx_read_file(path, &data, &n, &err), 0);
        assert_int_equal((unsigned char)data[0] == 0x1f && (unsigned char)data[1] == 0x8b, p);
        free(data);
        csv_table *t = read_ok(path);
        assert_int_equal(csv_nrows(t), 2);
        for (int c = 0; c < NV; c++) {
            assert_string_equal(csv_colname(t, c), vals[c]);
            assert_string_equal(csv_get(t, 1, c), vals[c]);
        }
        assert_int_equal(csv_row_line(t, 0), 3); // every record spans two lines ("line\nbreak")
        assert_int_equal(csv_row_line(t, 1), 5);
        csv_table_free(t);
    }
    // Abort leaves no file and no temporary behind; a write into a directory fails cleanly.
    const char *ap = test_out_path("csv_aborted.csv.gz");
    remove(ap);
    cx_error err = {0};
    csv_writer *w = csv_writer_open(ap, &err);
    csv_writer_row(w, NV, vals);
    csv_writer_abort(w);
    assert_false(cx_path_exists(ap));
    assert_null(csv_writer_open(test_out_path("no_such_dir/x.csv"), &err));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(quoting_and_line_numbers),
        cmocka_unit_test(crlf_bom_and_gzip),
        cmocka_unit_test(columns_in_any_order),
        cmocka_unit_test(numbers_and_labels),
        cmocka_unit_test(bad_files_name_file_and_line),
        cmocka_unit_test(overlong_field_refused),
        cmocka_unit_test(streaming),
        cmocka_unit_test(writer_round_trips),
    };
    return cmocka_run_group_tests_name("io/csv", tests, NULL, NULL);
}
