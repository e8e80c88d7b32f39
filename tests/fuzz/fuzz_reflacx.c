// libFuzzer target: the REFLACX reader (reflacx_read) and what is computed from a reading
// (reflacx_heatmap, reflacx_ellipse_mask). The input is main_data/metadata_phase_1.csv, then the
// files of the reading folder main_data/P1/: fixations.csv, anomaly_location_ellipses.csv,
// chest_bounding_box.csv, separated by 0x1e (fuzz_common.h); a missing part leaves its file
// absent. The seeds (tests/fuzz/corpus/reflacx/) name one reading P1. Checks the grouping
// invariants of a successful read and that maps are finite, in range and binary.
#include <math.h>
#include <sys/stat.h>

#include "data/data.h"
#include "fuzz_common.h"

static const char *const files[4] = {"main_data/metadata_phase_1.csv", "main_data/P1/fixations.csv",
                                     "main_data/P1/anomaly_location_ellipses.csv",
                                     "main_data/P1/chest_bounding_box.csv"};

static void check_reading(const reflacx_data *d, const reflacx_reading *r) {
    if (r->fix_begin < 0 || r->fix_count < 0 || r->fix_begin + r->fix_count > d->n_fix) abort();
    if (r->ell_begin < 0 || r->ell_count < 0 || r->ell_begin + r->ell_count > d->n_ell) abort();
    if (r->width < 1 || r->height < 1 || r->phase != 1) abort();
    for (int64_t k = r->ell_begin; k < r->ell_begin + r->ell_count; k++)
        if (d->n_labels < 64 && (d->ell[k].labels >> d->n_labels)) abort();
    // Heatmaps cost O(W + H) per fixation at the resized size: keep to sane aspect ratios.
    int lo = r->width < r->height ? r->width : r->height;
    int hi = r->width < r->height ? r->height : r->width;
    if (hi / lo > 8) return;
    enum { S = 16 };
    img_fit_geom g;
    img_fit_geom_init(&g, r->width, r->height, S);
    float heat[S * S];
    uint8_t fixmap[S * S], mask[S * S];
    int64_t used = reflacx_heatmap(heat, fixmap, d->fix + r->fix_begin, r->fix_count, &g, 1.0,
                                   REFLACX_NORM_MAX);
    if (used < 0 || used > r->fix_count) abort();
    for (int i = 0; i < S * S; i++) {
        if (!(heat[i] >= 0 && heat[i] <= 1)) abort(); // NaN fails too
        if (fixmap[i] > 1) abort();
        if (!used && (heat[i] != 0 || fixmap[i])) abort();
    }
    int64_t drawn = reflacx_ellipse_mask(mask, d, r, ~0ull, 0, &g);
    if (drawn < 0 || drawn > r->ell_count) abort();
    for (int i = 0; i < S * S; i++)
        if (mask[i] > 1 || (!drawn && mask[i])) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n) {
    const uint8_t *part[4];
    size_t len[4];
    int k = fuzz_split(data, n, 4, part, len);
    mkdir(fuzz_path("main_data"), 0700);
    mkdir(fuzz_path("main_data/P1"), 0700);
    for (int i = 0; i < 4; i++) {
        if (i < k) fuzz_write(fuzz_path(files[i]), part[i], len[i]);
        else unlink(fuzz_path(files[i]));
    }
    reflacx_data d;
    cx_error err;
    if (reflacx_read(fuzz_dir(), &d, &err)) return 0;
    if (d.n_reading > 1) abort(); // ids are unique and only P1 has a folder
    for (int64_t i = 0; i < d.n_reading; i++) {
        if (strmap_get(&d.by_id, d.reading[i].id) != i) abort();
        check_reading(&d, &d.reading[i]);
    }
    if (d.st.readings != d.n_reading || d.st.ellipses != d.n_ell) abort();
    reflacx_free(&d);
    return 0;
}
