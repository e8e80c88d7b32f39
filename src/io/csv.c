// CSV(.gz) reading on libcsv: one record reader (line tracking, bounds, ragged rows) shared by the
// in-memory table (csv_table_read) and the streaming reader (csv_stream); strict number parsing.
#include <csv.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "io/io.h"

#define CSV_CHUNK (256u << 10) // bytes read per gzread

// libcsv grows its field buffer with this realloc: refusing past the limit makes csv_parse stop
// with CSV_ENOMEM instead of growing without bound (the limit is a constant, so no context).
static void *bounded_realloc(void *p, size_t n) {
    if (n > (size_t)CSV_MAX_FIELD + 64) return NULL;
    return realloc(p, n);
}
static int no_space(unsigned char c) {
    (void)c;
    return 0;
} // RFC 4180: spaces belong to fields

// ---- record reader ------------------------------------------------------------------------------
typedef struct rec_reader rec_reader;
// Receives each complete record (the header too: line of the record, fields NUL-terminated).
typedef int (*rec_sink)(rec_reader *r, int64_t line, int nf, const char *const *fields);

struct rec_reader {
    const char *path;
    cx_error *err;
    rec_sink sink;
    void *ctx;
    char *rec; // the current record's fields, each NUL-terminated
    size_t rec_len, rec_cap;
    size_t *off; // [CSV_MAX_FIELDS] field starts in rec
    const char **fieldv;
    int nf;
    int header_n;     // field count of the header, -1 before it
    int64_t line;     // physical line of the byte being fed, 1-based
    int64_t rec_line; // line where the current record started
    int between;      // 1: no record in progress
    int status;       // 0 going on, 1 stopped by the sink, -1 error (err filled)
    int64_t nrecords;
};

static void on_field(void *s, size_t len, void *data) {
    rec_reader *r = data;
    if (r->status) return;
    if (r->nf >= CSV_MAX_FIELDS) {
        r->status = cx_fail(r->err, "%s:%lld: record has more than %d fields", r->path,
                            (long long)r->rec_line, CSV_MAX_FIELDS);
        return;
    }
    if (r->rec_len + len + 1 > CSV_MAX_FIELD) {
        r->status = cx_fail(r->err, "%s:%lld: record longer than %u bytes (CSV_MAX_FIELD)", r->path,
                            (long long)r->rec_line, CSV_MAX_FIELD);
        return;
    }
    if (r->rec_len + len + 1 > r->rec_cap) {
        size_t cap = r->rec_cap ? r->rec_cap : 4096;
        while (cap < r->rec_len + len + 1)
            cap *= 2;
        r->rec = cx_realloc(r->rec, cap);
        r->rec_cap = cap;
    }
    if (len) memcpy(r->rec + r->rec_len, s, len);
    r->rec[r->rec_len + len] = 0;
    r->off[r->nf++] = r->rec_len;
    r->rec_len += len + 1;
}

static void on_record(int c, void *data) {
    (void)c;
    rec_reader *r = data;
    r->between = 1;
    if (r->status || r->nf == 0) return;
    if (r->header_n >= 0 && r->nf != r->header_n) {
        r->status = cx_fail(r->err, "%s:%lld: record has %d fields, the header has %d", r->path,
                            (long long)r->rec_line, r->nf, r->header_n);
        return;
    }
    for (int i = 0; i < r->nf; i++)
        r->fieldv[i] = r->rec + r->off[i];
    int rc = r->sink(r, r->rec_line, r->nf, r->fieldv);
    if (r->header_n < 0) r->header_n = r->nf;
    r->nrecords++;
    r->nf = 0;
    r->rec_len = 0;
    if (rc) r->status = rc < 0 ? -1 : 1;
}

static int has_content(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (s[i] != '\n' && s[i] != '\r') return 1;
    return 0;
}

// Reads the whole file through libcsv, feeding it one physical line at a time so each record
// knows the line it starts on. Returns 0, or -1 with err filled (stopping early by the sink is 0).
// Feeds buf[pos, len) to the parser line by line, tracking line numbers (r->line, and
// r->rec_line where the current record began); stops at the first error (r->status).
static void parse_chunk(struct csv_parser *p, rec_reader *r, const char *buf, size_t pos,
                        size_t len) {
    while (pos < len && !r->status) {
        const char *nl = memchr(buf + pos, '\n', len - pos);
        size_t seg = nl ? (size_t)(nl - (buf + pos)) + 1 : len - pos;
        if (r->between && has_content(buf + pos, seg)) {
            r->rec_line = r->line;
            r->between = 0;
        }
        size_t used = csv_parse(p, buf + pos, seg, on_field, on_record, r);
        if (!r->status && used != seg) {
            int e = csv_error(p);
            if (e == CSV_ENOMEM)
                r->status = cx_fail(r->err, "%s:%lld: field longer than %u bytes (CSV_MAX_FIELD)",
                                    r->path, (long long)r->line, CSV_MAX_FIELD);
            else
                r->status =
                    cx_fail(r->err,
                            "%s:%lld: malformed CSV (%s) in the record starting "
                            "at line %lld",
                            r->path, (long long)r->line, csv_strerror(e), (long long)r->rec_line);
        }
        pos += seg;
        if (nl) r->line++;
    }
}

static int read_records(const char *path, rec_sink sink, void *ctx, cx_error *err) {
    errno = 0;
    gzFile gz = gzopen(path, "rb");
    if (!gz) return cx_fail(err, "%s: cannot open: %s", path, strerror(errno ? errno : ENOENT));
    gzbuffer(gz, CSV_CHUNK);
    struct csv_parser p;
    if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0) {
        gzclose(gz);
        return cx_fail(err, "%s: cannot initialise the CSV parser", path);
    }
    csv_set_realloc_func(&p, bounded_realloc);
    csv_set_space_func(&p, no_space);
    csv_set_blk_size(&p, 1u << 20); // field buffer growth step: 17 steps up to the limit
    rec_reader r = {.path = path,
                    .err = err,
                    .sink = sink,
                    .ctx = ctx,
                    .header_n = -1,
                    .line = 1,
                    .rec_line = 1,
                    .between = 1};
    r.off = cx_malloc(sizeof *r.off * CSV_MAX_FIELDS);
    r.fieldv = cx_malloc(sizeof *r.fieldv * CSV_MAX_FIELDS);
    char *buf = cx_malloc(CSV_CHUNK);
    int first = 1;
    for (;;) {
        int n = gzread(gz, buf, CSV_CHUNK);
        if (n < 0) {
            int zerr;
            const char *msg = gzerror(gz, &zerr);
            r.status = cx_fail(err, "%s:%lld: read error: %s", path, (long long)r.line,
                               zerr == Z_ERRNO ? strerror(errno) : msg);
            break;
        }
        if (n == 0) {
            int zerr;
            gzerror(gz, &zerr);
            if (zerr == Z_BUF_ERROR) // gzip stream cut short
                r.status = cx_fail(err, "%s:%lld: truncated gzip file", path, (long long)r.line);
            break;
        }
        size_t pos = 0, len = (size_t)n;
        if (first) {
            first = 0;
            if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0) pos = 3; // UTF-8 BOM
        }
        parse_chunk(&p, &r, buf, pos, len);
        if (r.status) break;
    }
    if (!r.status && csv_fini(&p, on_field, on_record, &r) != 0 && !r.status)
        r.status = cx_fail(err, "%s:%lld: unterminated quoted field at end of file", path,
                           (long long)r.rec_line);
    if (!r.status && r.nrecords == 0)
        r.status = cx_fail(err, "%s: empty file, expected a header", path);
    csv_free(&p);
    gzclose(gz);
    free(buf);
    free(r.rec);
    free(r.off);
    free(r.fieldv);
    return r.status < 0 ? -1 : 0;
}

// ---- header lookups
// ------------------------------------------------------------------------------
static int find_col(int nf, const char *const *fields, const char *name) {
    for (int i = 0; i < nf; i++)
        if (strcmp(fields[i], name) == 0) return i;
    return -1;
}

int csv_header_require(const char *path, int nfields, const char *const *fields,
                       const char *const *names, int n, int *idx, cx_error *err) {
    char missing[700] = "";
    size_t used = 0;
    int nmiss = 0;
    for (int i = 0; i < n; i++) {
        idx[i] = find_col(nfields, fields, names[i]);
        if (idx[i] < 0) {
            used +=
                (size_t)snprintf(missing + used, used < sizeof missing ? sizeof missing - used : 0,
                                 "%s\"%s\"", nmiss ? ", " : "", names[i]);
            if (used >= sizeof missing) used = sizeof missing;
            nmiss++;
        }
    }
    if (nmiss)
        return cx_fail(err, "%s: missing column%s %s (the header has %d columns)", path,
                       nmiss > 1 ? "s" : "", missing, nfields);
    return 0;
}

// ---- streaming
// -------------------------------------------------------------------------------------
typedef struct {
    csv_header_fn on_header;
    csv_row_fn on_row;
    void *ctx;
    int seen_header;
} stream_ctx;

static int stream_sink(rec_reader *r, int64_t line, int nf, const char *const *fields) {
    stream_ctx *s = r->ctx;
    int rc = 0;
    if (!s->seen_header) {
        s->seen_header = 1;
        if (s->on_header) rc = s->on_header(s->ctx, nf, fields, r->err);
    } else {
        rc = s->on_row(s->ctx, line, nf, fields, r->err);
    }
    if (rc < 0) cx_fail_wrap(r->err, "%s:%lld", r->path, (long long)line);
    return rc;
}

int csv_stream(const char *path, csv_header_fn on_header, csv_row_fn on_row, void *ctx,
               cx_error *err) {
    stream_ctx s = {on_header, on_row, ctx, 0};
    return read_records(path, stream_sink, &s, err);
}

// ---- whole table
// ------------------------------------------------------------------------------------
struct csv_table {
    char *path;
    int ncols;
    char **colnames; // [ncols]
    int64_t nrows;
    char *arena; // every field, NUL-terminated
    size_t arena_len, arena_cap;
    size_t *cell;  // [nrows, ncols] offsets into arena
    int64_t *line; // [nrows]
    int64_t rows_cap;
};

static int table_sink(rec_reader *r, int64_t line, int nf, const char *const *fields) {
    csv_table *t = r->ctx;
    if (!t->colnames) {
        t->ncols = nf;
        t->colnames = cx_malloc(sizeof *t->colnames * (size_t)nf);
        for (int i = 0; i < nf; i++)
            t->colnames[i] = cx_strdup(fields[i]);
        return 0;
    }
    if (t->nrows == t->rows_cap) {
        t->rows_cap = t->rows_cap ? 2 * t->rows_cap : 1024;
        t->cell = cx_realloc(t->cell, sizeof *t->cell * (size_t)t->rows_cap * (size_t)t->ncols);
        t->line = cx_realloc(t->line, sizeof *t->line * (size_t)t->rows_cap);
    }
    // Fields are contiguous in the reader's buffer: copy the record in one go.
    size_t bytes = (size_t)(fields[nf - 1] - fields[0]) + strlen(fields[nf - 1]) + 1;
    if (t->arena_len + bytes > t->arena_cap) {
        size_t cap = t->arena_cap ? t->arena_cap : (1u << 16);
        while (cap < t->arena_len + bytes)
            cap *= 2;
        t->arena = cx_realloc(t->arena, cap);
        t->arena_cap = cap;
    }
    memcpy(t->arena + t->arena_len, fields[0], bytes);
    size_t *cells = t->cell + (size_t)t->nrows * (size_t)t->ncols;
    for (int i = 0; i < nf; i++)
        cells[i] = t->arena_len + (size_t)(fields[i] - fields[0]);
    t->arena_len += bytes;
    t->line[t->nrows++] = line;
    return 0;
}

csv_table *csv_table_read(const char *path, cx_error *err) {
    csv_table *t = cx_calloc(1, sizeof *t);
    t->path = cx_strdup(path);
    if (read_records(path, table_sink, t, err) != 0) {
        csv_table_free(t);
        return NULL;
    }
    return t;
}

void csv_table_free(csv_table *t) {
    if (!t) return;
    for (int i = 0; i < t->ncols && t->colnames; i++)
        free(t->colnames[i]);
    free(t->colnames);
    free(t->arena);
    free(t->cell);
    free(t->line);
    free(t->path);
    free(t);
}

const char *csv_path(const csv_table *t) {
    return t->path;
}
int csv_ncols(const csv_table *t) {
    return t->ncols;
}
int64_t csv_nrows(const csv_table *t) {
    return t->nrows;
}
const char *csv_colname(const csv_table *t, int col) {
    CX_ASSERT(col >= 0 && col < t->ncols);
    return t->colnames[col];
}
int csv_col(const csv_table *t, const char *name) {
    return find_col(t->ncols, (const char *const *)t->colnames, name);
}
int csv_require_cols(const csv_table *t, const char *const *names, int n, int *idx, cx_error *err) {
    return csv_header_require(t->path, t->ncols, (const char *const *)t->colnames, names, n, idx,
                              err);
}
const char *csv_get(const csv_table *t, int64_t row, int col) {
    CX_ASSERT(row >= 0 && row < t->nrows && col >= 0 && col < t->ncols);
    return t->arena + t->cell[(size_t)row * (size_t)t->ncols + (size_t)col];
}
int64_t csv_row_line(const csv_table *t, int64_t row) {
    CX_ASSERT(row >= 0 && row < t->nrows);
    return t->line[row];
}

// ---- numbers
// --------------------------------------------------------------------------------------- Trims
// ASCII spaces/tabs into buf; returns the trimmed length, or -1 when too long to be a number.
static int trim_copy(const char *s, char *buf, size_t cap) {
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    if (n >= cap) return -1;
    memcpy(buf, s, n);
    buf[n] = 0;
    return (int)n;
}

int csv_parse_double(const char *s, double *v) {
    char buf[128];
    int n = trim_copy(s, buf, sizeof buf);
    if (n == 0) return CSV_NUM_EMPTY;
    if (n < 0) return CSV_NUM_BAD;
    // strtod also takes hex floats, "inf", "nan": only decimal notation is a number here.
    for (int i = 0; i < n; i++)
        if (!strchr("0123456789+-.eE", buf[i])) return CSV_NUM_BAD;
    char *end;
    errno = 0;
    double d = strtod(buf, &end);
    if (end == buf || *end || !isfinite(d) || (errno == ERANGE && fabs(d) > 1)) return CSV_NUM_BAD;
    *v = d;
    return CSV_NUM_OK;
}

int csv_parse_double_or_nan(const char *s, double *v) {
    int rc = csv_parse_double(s, v);
    if (rc == CSV_NUM_EMPTY) *v = NAN;
    return rc;
}

int csv_parse_int64(const char *s, int64_t *v) {
    char buf[64];
    int n = trim_copy(s, buf, sizeof buf);
    if (n == 0) return CSV_NUM_EMPTY;
    if (n < 0) return CSV_NUM_BAD;
    for (int i = 0; i < n; i++)
        if (!strchr("0123456789+-", buf[i])) return CSV_NUM_BAD;
    char *end;
    errno = 0;
    long long x = strtoll(buf, &end, 10);
    if (end == buf || *end || errno == ERANGE) return CSV_NUM_BAD;
    *v = x;
    return CSV_NUM_OK;
}

int csv_parse_label(const char *s, int *v) {
    static const char *const text[] = {"1", "1.0", "0", "0.0", "-1", "-1.0"};
    static const int value[] = {1, 1, 0, 0, -1, -1};
    char buf[16];
    int n = trim_copy(s, buf, sizeof buf);
    if (n == 0) return CSV_NUM_EMPTY;
    if (n < 0) return CSV_NUM_BAD;
    for (int i = 0; i < 6; i++)
        if (strcmp(buf, text[i]) == 0) {
            *v = value[i];
            return CSV_NUM_OK;
        }
    return CSV_NUM_BAD;
}
