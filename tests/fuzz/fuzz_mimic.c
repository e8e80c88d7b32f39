// libFuzzer target: the MIMIC-CXR-JPG table reader (mimic_read). The input holds the four
// tables metadata, split, chexpert, negbio separated by 0x1e (fuzz_common.h); a missing part
// means a missing table. Each input is read with both labelers, both view filters and two
// uncertainty policies.
#include "data/data.h"
#include "fuzz_common.h"

static const char *const TABLES[4] = {"mimic-cxr-2.0.0-metadata.csv", "mimic-cxr-2.0.0-split.csv",
                                      "mimic-cxr-2.0.0-chexpert.csv", "mimic-cxr-2.0.0-negbio.csv"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n) {
    const uint8_t *part[4];
    size_t len[4];
    int k = fuzz_split(data, n, 4, part, len);
    for (int i = 0; i < 4; i++) {
        const char *p = fuzz_path(TABLES[i]);
        if (i < k) fuzz_write(p, part[i], len[i]);
        else unlink(p);
    }
    for (int mode = 0; mode < 2; mode++) {
        image_list l = {0};
        mimic_stats st = {0};
        cx_error err;
        int rc = mimic_read(fuzz_dir(), mode ? VIEWS_ALL : VIEWS_FRONTAL,
                            mode ? LABELER_NEGBIO : LABELER_CHEXPERT,
                            mode ? UNCERTAIN_IGNORE : UNCERTAIN_ONES, &l, &st, &err);
        if (rc == 0) {
            if (st.selected != l.n) abort();
            for (int64_t i = 0; i < l.n; i++) {
                const image_record *r = &l.r[i];
                if (!r->path || strlen(r->dicom_id) >= sizeof r->dicom_id) abort();
                for (int c = 0; c < CX_N_LABELS; c++)
                    if (!(r->labels[c] == 0 || r->labels[c] == 1) || r->label_mask[c] > 1) abort();
                if (r->split < 0 || r->split >= CX_N_SPLITS) abort();
            }
            (void)splits_assign(&l, 0.3, 1);
            (void)splits_check_disjoint(&l, &err);
        }
        image_list_free(&l);
    }
    return 0;
}
