// Shared by tests/stats: named tensors of the stats_*.safetensors fixtures
// (tests/ref/stats_ref.py).
#ifndef CX_TESTS_STATS_FIXTURE_H
#define CX_TESTS_STATS_FIXTURE_H

#include "test.h"

#include "io/io.h"

static inline st_file *fixture_open(const char *name) {
    static st_file f;
    cx_error err;
    if (st_open(&f, fixture_path(name), &err)) fail_msg("%s", err.msg);
    return &f;
}

// Tensor "<topic>/<case>/<field>" (printf-style name), or NULL when absent; *numel its size.
static inline const st_tensor *fixture_tensor(const st_file *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static inline const st_tensor *fixture_tensor(const st_file *f, const char *fmt, ...) {
    char name[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(name, sizeof name, fmt, ap);
    va_end(ap);
    return st_find(f, name);
}

// The same, failing the test when absent.
#define FX(f, ...)                                                                                 \
    ({                                                                                             \
        const st_tensor *t_ = fixture_tensor((f), __VA_ARGS__);                                    \
        if (!t_) fail_msg("fixture tensor missing");                                               \
        t_;                                                                                        \
    })

// NaN-aware closeness: both NaN passes.
#define assert_close_nan(got, want, rtol, atol, what)                                              \
    do {                                                                                           \
        double gn_ = (got), wn_ = (want);                                                          \
        if (isnan(wn_) || isnan(gn_)) {                                                            \
            if (!(isnan(wn_) && isnan(gn_)))                                                       \
                fail_msg("%s: got %.9g, want %.9g", (what), gn_, wn_);                             \
        } else {                                                                                   \
            assert_close(gn_, wn_, rtol, atol, what);                                              \
        }                                                                                          \
    } while (0)

#endif
