// util: atomic file output (temp + fsync + rename), whole-file reads, paths.
#include "util/util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int cx_atomic_open(cx_atomic_file *af, const char *path, cx_error *err) {
    memset(af, 0, sizeof *af);
    if (strlen(path) >= sizeof af->path) return cx_fail(err, "%s: path too long", path);
    if (cx_is_dir(path)) return cx_fail(err, "%s: is a directory, expected a file path", path);
    snprintf(af->path, sizeof af->path, "%s", path);
    snprintf(af->tmp, sizeof af->tmp, "%s.tmp.%ld", path, (long)getpid());
    af->f = fopen(af->tmp, "wb");
    if (!af->f) return cx_fail(err, "%s: cannot create: %s", af->tmp, strerror(errno));
    return 0;
}

static void fsync_parent_dir(const char *path) {
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", path);
    int fd = open(dirname(buf), O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

int cx_atomic_commit(cx_atomic_file *af, cx_error *err) {
    if (!af->f) return cx_fail(err, "%s: not open", af->path);
    int bad = ferror(af->f) || fflush(af->f) != 0 || fsync(fileno(af->f)) != 0;
    int saved = errno;
    if (fclose(af->f) != 0 && !bad) {
        bad = 1;
        saved = errno;
    }
    af->f = NULL;
    if (bad) {
        unlink(af->tmp);
        return cx_fail(err, "%s: write failed: %s", af->path, strerror(saved ? saved : EIO));
    }
    if (rename(af->tmp, af->path) != 0) {
        saved = errno;
        unlink(af->tmp);
        return cx_fail(err, "%s: cannot rename into place: %s", af->path, strerror(saved));
    }
    fsync_parent_dir(af->path);
    return 0;
}

void cx_atomic_abort(cx_atomic_file *af) {
    if (af->f) fclose(af->f);
    af->f = NULL;
    if (af->tmp[0]) unlink(af->tmp);
}

int cx_write_file_atomic(const char *path, const void *data, size_t n, cx_error *err) {
    cx_atomic_file af;
    if (cx_atomic_open(&af, path, err)) return -1;
    if (n && fwrite(data, 1, n, af.f) != n) {
        int e = errno;
        cx_atomic_abort(&af);
        return cx_fail(err, "%s: write failed: %s", path, strerror(e));
    }
    return cx_atomic_commit(&af, err);
}

int cx_read_file(const char *path, char **data, size_t *n, cx_error *err) {
    FILE *f = fopen(path, "rb");
    if (!f) return cx_fail(err, "%s: cannot open: %s", path, strerror(errno));
    size_t cap = 1 << 16, len = 0;
    char *buf = cx_malloc(cap);
    for (;;) {
        if (len + 1 >= cap) buf = cx_realloc(buf, cap *= 2);
        size_t got = fread(buf + len, 1, cap - len - 1, f);
        len += got;
        if (got == 0) break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return cx_fail(err, "%s: read error", path);
    }
    buf[len] = 0;
    *data = buf;
    if (n) *n = len;
    return 0;
}

int cx_mkdir_p(const char *path, cx_error *err) {
    char buf[4096];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        return cx_fail(err, "%s: path too long", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = 0;
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            return cx_fail(err, "%s: cannot create directory: %s", buf, strerror(errno));
        *p = '/';
    }
    if (mkdir(buf, 0777) != 0 && errno != EEXIST)
        return cx_fail(err, "%s: cannot create directory: %s", buf, strerror(errno));
    if (!cx_is_dir(buf)) return cx_fail(err, "%s: exists and is not a directory", buf);
    return 0;
}

int cx_path_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

int cx_is_dir(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

char *cx_path_join(char *out, size_t cap, const char *a, const char *b) {
    size_t la = strlen(a);
    int slash = la > 0 && a[la - 1] != '/';
    snprintf(out, cap, "%s%s%s", a, slash ? "/" : "", b);
    return out;
}

int cx_pathf(char *out, size_t cap, cx_error *err, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(out, cap, fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n < cap) return 0;
    return cx_fail(err, "path longer than %zu bytes: %.80s...", cap - 1, out);
}

void cx_textf(char *out, size_t cap, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out, cap, fmt, ap);
    va_end(ap);
}
