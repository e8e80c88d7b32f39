// Shared by every test: cmocka, fixture and output paths, tolerance asserts.
#ifndef CX_TEST_H
#define CX_TEST_H

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/util.h"

// Committed fixtures: tests/fixtures/<name>.
static inline const char *fixture_path(const char *name) {
    static char buf[4096];
    snprintf(buf, sizeof buf, "tests/fixtures/%s", name);
    return buf;
}

// A scratch path for this test's outputs: $CXRGAZE_TEST_OUT/<name> (default tests/out).
static inline const char *test_out_path(const char *name) {
    static char buf[4096];
    const char *d = getenv("CXRGAZE_TEST_OUT");
    if (!d || !*d) d = "tests/out";
    cx_mkdir_p(d, NULL);
    snprintf(buf, sizeof buf, "%s/%s", d, name);
    return buf;
}

// The committed real radiographs: tests/fixtures/real/<name> (nih/, montgomery/; README.md there).
static inline const char *real_data_path(const char *name) {
    static char buf[4096];
    snprintf(buf, sizeof buf, "tests/fixtures/real/%s", name);
    return buf;
}

// |got - want| <= atol + rtol * |want|, with a message naming what and where.
#define assert_close(got, want, rtol, atol, what)                                              \
    do {                                                                                       \
        double g_ = (got), w_ = (want);                                                        \
        if (!(fabs(g_ - w_) <= (atol) + (rtol)*fabs(w_)))                                      \
            fail_msg("%s: got %.9g, want %.9g (rtol %g, atol %g)", (what), g_, w_,           \
                     (double)(rtol), (double)(atol));                                          \
    } while (0)

// Max relative error of arrays, relative to the largest |want| (robust near zero).
static inline double max_rel_err(const float *got, const float *want, size_t n) {
    double scale = 0, worst = 0;
    for (size_t i = 0; i < n; i++) scale = fmax(scale, fabs(want[i]));
    if (scale == 0) scale = 1;
    for (size_t i = 0; i < n; i++) worst = fmax(worst, fabs((double)got[i] - want[i]) / scale);
    return worst;
}

#endif
