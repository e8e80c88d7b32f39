// libFuzzer target: the safetensors reader (st_open) and its accessors: st_find, st_meta,
// st_expect and st_read_f32 on every floating tensor. The input is the file's bytes.
#include "fuzz_common.h"
#include "io/io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n) {
    const char *path = fuzz_path("t.safetensors");
    fuzz_write(path, data, n);
    st_file f;
    cx_error err;
    if (st_open(&f, path, &err)) return 0;
    for (int i = 0; i < f.n; i++) {
        const st_tensor *t = &f.t[i];
        if (st_find(&f, t->name) == NULL) abort();
        if (t->nbytes != t->numel * st_dtype_size(t->dtype)) abort();
        if ((const uint8_t *)t->data < (const uint8_t *)f.map ||
            (const uint8_t *)t->data + t->nbytes > (const uint8_t *)f.map + f.size)
            abort();
        const st_tensor *got;
        (void)st_expect(&f, t->name, t->dtype, t->ndim, t->shape, &got, &err);
        int64_t any[1] = {-1};
        (void)st_expect(&f, t->name, ST_F32, 1, any, &got, &err);
        if (t->numel <= (1u << 20)) {
            float *out = malloc((t->numel ? t->numel : 1) * sizeof *out);
            (void)st_read_f32(&f, t, out, &err);
            free(out);
        }
    }
    (void)st_meta(&f, "format");
    (void)st_find(&f, "");
    st_close(&f);
    return 0;
}
