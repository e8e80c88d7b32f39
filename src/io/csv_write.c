// CSV writing: RFC 4180 quoting, and an atomic writer for plain or gzip (".gz") tables.
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "io/io.h"

static int needs_quotes(const char *s) {
    if (!*s) return 0;
    if (s[0] == ' ' || s[strlen(s) - 1] == ' ') return 1;
    return strpbrk(s, ",\"\r\n") != NULL;
}

// Writes the quoted/escaped form of s through put(ctx, bytes, n); returns 0 or -1.
typedef int (*put_fn)(void *ctx, const char *s, size_t n);

static int emit_field(put_fn put, void *ctx, const char *s) {
    if (!s) s = "";
    if (!needs_quotes(s)) return put(ctx, s, strlen(s));
    if (put(ctx, "\"", 1)) return -1;
    for (const char *q; (q = strchr(s, '"')); s = q + 1)
        if (put(ctx, s, (size_t)(q - s) + 1) || put(ctx, "\"", 1)) return -1; // "" escape
    if (put(ctx, s, strlen(s))) return -1;
    return put(ctx, "\"", 1);
}

static int put_file(void *ctx, const char *s, size_t n) {
    return n && fwrite(s, 1, n, (FILE *)ctx) != n ? -1 : 0;
}

int csv_write_field(FILE *f, const char *s) {
    return emit_field(put_file, f, s);
}

int csv_write_row(FILE *f, int n, const char *const *fields) {
    for (int i = 0; i < n; i++) {
        if (i && fputc(',', f) == EOF) return -1;
        if (csv_write_field(f, fields[i])) return -1;
    }
    return fputc('\n', f) == EOF ? -1 : 0;
}

// ---- atomic writer
// ----------------------------------------------------------------------------------
struct csv_writer {
    cx_atomic_file af;
    gzFile gz;  // non-NULL for .gz output, writing to a dup of the temp file's descriptor
    int nfield; // fields written in the current row
    int failed; // sticky write error
    int err_no;
};

static int put_writer(void *ctx, const char *s, size_t n) {
    csv_writer *w = ctx;
    if (w->failed || !n) return w->failed ? -1 : 0;
    int ok = w->gz ? gzwrite(w->gz, s, (unsigned)n) == (int)n : fwrite(s, 1, n, w->af.f) == n;
    if (!ok) {
        w->failed = 1;
        w->err_no = errno;
    }
    return ok ? 0 : -1;
}

static int has_suffix(const char *s, const char *suf) {
    size_t n = strlen(s), m = strlen(suf);
    return n >= m && strcmp(s + n - m, suf) == 0;
}

csv_writer *csv_writer_open(const char *path, cx_error *err) {
    csv_writer *w = cx_calloc(1, sizeof *w);
    if (cx_atomic_open(&w->af, path, err) != 0) {
        free(w);
        return NULL;
    }
    if (has_suffix(path, ".gz")) {
        int fd = dup(fileno(w->af.f));
        w->gz = fd >= 0 ? gzdopen(fd, "wb6") : NULL;
        if (!w->gz) {
            if (fd >= 0) close(fd);
            cx_atomic_abort(&w->af);
            free(w);
            cx_fail(err, "%s: cannot start gzip output", path);
            return NULL;
        }
        gzbuffer(w->gz, 1u << 17);
    }
    return w;
}

void csv_writer_field(csv_writer *w, const char *s) {
    if (w->nfield++) put_writer(w, ",", 1);
    emit_field(put_writer, w, s);
}

void csv_writer_fieldf(csv_writer *w, const char *fmt, ...) {
    char small[256], *buf = small;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        w->failed = 1;
        return;
    }
    if ((size_t)n >= sizeof small) {
        buf = cx_malloc((size_t)n + 1);
        va_start(ap, fmt);
        vsnprintf(buf, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    csv_writer_field(w, buf);
    if (buf != small) free(buf);
}

void csv_writer_end_row(csv_writer *w) {
    put_writer(w, "\n", 1);
    w->nfield = 0;
}

void csv_writer_row(csv_writer *w, int n, const char *const *fields) {
    for (int i = 0; i < n; i++)
        csv_writer_field(w, fields[i]);
    csv_writer_end_row(w);
}

int csv_writer_commit(csv_writer *w, cx_error *err) {
    int rc = 0;
    if (w->gz) {
        // gzclose flushes the deflate stream into the shared temp file and closes the dup'd fd;
        // cx_atomic_commit then fsyncs the temp file and renames it.
        if (gzclose(w->gz) != Z_OK && !w->failed) {
            w->failed = 1;
            w->err_no = errno;
        }
        w->gz = NULL;
    }
    if (w->failed) {
        rc = cx_fail(err, "%s: write error: %s", w->af.path,
                     w->err_no ? strerror(w->err_no) : "I/O error");
        cx_atomic_abort(&w->af);
    } else {
        rc = cx_atomic_commit(&w->af, err);
    }
    free(w);
    return rc;
}

void csv_writer_abort(csv_writer *w) {
    if (!w) return;
    if (w->gz) gzclose(w->gz);
    cx_atomic_abort(&w->af);
    free(w);
}
