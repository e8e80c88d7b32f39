// libFuzzer target: the EGD-CXR reader (egd_read): master_sheet.csv and fixations.csv, separated
// by 0x1e in the input (fuzz_common.h). Checks the grouping invariants of a successful read.
#include "data/data.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n) {
    const uint8_t *part[2];
    size_t len[2];
    int k = fuzz_split(data, n, 2, part, len);
    fuzz_write(fuzz_path("master_sheet.csv"), part[0], len[0]);
    if (k > 1) fuzz_write(fuzz_path("fixations.csv"), part[1], len[1]);
    else unlink(fuzz_path("fixations.csv"));
    egd_data d;
    cx_error err;
    if (egd_read(fuzz_dir(), &d, &err) == 0) {
        int64_t total = 0;
        for (int64_t i = 0; i < d.n_img; i++) {
            const egd_image *im = &d.img[i];
            if (im->fix_begin < 0 || im->fix_count < 0 || im->fix_begin + im->fix_count > d.n_fix)
                abort();
            total += im->fix_count;
            for (int64_t f = im->fix_begin; f < im->fix_begin + im->fix_count; f++)
                if (d.fix[f].x < 0 || d.fix[f].y < 0) abort();
            if (strmap_get(&d.by_dicom, im->dicom_id) != i) abort();
            char mask[8192];
            for (int r = 0; r < CX_N_REGIONS; r++)
                (void)egd_region_mask_path(&d, im->dicom_id, r, mask, sizeof mask);
            int x, y;
            (void)egd_screen_to_original(0.5, 0.5, 100, 80, im->pad_top, im->pad_bottom,
                                         im->pad_left, im->pad_right, &x, &y);
        }
        if (total != d.n_fix || d.st.valid_fixations != d.n_fix) abort();
        egd_free(&d);
    }
    return 0;
}
