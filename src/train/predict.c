// train/predict: network outputs for pack rows in eval mode (BN running statistics), in
// batches of the plan's size; the last batch is padded with copies of its first row and the
// padding is dropped (eval-mode samples do not interact).
#include "train/train.h"

#include <stdlib.h>
#include <string.h>

int predict_rows(densenet_plan *plan, const model_meta *meta, const pack *pk, const int64_t *rows,
                 int64_t n, float *logits, float *gaze, int progress, cx_error *err) {
    const int bsz = densenet_plan_batch(plan), k = CX_N_LABELS;
    int fh, fw;
    densenet_plan_feature_hw(plan, &fh, &fw);
    const int hw = fh * fw;
    train_batch b;
    train_batch_alloc(&b, bsz, pk->size, k, fh, fw);
    float *lg = cx_malloc((size_t)bsz * k * sizeof *lg);
    float *gz = gaze ? cx_malloc((size_t)bsz * hw * sizeof *gz) : NULL;
    int64_t *batch_rows = cx_malloc((size_t)bsz * sizeof *batch_rows);
    cx_progress pr;
    if (progress) cx_progress_start(&pr, "predict", "img", n);
    int rc = 0;
    for (int64_t at = 0; at < n; at += bsz) {
        int m = (int)(n - at < bsz ? n - at : bsz);
        for (int i = 0; i < bsz; i++) batch_rows[i] = rows[at + (i < m ? i : 0)];
        train_batch_fill(&b, meta, pk, batch_rows, bsz, TRAIN_AUG_NONE, 0, 0);
        if (densenet_forward(plan, b.x, lg, gz, err)) {
            rc = -1;
            break;
        }
        memcpy(logits + (size_t)at * k, lg, (size_t)m * k * sizeof *lg);
        if (gaze) memcpy(gaze + (size_t)at * hw, gz, (size_t)m * hw * sizeof *gz);
        if (progress) cx_progress_update(&pr, at + m, NULL);
    }
    if (progress) cx_progress_finish(&pr);
    train_batch_free(&b);
    free(lg);
    free(gz);
    free(batch_rows);
    return rc;
}
