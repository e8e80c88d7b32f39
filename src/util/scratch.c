// util: scratch memory backed by an unlinked temporary file (arrays larger than RAM).
#define _GNU_SOURCE // fallocate
#include "util/util.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/statvfs.h>
#include <unistd.h>

int cx_disk_free(const char *dir, uint64_t *bytes, cx_error *err) {
    struct statvfs vfs;
    if (statvfs(dir, &vfs) != 0) return cx_fail(err, "%s: statvfs: %s", dir, strerror(errno));
    *bytes = (uint64_t)vfs.f_bavail * vfs.f_frsize; // what an unprivileged writer may still use
    return 0;
}

char *cx_scratch_dir_for(char *out, size_t cap, const char *path) {
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", path);
    for (;;) {
        const char *up = dirname(buf); // "a/b/" -> "a", "a" -> ".", "/" -> "/"
        if (cx_is_dir(up) || !strcmp(up, ".") || !strcmp(up, "/")) {
            snprintf(out, cap, "%s", up);
            return out;
        }
        memmove(buf, up, strlen(up) + 1);
    }
}

// Gives the open scratch file its size. Blocks are reserved (fallocate) where the filesystem can:
// a sparse file on a disk that fills up meanwhile would kill the process with SIGBUS at the first
// write to a page that finds no block, instead of failing here with a message.
static int scratch_size(int fd, size_t bytes, const char *dir, cx_error *err) {
    if (ftruncate(fd, (off_t)bytes) != 0)
        return cx_fail(err, "%s: scratch file of %zu bytes: ftruncate: %s", dir, bytes,
                       strerror(errno));
    if (fallocate(fd, 0, 0, (off_t)bytes) != 0 && (errno == ENOSPC || errno == EDQUOT))
        return cx_fail(err, "%s: scratch file of %zu bytes: fallocate: %s", dir, bytes,
                       strerror(errno));
    return 0; // other fallocate errors (not supported here): the file stays sparse
}

void *cx_scratch_map(size_t bytes, const char *dir, cx_error *err) {
    if (bytes == 0) {
        cx_fail(err, "%s: scratch file of 0 bytes requested (a mapping cannot be empty)", dir);
        return NULL;
    }
    uint64_t free_bytes;
    if (cx_disk_free(dir, &free_bytes, err)) return NULL;
    if ((uint64_t)bytes > free_bytes || bytes > (size_t)INT64_MAX) {
        cx_fail(err, "%s: scratch file needs %zu bytes (%.1f GB), %llu bytes (%.1f GB) free there",
                dir, bytes, (double)bytes / 1e9, (unsigned long long)free_bytes,
                (double)free_bytes / 1e9);
        return NULL;
    }
    char path[4200];
    snprintf(path, sizeof path, "%s/.cxrgaze-scratch-XXXXXX", dir);
    int fd = mkstemp(path);
    if (fd < 0) {
        cx_fail(err, "%s: scratch file: mkstemp: %s", dir, strerror(errno));
        return NULL;
    }
    unlink(path); // nameless from here on: the blocks are freed at munmap, or at exit, even kill -9
    void *p = MAP_FAILED;
    if (scratch_size(fd, bytes, dir, err) == 0) {
        p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (p == MAP_FAILED)
            cx_fail(err, "%s: scratch file of %zu bytes: mmap: %s", dir, bytes, strerror(errno));
    }
    close(fd); // the mapping holds the file
    return p == MAP_FAILED ? NULL : p;
}

void cx_scratch_unmap(void *p, size_t bytes) {
    if (p) munmap(p, bytes);
}
