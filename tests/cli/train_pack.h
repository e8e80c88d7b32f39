// A small synthetic dataset pack for the train/eval CLI tests, written with data's pack_write:
// label c positive paints a bright disc at a label-specific place (so a classifier can learn
// it), the gaze map looks at the discs, subjects own 2 images each, splits 60/20/20 by subject.
// Also a fresh pack under tests/out (train_pack_fresh), the small models the tests attribute and
// evaluate with (train_model_write), and the brute-force oracles for AUROC and the F1 threshold.
#ifndef CX_TEST_TRAIN_PACK_H
#define CX_TEST_TRAIN_PACK_H

#include "test.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "data/data.h"
#include "model/model.h"

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

// A fresh (untrained) DenseNet-121 for s x s inputs saved at path, weights from seed. Flags:
// TRAIN_MODEL_GAZE_HEAD: with the gaze head (named DenseNet-Aug); TRAIN_MODEL_SPREAD_BIAS: the
// classifier bias of label c is 0.1 (c - 7), which spreads the probabilities a little (the
// classifier output is near 0). mean/std (3 each) replace ImageNet's in the file when not NULL.
enum { TRAIN_MODEL_GAZE_HEAD = 1, TRAIN_MODEL_SPREAD_BIAS = 2 };
static inline void train_model_write(const char *path, int s, uint64_t seed, int flags,
                                     const float *mean, const float *std) {
    densenet_config cfg;
    cx_error err;
    if (densenet_config_for("densenet121", CX_N_LABELS, flags & TRAIN_MODEL_GAZE_HEAD, &cfg, &err))
        fail_msg("%s", err.msg);
    densenet *net = densenet_create(&cfg);
    densenet_init(net, seed);
    if (flags & TRAIN_MODEL_SPREAD_BIAS) {
        const nn_tensor_info *b = densenet_find_tensor(net, "classifier.bias");
        for (int c = 0; c < CX_N_LABELS; c++) b->data[c] = 0.1f * (c - 7);
    }
    model_meta m;
    model_meta_init(&m, s);
    if (mean) memcpy(m.mean, mean, sizeof m.mean);
    if (std) memcpy(m.std, std, sizeof m.std);
    if (model_meta_set_labels(&m, CX_N_LABELS, CX_LABELS, &err) || model_save(net, path, &m, &err))
        fail_msg("%s", err.msg);
    densenet_free(net);
}

// AUROC of scores s against labels y (n of them) by counting every positive/negative pair (ties
// count 1/2); NaN when a class is missing.
static inline double brute_auroc(const double *s, const int *y, int n) {
    double num = 0;
    int np = 0, nn = 0;
    for (int i = 0; i < n; i++) {
        np += y[i];
        nn += !y[i];
        for (int j = 0; j < n; j++)
            if (y[i] && !y[j]) num += s[i] > s[j] ? 1 : s[i] == s[j] ? 0.5 : 0;
    }
    return np && nn ? num / ((double)np * nn) : NAN;
}

// The F1-maximising cut by trying every score (lowest cut among equal F1), its F1 in *best_f1;
// NaN (both) without positives.
static inline double brute_threshold(const double *s, const int *y, int n, double *best_f1) {
    int npos = 0;
    for (int i = 0; i < n; i++) npos += y[i];
    double best = NAN, best_t = NAN;
    for (int k = 0; k < n && npos; k++) {
        int tp = 0, fp = 0;
        for (int i = 0; i < n; i++)
            if (s[i] >= s[k]) tp += y[i], fp += !y[i];
        double f1 = 2.0 * tp / (2.0 * tp + fp + (npos - tp));
        if (isnan(best) || f1 > best + 1e-12 || (fabs(f1 - best) <= 1e-12 && s[k] < best_t))
            best = f1, best_t = s[k];
    }
    *best_f1 = best;
    return best_t;
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

// dir (4096 bytes) = tests/out/<name>, emptied of an earlier run's files and written by
// train_pack_write(dir, n, s, seed, flags).
static inline void train_pack_fresh(char *dir, const char *name, int n, int s, uint64_t seed,
                                    int flags) {
    snprintf(dir, 4096, "%s", test_out_path(name));
    sh("rm -rf '%s'", dir);
    train_pack_write(dir, n, s, seed, flags);
}

#endif
