// api/api_core.c: the library's identity, the thread-local last error, threads and logging, and
// the vocabularies (names behind every index of the C API).
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "api/api_internal.h"

static _Thread_local char last_error[1024];

cxg_status api_fail(cxg_status st, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
    return st;
}

cxg_status api_fail_err(cxg_status st, const char *fn, const cx_error *err) {
    return api_fail(st, "%s: %s", fn, err->msg[0] ? err->msg : "failed (no message)");
}

cxg_status api_ok(void) {
    last_error[0] = 0;
    return CXG_OK;
}

cxg_status api_check_dims(const char *fn, int64_t n, int c, int h, int w, size_t *npix) {
    if (n < 0)
        return api_fail(CXG_ERR_ARGUMENT, "%s: %lld images, expected n >= 0", fn, (long long)n);
    if (h < 1 || w < 1)
        return api_fail(CXG_ERR_ARGUMENT, "%s: images %dx%d, expected at least 1x1 pixels", fn, h,
                        w);
    size_t total;
    if (cx_mul_size((size_t)h, (size_t)w, npix) || cx_mul_size(*npix, (size_t)c, &total) ||
        cx_mul_size(total, (size_t)n, &total) || cx_mul_size(total, sizeof(double), &total))
        return api_fail(CXG_ERR_ARGUMENT, "%s: %lld x %d x %d x %d values do not fit in memory",
                        fn, (long long)n, c, h, w);
    return CXG_OK;
}

cxg_status api_check_exists(const char *fn, const char *what, const char *path) {
    if (!path) return api_fail(CXG_ERR_ARGUMENT, "%s: %s path is NULL", fn, what);
    struct stat st;
    if (stat(path, &st))
        return api_fail(errno == ENOENT ? CXG_ERR_NOT_FOUND : CXG_ERR_FILE, "%s: %s %s: %s", fn,
                        what, path, strerror(errno));
    return CXG_OK;
}

int cxg_api_version(void) { return CXG_API_VERSION; }
const char *cxg_version(void) { return CX_VERSION; }
const char *cxg_last_error(void) { return last_error; }
void cxg_set_threads(int n) { cx_set_threads(n); }
void cxg_set_log_level(int level) { cx_log_level = level < 0 ? 0 : level > 2 ? 2 : level; }

// ---- vocabularies -------------------------------------------------------------------------------
int cxg_vocab_size(cxg_vocab v) {
    switch (v) {
    case CXG_VOCAB_LABELS: return CX_N_LABELS;
    case CXG_VOCAB_REGIONS: return CX_N_REGIONS;
    case CXG_VOCAB_SPLITS: return CX_N_SPLITS;
    case CXG_VOCAB_METHODS: return ATTR_NMETHODS;
    case CXG_VOCAB_METRICS: return STATS_N_PAIR_METRICS;
    case CXG_VOCAB_AUROC: return API_N_AUROC;
    case CXG_VOCAB_DELONG: return API_N_DELONG;
    case CXG_VOCAB_SETTINGS: return api_settings_count();
    case CXG_VOCAB_PACK_ARRAYS: return API_N_PACK_ARRAYS;
    case CXG_VOCAB_PACK_TEXTS: return API_N_PACK_TEXTS;
    }
    return -1;
}

const char *cxg_vocab_name(cxg_vocab v, int i) {
    if (i < 0 || i >= cxg_vocab_size(v)) return NULL;
    switch (v) {
    case CXG_VOCAB_LABELS: return CX_LABELS[i];
    case CXG_VOCAB_REGIONS: return CX_REGIONS[i];
    case CXG_VOCAB_SPLITS: return CX_SPLITS[i];
    case CXG_VOCAB_METHODS: return attr_method_name((attr_method)i);
    case CXG_VOCAB_METRICS: return stats_metric_name((stats_metric)i);
    case CXG_VOCAB_AUROC: return API_AUROC_FIELDS[i];
    case CXG_VOCAB_DELONG: return API_DELONG_FIELDS[i];
    case CXG_VOCAB_SETTINGS: return api_settings_key(i);
    case CXG_VOCAB_PACK_ARRAYS: return API_PACK_ARRAYS[i];
    case CXG_VOCAB_PACK_TEXTS: return API_PACK_TEXTS[i];
    }
    return NULL;
}
