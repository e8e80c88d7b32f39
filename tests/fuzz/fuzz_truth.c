// libFuzzer target: the planted-truth reader (truth_read: findings.csv) and truth_render of every
// image it names into a small S x S grid (boxes with any coordinates; mask files are absent, so a
// finding with a mask takes the error path). The input is findings.csv.
#include "data/data.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n) {
    fuzz_write(fuzz_path("findings.csv"), data, n);
    truth_set t;
    cx_error err;
    if (truth_read(fuzz_dir(), &t, &err)) return 0;
    img_fit_geom g;
    img_fit_geom_init(&g, 64, 48, 16);
    uint16_t out[16 * 16];
    for (int64_t i = 0; i < t.n; i++) {
        if (t.f[i].label < 0 || t.f[i].label >= CX_N_LABELS) abort();
        if (strmap_get(&t.first, t.f[i].dicom_id) > i) abort();
        if (strmap_get(&t.first, t.f[i].dicom_id) == i) {
            int k = truth_render(&t, t.f[i].dicom_id, &g, out, &err);
            if (k == 0) abort(); // the image has at least this finding
        }
    }
    truth_free(&t);
    return 0;
}
