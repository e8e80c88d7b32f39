// train/augment: random horizontal flip and rotation, applied alike to the image, its gaze map
// and its region masks so they stay aligned. Drawn from (seed, epoch, image) alone, so the same
// image gets the same transform on every rank, thread count and after a resume.
#include "train/train.h"

#include <math.h>
#include <string.h>

int train_augment_parse(const char *s, train_augment *out) {
    if (!strcmp(s, "none")) *out = TRAIN_AUG_NONE;
    else if (!strcmp(s, "flip")) *out = TRAIN_AUG_FLIP;
    else if (!strcmp(s, "flip+rotate")) *out = TRAIN_AUG_FLIP_ROTATE;
    else return -1;
    return 0;
}

const char *train_augment_name(train_augment a) {
    switch (a) {
    case TRAIN_AUG_NONE: return "none";
    case TRAIN_AUG_FLIP: return "flip";
    case TRAIN_AUG_FLIP_ROTATE: return "flip+rotate";
    }
    return "?";
}

// RNG stream of one (epoch, image): disjoint from the shuffling streams (high bit set).
static uint64_t aug_stream(int epoch, int64_t image) {
    return (1ull << 63) | ((uint64_t)(uint32_t)epoch << 32) | (uint64_t)(uint32_t)image;
}

aug_params aug_draw(train_augment mode, uint64_t seed, int epoch, int64_t image) {
    aug_params a = {0, 0.0f};
    if (mode == TRAIN_AUG_NONE) return a;
    cx_rng r;
    cx_rng_seed(&r, seed, aug_stream(epoch, image));
    a.flip = cx_rng_uniform(&r) < 0.5;
    if (mode == TRAIN_AUG_FLIP_ROTATE)
        a.angle_deg = (float)((2.0 * cx_rng_uniform(&r) - 1.0) * TRAIN_MAX_ROTATE_DEG);
    return a;
}

// The source position (sx, sy) that output pixel (x, y) samples. Forward transform: flip
// x -> S-1-x, then rotate by angle counter-clockwise on screen (y down) about the centre.
// Inverse rotation: p = (qx cos t - qy sin t, qx sin t + qy cos t) relative to the centre.
static inline void source_of(const aug_params *a, float c, float cs, float sn, int x, int y,
                             float *sx, float *sy) {
    float qx = (float)x - c, qy = (float)y - c;
    float px = qx * cs - qy * sn, py = qx * sn + qy * cs;
    if (a->flip) px = -px;
    *sx = px + c;
    *sy = py + c;
}

void aug_warp_f32(const aug_params *a, const float *src, float *dst, int s, float fill) {
    if (!a->flip && a->angle_deg == 0.0f) {
        memmove(dst, src, (size_t)s * s * sizeof *dst);
        return;
    }
    const float c = 0.5f * (float)(s - 1);
    const float t = a->angle_deg * (float)(M_PI / 180.0), cs = cosf(t), sn = sinf(t);
    for (int y = 0; y < s; y++)
        for (int x = 0; x < s; x++) {
            float sx, sy;
            source_of(a, c, cs, sn, x, y, &sx, &sy);
            float *o = &dst[(size_t)y * s + x];
            if (a->angle_deg == 0.0f) { // pure flip: exact copy
                *o = src[(size_t)y * s + (int)lrintf(sx)];
                continue;
            }
            // Bilinear; neighbours outside the image contribute `fill`.
            float fx = floorf(sx), fy = floorf(sy);
            int x0 = (int)fx, y0 = (int)fy;
            float wx = sx - fx, wy = sy - fy, acc = 0.0f;
            for (int dy = 0; dy < 2; dy++)
                for (int dx = 0; dx < 2; dx++) {
                    int xx = x0 + dx, yy = y0 + dy;
                    float w = (dx ? wx : 1.0f - wx) * (dy ? wy : 1.0f - wy);
                    float v = (xx >= 0 && xx < s && yy >= 0 && yy < s) ? src[(size_t)yy * s + xx]
                                                                       : fill;
                    acc += w * v;
                }
            *o = acc;
        }
}

void aug_warp_u8(const aug_params *a, const uint8_t *src, uint8_t *dst, int s) {
    if (!a->flip && a->angle_deg == 0.0f) {
        memmove(dst, src, (size_t)s * s);
        return;
    }
    const float c = 0.5f * (float)(s - 1);
    const float t = a->angle_deg * (float)(M_PI / 180.0), cs = cosf(t), sn = sinf(t);
    for (int y = 0; y < s; y++)
        for (int x = 0; x < s; x++) {
            float sx, sy;
            source_of(a, c, cs, sn, x, y, &sx, &sy);
            int xx = (int)lrintf(sx), yy = (int)lrintf(sy); // nearest: masks stay binary
            dst[(size_t)y * s + x] =
                (xx >= 0 && xx < s && yy >= 0 && yy < s) ? src[(size_t)yy * s + xx] : 0;
        }
}

void aug_warp_regions(const aug_params *a, const uint8_t *src, uint8_t *dst, int s) {
    const size_t plane = (size_t)s * s;
    for (int r = 0; r < CX_N_REGIONS; r++) {
        int from = r;
        // After a flip the patient's right lung sits where the left one was: swap the labels.
        if (a->flip && r == REGION_RIGHT_LUNG) from = REGION_LEFT_LUNG;
        if (a->flip && r == REGION_LEFT_LUNG) from = REGION_RIGHT_LUNG;
        aug_warp_u8(a, src + (size_t)from * plane, dst + (size_t)r * plane, s);
    }
}
