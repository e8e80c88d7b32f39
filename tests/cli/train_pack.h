// A small synthetic dataset pack for the train/eval CLI tests, written with data's pack_write:
// label c positive paints a bright disc at a label-specific place (so a classifier can learn
// it), the gaze map looks at the discs, subjects own 2 images each, splits 60/20/20 by subject.
#ifndef CX_TEST_TRAIN_PACK_H
#define CX_TEST_TRAIN_PACK_H

#include "test.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "data/data.h"

// Flags: TRAIN_PACK_SAME_IMAGE: every image is image 0 (labels and gaze still differ), so BN
// batch statistics are the same on any subset of a batch (the MPI equivalence test relies on
// it). TRAIN_PACK_ONE_CLASS: label 10 (Pleural Other) is never positive.
enum { TRAIN_PACK_SAME_IMAGE = 1, TRAIN_PACK_ONE_CLASS = 2 };
static inline void train_pack_write(const char *dir, int n, int s, uint64_t seed, int flags) {
    const int same_image = flags & TRAIN_PACK_SAME_IMAGE;
    uint8_t *images = cx_malloc((size_t)n * s * s), *mask = cx_malloc((size_t)n * CX_N_LABELS);
    uint8_t *split = cx_malloc((size_t)n);
    float *labels = cx_malloc(sizeof(float) * n * CX_N_LABELS);
    int32_t *gaze_row = cx_malloc(sizeof(int32_t) * n);
    float *gaze = cx_calloc((size_t)n * s * s, sizeof(float));
    uint8_t *fix = cx_calloc((size_t)n * s * s, 1), *regions = cx_calloc((size_t)n * 4 * s * s, 1);
    uint8_t *present = cx_malloc((size_t)n * 4);
    image_record *ids = cx_calloc((size_t)n, sizeof *ids);
    cx_rng r;
    cx_rng_seed(&r, seed, 0);
    int ng = 0;
    const double rad = s / 12.0;
    for (int i = 0; i < n; i++) {
        int subj = i / 2;
        split[i] = (subj % 5 < 3) ? SPLIT_TRAIN : (subj % 5 == 3) ? SPLIT_VALIDATE : SPLIT_TEST;
        gaze_row[i] = (i % 3 != 0) ? ng++ : -1;
        snprintf(ids[i].dicom_id, sizeof ids[i].dicom_id, "%08x-0000-0000-0000-%08x", i, subj);
        snprintf(ids[i].subject_id, sizeof ids[i].subject_id, "1%07d", subj);
        snprintf(ids[i].study_id, sizeof ids[i].study_id, "5%07d", i);
        snprintf(ids[i].view, sizeof ids[i].view, "PA");
        ids[i].egd = gaze_row[i];
        uint8_t *img = images + (size_t)i * s * s;
        for (int p = 0; p < s * s; p++) img[p] = (uint8_t)(30 + cx_rng_below(&r, 40));
        for (int c = 0; c < CX_N_LABELS; c++) {
            int pos = cx_rng_uniform(&r) < 0.3 && !((flags & TRAIN_PACK_ONE_CLASS) && c == 10);
            labels[i * CX_N_LABELS + c] = (float)pos;
            mask[i * CX_N_LABELS + c] = 1;
            if (!pos) continue;
            double cy = s * (0.15 + 0.23 * (c / 4)), cx = s * (0.15 + 0.23 * (c % 4));
            for (int y = 0; y < s; y++)
                for (int x = 0; x < s; x++)
                    if ((y - cy) * (y - cy) + (x - cx) * (x - cx) < rad * rad) img[y * s + x] = 230;
        }
        if (same_image && i > 0) memcpy(img, images, (size_t)s * s);
        if (gaze_row[i] >= 0) {
            int g = gaze_row[i];
            for (int y = 0; y < s; y++)
                for (int x = 0; x < s; x++) {
                    gaze[(size_t)g * s * s + y * s + x] =
                        same_image ? (float)cx_rng_uniform(&r) : img[y * s + x] > 200 ? 1.0f : 0.0f;
                    // lungs: left/right halves of the image (patient's right on the image left)
                    regions[((size_t)g * 4 + (x < s / 2 ? 1 : 2)) * s * s + y * s + x] = 1;
                }
            for (int k = 0; k < 4; k++) present[g * 4 + k] = k == 1 || k == 2;
        }
    }
    pack_contents c = {.n = n, .n_gaze = ng, .size = s, .images = images, .labels = labels,
                       .label_mask = mask, .split = split, .gaze_row = gaze_row, .gaze = gaze,
                       .fixations = fix, .regions = regions, .region_present = present,
                       .ids = ids};
    cx_error err;
    if (pack_write(&c, dir, NULL, &err)) fail_msg("pack_write: %s", err.msg);
    free(images), free(mask), free(split), free(labels), free(gaze_row), free(gaze), free(fix);
    free(regions), free(present), free(ids);
}

// The cxrgaze binary under test.
static inline const char *cxrgaze_bin(void) {
    const char *b = getenv("CXRGAZE");
    return b && *b ? b : "build/cxrgaze";
}

// Runs a shell command, returns its exit status.
static inline int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline int sh(const char *fmt, ...) {
    char cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : 128 + WTERMSIG(rc);
}

#endif
