// Shared by the tests of attr/: the random reference DenseNet-121 of tests/ref/densenet_ref.py
// (F16 weights, torchvision names) loaded into the engine, and the attribution fixture.
#ifndef CX_TEST_ATTR_TESTLIB_H
#define CX_TEST_ATTR_TESTLIB_H

#include "test.h"

#include "attr/attr.h"
#include "io/io.h"

// Loads every tensor of the engine's model from the fixture by name (no train/ dependency).
static inline densenet *load_ref_densenet121(void) {
    densenet_config cfg;
    cx_error err = {{0}};
    if (densenet_config_for("densenet121", 14, 0, &cfg, &err)) fail_msg("%s", err.msg);
    densenet *net = densenet_create(&cfg);
    st_file f;
    if (st_open(&f, fixture_path("densenet121_ref.safetensors"), &err)) fail_msg("%s", err.msg);
    for (int i = 0; i < densenet_num_tensors(net); i++) {
        const nn_tensor_info *ti = densenet_tensor(net, i);
        const st_tensor *t = st_find(&f, ti->name);
        if (!t) fail_msg("fixture lacks %s", ti->name);
        if (ti->kind == NN_COUNTER) {
            memcpy(ti->counter, t->data, sizeof(int64_t));
            continue;
        }
        if (t->numel != ti->numel) fail_msg("%s: %zu values, want %zu", ti->name, t->numel, ti->numel);
        if (st_read_f32(&f, t, ti->data, &err)) fail_msg("%s", err.msg);
    }
    st_close(&f);
    return net;
}

// A tensor of the attribution fixture as a malloc'd fp32 array (numel into *n if non-NULL).
static inline float *attr_fixture(const st_file *f, const char *name, size_t *n) {
    const st_tensor *t = st_find(f, name);
    if (!t) fail_msg("attr_ref.safetensors lacks %s", name);
    float *v = malloc(sizeof *v * t->numel);
    cx_error err;
    if (st_read_f32(f, t, v, &err)) fail_msg("%s", err.msg);
    if (n) *n = t->numel;
    return v;
}

static inline int attr_test_cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static inline double pearson_f(const float *a, const float *b, size_t n) {
    double ma = 0, mb = 0, sab = 0, saa = 0, sbb = 0;
    for (size_t i = 0; i < n; i++) ma += a[i], mb += b[i];
    ma /= n;
    mb /= n;
    for (size_t i = 0; i < n; i++) {
        sab += (a[i] - ma) * (b[i] - mb);
        saa += (a[i] - ma) * (a[i] - ma);
        sbb += (b[i] - mb) * (b[i] - mb);
    }
    return sab / sqrt(saa * sbb);
}

// The q-quantile (0..1) of |got - want| / max|want| over the elements.
static inline double quantile_rel_err(const float *got, const float *want, size_t n, double q) {
    double scale = 0;
    for (size_t i = 0; i < n; i++) scale = fmax(scale, fabs(want[i]));
    if (scale == 0) scale = 1;
    double *e = malloc(sizeof *e * n);
    for (size_t i = 0; i < n; i++) e[i] = fabs((double)got[i] - want[i]) / scale;
    qsort(e, n, sizeof *e, attr_test_cmp_double);
    double v = e[(size_t)(q * (n - 1))];
    free(e);
    return v;
}

#endif
