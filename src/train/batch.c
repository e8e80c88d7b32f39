// train/batch: model inputs and targets from pack rows: ImageNet-normalised 3-channel images,
// the 14 labels and their mask, and the DenseNet-Aug gaze target (METHODS.md §1).
#include "train/train.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

// Weights of the 1-D area (box) resampling from n input cells to m output cells: output o
// covers [o*n/m, (o+1)*n/m) of the input, each input cell weighted by its overlap, divided by
// the cover length n/m. w: [m,n].
static void area_weights(int n, int m, float *w) {
    const double scale = (double)n / m;
    memset(w, 0, (size_t)m * n * sizeof *w);
    for (int o = 0; o < m; o++) {
        double lo = o * scale, hi = (o + 1) * scale;
        for (int i = (int)floor(lo); i < n && i < (int)ceil(hi); i++) {
            double ov = fmin(hi, i + 1.0) - fmax(lo, (double)i);
            if (ov > 0) w[(size_t)o * n + i] = (float)(ov / scale);
        }
    }
}

void gaze_target_area(const float *gaze, int s, int fh, int fw, float *target) {
    float *wy = cx_malloc((size_t)fh * s * sizeof *wy), *wx = cx_malloc((size_t)fw * s * sizeof *wx);
    float *rows = cx_calloc((size_t)fh * s, sizeof *rows); // [fh,S]: downsampled along y
    area_weights(s, fh, wy);
    area_weights(s, fw, wx);
    for (int o = 0; o < fh; o++)
        for (int y = 0; y < s; y++) {
            float w = wy[(size_t)o * s + y];
            if (w == 0.0f) continue;
            const float *g = gaze + (size_t)y * s;
            float *r = rows + (size_t)o * s;
            for (int x = 0; x < s; x++) r[x] += w * g[x];
        }
    float mx = 0.0f;
    for (int o = 0; o < fh; o++)
        for (int p = 0; p < fw; p++) {
            double acc = 0;
            for (int x = 0; x < s; x++) acc += (double)wx[(size_t)p * s + x] * rows[(size_t)o * s + x];
            target[(size_t)o * fw + p] = (float)acc;
            if ((float)acc > mx) mx = (float)acc;
        }
    if (mx > 0.0f)
        for (int i = 0; i < fh * fw; i++) target[i] /= mx;
    free(wy);
    free(wx);
    free(rows);
}

void train_batch_alloc(train_batch *b, int cap, int s, int k, int fh, int fw) {
    memset(b, 0, sizeof *b);
    b->cap = cap;
    b->s = s;
    b->k = k;
    b->fh = fh;
    b->fw = fw;
    const size_t plane = (size_t)s * s;
    b->x = cx_malloc((size_t)cap * 3 * plane * sizeof *b->x);
    b->y = cx_malloc((size_t)cap * k * sizeof *b->y);
    b->mask = cx_malloc((size_t)cap * k * sizeof *b->mask);
    b->has_gaze = cx_malloc((size_t)cap);
    b->gaze_target = cx_malloc((size_t)cap * fh * fw * sizeof *b->gaze_target);
    b->scratch = cx_malloc((size_t)cap * 2 * plane * sizeof *b->scratch);
}

void train_batch_free(train_batch *b) {
    free(b->x);
    free(b->y);
    free(b->mask);
    free(b->has_gaze);
    free(b->gaze_target);
    free(b->scratch);
    memset(b, 0, sizeof *b);
}

void train_batch_fill(train_batch *b, const model_meta *meta, const pack *d, const int64_t *rows, int n,
                      train_augment mode, uint64_t seed, int epoch) {
    CX_ASSERT(n <= b->cap && d->size == b->s && b->k == CX_N_LABELS);
    const int s = b->s, k = b->k, hw = b->fh * b->fw;
    const size_t plane = (size_t)s * s;
    b->n = n;
#pragma omp parallel for schedule(static)
    for (int i = 0; i < n; i++) {
        const int64_t row = rows[i];
        const aug_params a = aug_draw(mode, seed, epoch, row);
        float *gray = b->scratch + (size_t)i * 2 * plane, *warped = gray + plane;
        const uint8_t *img = d->images + (size_t)row * plane;
        if (mode == TRAIN_AUG_NONE) { // evaluation: the very inputs attribution builds
            model_input_u8(meta, img, plane, b->x + (size_t)i * 3 * plane);
        } else {
            for (size_t p = 0; p < plane; p++) gray[p] = img[p] / 255.0f;
            aug_warp_f32(&a, gray, warped, s, 0.0f); // rotation fills black
            model_input_f32(meta, warped, plane, b->x + (size_t)i * 3 * plane);
        }
        for (int c = 0; c < k; c++) {
            b->y[(size_t)i * k + c] = d->labels[(size_t)row * k + c];
            b->mask[(size_t)i * k + c] = d->label_mask ? (float)(d->label_mask[(size_t)row * k + c] != 0) : 1.0f;
        }
        const int32_t g = d->gaze_row ? d->gaze_row[row] : -1;
        b->has_gaze[i] = g >= 0;
        float *t = b->gaze_target + (size_t)i * hw;
        if (g >= 0) {
            aug_warp_f32(&a, d->gaze + (size_t)g * plane, warped, s, 0.0f);
            gaze_target_area(warped, s, b->fh, b->fw, t);
        } else {
            memset(t, 0, (size_t)hw * sizeof *t);
        }
    }
}
