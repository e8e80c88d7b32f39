// libFuzzer target: the dataset-pack reader (pack_open). The input is pack.safetensors, then
// 0x1e, then index.csv (split at the LAST 0x1e: the safetensors part is binary, index.csv text).
// A successful open is walked: every split's rows and every index string.
#include "data/data.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n) {
    size_t cut = n;
    for (size_t i = n; i-- > 0;)
        if (data[i] == (uint8_t)FUZZ_SEP) {
            cut = i;
            break;
        }
    fuzz_write(fuzz_path("pack.safetensors"), data, cut);
    if (cut < n) fuzz_write(fuzz_path("index.csv"), data + cut + 1, n - cut - 1);
    else unlink(fuzz_path("index.csv"));
    pack p;
    cx_error err;
    if (pack_open(&p, fuzz_dir(), &err)) return 0;
    int64_t total = 0;
    for (int s = 0; s < CX_N_SPLITS; s++) {
        int64_t *rows = NULL;
        int64_t m = pack_split_rows(&p, s, &rows);
        for (int64_t i = 0; i < m; i++)
            if (rows[i] < 0 || rows[i] >= p.n || p.split[rows[i]] != s) abort();
        total += m;
        free(rows);
    }
    if (total != p.n) abort();
    size_t ss = (size_t)p.size * (size_t)p.size;
    for (int64_t i = 0; i < p.n; i++) {
        if (strlen(p.dicom_id[i]) + strlen(p.subject_id[i]) + strlen(p.study_id[i]) +
                strlen(p.view[i]) > (1u << 26))
            abort();
        volatile uint8_t px = p.images[(size_t)i * ss + ss - 1];
        (void)px;
        if (p.gaze_row[i] >= 0) {
            if (p.gaze_row[i] >= p.n_gaze) abort();
            volatile float g = p.gaze[(size_t)p.gaze_row[i] * ss + ss - 1];
            volatile uint8_t r = p.regions[((size_t)p.gaze_row[i] * CX_N_REGIONS + 3) * ss];
            (void)g;
            (void)r;
        }
        if (p.truth) {
            volatile uint16_t t = p.truth[(size_t)i * ss];
            (void)t;
        }
    }
    pack_close(&p);
    return 0;
}
