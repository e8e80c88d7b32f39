// Shared helpers of the libFuzzer targets (tests/fuzz/fuzz_*.c). Every cxrgaze reader takes a
// path, so a target writes the fuzz input into files of a private scratch directory (tmpfs
// /dev/shm when present) and calls the reader on them. Multi-file inputs (MIMIC's four tables,
// EGD's two, a pack's safetensors + index.csv) are split at the ASCII record separator 0x1e:
// mutations can move, add or drop it, so the fuzzer explores missing and empty tables too.
// Build and run: `make fuzz` (docs/reliability.md).
#ifndef CX_FUZZ_COMMON_H
#define CX_FUZZ_COMMON_H

#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/util.h"

#define FUZZ_SEP '\x1e'

static char fuzz_dir_[256];

static inline void fuzz_cleanup_(void) {
    if (!fuzz_dir_[0]) return;
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", fuzz_dir_);
    if (system(cmd)) { /* best effort */
    }
}

// The scratch directory of this process, created on first use and removed at exit.
static inline const char *fuzz_dir(void) {
    if (fuzz_dir_[0]) return fuzz_dir_;
    const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(fuzz_dir_, sizeof fuzz_dir_, "%s/cxrgaze-fuzz-XXXXXX", base);
    if (!mkdtemp(fuzz_dir_)) {
        perror("fuzz: mkdtemp");
        abort();
    }
    atexit(fuzz_cleanup_);
    return fuzz_dir_;
}

// dir/rel (rel may hold one '/', its folder is created). Returns a static buffer (4 slots).
static inline const char *fuzz_path(const char *rel) {
    static char buf[4][4096];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", fuzz_dir(), rel);
    return buf[k];
}

// Writes n bytes to path (replacing it). Aborts on I/O failure: that is the harness, not the
// code under test.
static inline void fuzz_write(const char *path, const uint8_t *data, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f || (n && fwrite(data, 1, n, f) != n) || fclose(f)) {
        perror(path);
        abort();
    }
}

// Splits data at FUZZ_SEP into at most max parts: part[i], len[i]. Returns the number of parts
// (>= 1). The last part takes the rest, separators included.
static inline int fuzz_split(const uint8_t *data, size_t n, int max, const uint8_t **part, size_t *len) {
    int k = 0;
    size_t start = 0;
    for (size_t i = 0; i < n && k < max - 1; i++)
        if (data[i] == (uint8_t)FUZZ_SEP) {
            part[k] = data + start;
            len[k++] = i - start;
            start = i + 1;
        }
    part[k] = data + start;
    len[k++] = n - start;
    return k;
}

#endif
