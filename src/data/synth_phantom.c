// data/synth_phantom: the chest radiograph phantom. A density map D (attenuation units: ~1 through
// the soft tissue of the trunk, ~0.2 through an aerated lung, 0 outside the body) is built from
// analytic shapes in chest units (see synth_internal.h), lung markings M (coarse texture + a vessel
// tree) are kept apart so that findings can hide them, planted findings are painted on top, and
// the sum goes through an exposure curve pixel = lo + (hi - lo) * (1 - exp(-k * D)) plus noise.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data/synth_internal.h"

const char *const SYNTH_VIEW_NAMES[4] = {"PA", "AP", "LATERAL", "LL"};

// ---- shapes (chest units) --------------------------------------------------------------------
float synth_lung_occ(const synth_anatomy *a, int side, float u, float v, float *depth) {
    float du = (u - a->lung_u[side]) / a->lung_a[side];
    float dv = (v - a->lung_v[side]) / a->lung_b[side];
    // Narrower apex: the half-width shrinks towards the top of the ellipse.
    if (dv < 0) du *= 1.0f + 0.35f * dv * dv;
    float q = du * du + dv * dv;
    if (q >= 1.0f) {
        if (depth) *depth = 0;
        return 0;
    }
    float v_dia = a->lung_v[side] + a->dia_base[side] + a->dia_curv * du * du;
    float occ = synth_smooth01((1.0f - q) / 0.06f) * synth_smooth01((v_dia - v) / 0.02f);
    if (depth) *depth = sqrtf(1.0f - q);
    return occ;
}

float synth_heart_occ(const synth_anatomy *a, float u, float v) {
    // Upper half an ellipse; below its equator the silhouette keeps its full width down to the
    // diaphragm, so no lung shows between heart and diaphragm.
    float du = (u - a->heart_u) / a->heart_a, dv = (v - a->heart_v) / a->heart_b;
    if (dv > 0) dv *= 0.35f;
    float q = du * du + dv * dv;
    return q >= 1.0f ? 0 : synth_smooth01((1.0f - q) / 0.12f);
}

float synth_med_occ(const synth_anatomy *a, float u, float v) {
    if (v > a->heart_v || v < -1.6f) return 0;
    // Upper mediastinum: a band that widens a little towards the heart.
    float hw = a->med_hw * (1.0f + 0.25f * synth_smooth01((v + 0.4f) / 0.4f));
    float d = hw - fabsf(u - a->med_u);
    return synth_smooth01(d / 0.03f) * synth_smooth01((a->heart_v - v) / 0.1f);
}

static float knob_occ(const synth_anatomy *a, float u, float v) {
    float du = (u - a->knob_u) / a->knob_r, dv = (v - a->knob_v) / a->knob_r;
    float q = du * du + dv * dv;
    return q >= 1.0f ? 0 : synth_smooth01((1.0f - q) / 0.25f);
}

float synth_air(const synth_anatomy *a, float u, float v) {
    float air = 0, depth;
    for (int side = 0; side < 2; side++) {
        float occ = synth_lung_occ(a, side, u, v, &depth);
        if (occ > 0) air += occ * (0.25f + 0.75f * sqrtf(depth));
    }
    if (air <= 0) return 0;
    air *= (1.0f - 0.92f * synth_heart_occ(a, u, v)) * (1.0f - 0.95f * synth_med_occ(a, u, v));
    return air * a->air;
}

// Posterior ribs (arched, thicker laterally) plus fainter anterior ribs sloping down medially.
// Returns a bone profile in [0,1] with a brighter cortex; *rib = index of the posterior rib.
float synth_rib_centre_v(const synth_anatomy *a, int k, float u) {
    float au = fabsf(u);
    return a->rib_v0 + (float)k * a->rib_dv + 0.55f * (au - 0.3f) * (au - 0.3f) - 0.05f;
}

float synth_rib_profile(const synth_anatomy *a, float u, float v, int *rib) {
    float au = fabsf(u);
    *rib = -1;
    if (au > 1.0f || v < -1.1f || v > 0.8f) return 0;
    float fade = synth_smooth01((au - 0.06f) / 0.08f) * synth_smooth01((0.99f - au) / 0.06f);
    float out = 0;
    float arch = 0.55f * (au - 0.3f) * (au - 0.3f) - 0.05f;
    float t = (v - a->rib_v0 - arch) / a->rib_dv;
    int k = (int)floorf(t + 0.5f);
    if (k >= 0 && k < 10) {
        float h = a->rib_t * 0.5f * (0.8f + 0.45f * au);
        float x = fabsf(t - (float)k) * a->rib_dv / h;
        if (x < 1.0f) {
            out = (0.7f + 0.3f * x * x) * synth_smooth01((1.0f - x) / 0.3f) * fade;
            *rib = k;
        }
    }
    if (au > 0.3f) { // anterior ribs, fading medially towards the cartilage
        float t2 = (v - a->rib_v0 - 0.1f - 0.3f * (0.95f - au)) / a->rib_dv;
        int k2 = (int)floorf(t2 + 0.5f);
        if (k2 >= 0 && k2 < 7) {
            float x = fabsf(t2 - (float)k2) * a->rib_dv / (a->rib_t * 0.45f);
            if (x < 1.0f)
                out += 0.45f * synth_smooth01((1.0f - x) / 0.4f) *
                       synth_smooth01((au - 0.3f) / 0.2f) * fade;
        }
    }
    return out;
}

static float body_halfwidth(const synth_anatomy *a, float v) {
    float neck = 0.34f, shoulder = a->body_hw + 0.16f;
    float w = neck + (shoulder - neck) * synth_smooth01((v + 1.42f) / 0.3f);
    return w - 0.16f * synth_smooth01((v + 1.0f) / 0.45f) + 0.0f;
}

static float segment_dist(float u, float v, float u0, float v0, float u1, float v1) {
    float du = u1 - u0, dv = v1 - v0;
    float t = ((u - u0) * du + (v - v0) * dv) / (du * du + dv * dv);
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    float eu = u - (u0 + t * du), ev = v - (v0 + t * dv);
    return sqrtf(eu * eu + ev * ev);
}

static float clavicle_profile(const synth_anatomy *a, float u, float v) {
    if (v > a->clav_v + 0.12f || v < a->clav_v - 0.3f) return 0;
    float sg = u < 0 ? -1.0f : 1.0f;
    float d = segment_dist(u, v, sg * 0.07f, a->clav_v, sg * 0.78f, a->clav_v - 0.14f);
    float x = d / 0.032f;
    return x >= 1.0f ? 0 : (0.75f + 0.25f * x * x) * synth_smooth01((1.0f - x) / 0.3f);
}

static float texture(const synth_anatomy *a, float u, float v) {
    // bilinear on the coarse grid covering [-1.2, 1.2]^2
    float gx = (u + 1.2f) / 2.4f * (SYNTH_TEX_N - 1), gy = (v + 1.2f) / 2.4f * (SYNTH_TEX_N - 1);
    if (gx < 0 || gy < 0 || gx >= SYNTH_TEX_N - 1 || gy >= SYNTH_TEX_N - 1) return 0;
    int ix = (int)gx, iy = (int)gy;
    float fx = gx - ix, fy = gy - iy;
    fx = fx * fx * (3 - 2 * fx);
    fy = fy * fy * (3 - 2 * fy);
    return (1 - fy) * ((1 - fx) * a->tex[iy][ix] + fx * a->tex[iy][ix + 1]) +
           fy * ((1 - fx) * a->tex[iy + 1][ix] + fx * a->tex[iy + 1][ix + 1]);
}

void synth_chest_box_extent(const synth_image *im, float u0, float v0, float u1, float v1,
                            float e[4]) {
    float xs[4], ys[4];
    synth_chest_to_px(im, u0, v0, &xs[0], &ys[0]);
    synth_chest_to_px(im, u1, v0, &xs[1], &ys[1]);
    synth_chest_to_px(im, u0, v1, &xs[2], &ys[2]);
    synth_chest_to_px(im, u1, v1, &xs[3], &ys[3]);
    e[0] = e[2] = xs[0], e[1] = e[3] = ys[0];
    for (int i = 1; i < 4; i++) {
        e[0] = fminf(e[0], xs[i]), e[2] = fmaxf(e[2], xs[i]);
        e[1] = fminf(e[1], ys[i]), e[3] = fmaxf(e[3], ys[i]);
    }
}

void synth_chest_box_px(const synth_image *im, float u0, float v0, float u1, float v1, int b[4]) {
    float e[4];
    synth_chest_box_extent(im, u0, v0, u1, v1, e);
    // A margin of 2-3 px so that the soft edges of what is painted inside are not cut.
    b[0] = (int)fmaxf(0, floorf(e[0]) - 2), b[1] = (int)fmaxf(0, floorf(e[1]) - 2);
    b[2] = (int)fminf((float)im->w, ceilf(e[2]) + 3);
    b[3] = (int)fminf((float)im->h, ceilf(e[3]) + 3);
}

// ---- the anatomy an image shows ------------------------------------------------------------
void synth_image_anatomy(const synth_plan *p, int64_t i, int plant, synth_anatomy *a) {
    const synth_image *im = &p->img[i];
    const synth_study *st = &p->study[im->study];
    *a = st->anat;
    if (plant)
        for (int k = 0; k < st->n_find; k++) {
            const synth_finding *f = &st->find[k];
            if (f->kind == SK_CARDIOMEGALY) { // a = width factor, b = height factor
                a->heart_a *= f->a;
                a->heart_b *= f->b;
                a->heart_u += 0.05f * (f->a - 1.0f);
                a->heart_v += 0.06f * (f->b - 1.0f);
            } else if (f->kind == SK_WIDE_MEDIASTINUM) {
                a->med_hw = f->a;
            }
        }
    if (im->view == VIEW_AP) { // magnified heart, shallower inspiration, higher clavicles
        a->heart_a *= 1.1f;
        a->heart_b *= 1.06f;
        for (int s = 0; s < 2; s++)
            a->lung_b[s] *= 0.94f, a->dia_base[s] -= 0.04f;
        a->clav_v -= 0.06f;
    }
}

// Bilinear sample of a half-resolution grid g [h2, w2] at full-resolution pixel (x, y): grid cell
// (gx, gy) is the centre of the 2x2 block of full-resolution pixels (2gx.., 2gy..).
static inline float half_sample(const float *g, int w2, int h2, int x, int y) {
    float fx = 0.5f * ((float)x - 0.5f), fy = 0.5f * ((float)y - 0.5f);
    if (fx < 0) fx = 0;
    if (fy < 0) fy = 0;
    int x0 = (int)fx, y0 = (int)fy;
    if (x0 > w2 - 1) x0 = w2 - 1;
    if (y0 > h2 - 1) y0 = h2 - 1;
    int x1 = x0 + 1 < w2 ? x0 + 1 : x0, y1 = y0 + 1 < h2 ? y0 + 1 : y0;
    float tx = fminf(fx - x0, 1.0f), ty = fminf(fy - y0, 1.0f);
    return (1 - ty) * ((1 - tx) * g[(size_t)y0 * w2 + x0] + tx * g[(size_t)y0 * w2 + x1]) +
           ty * ((1 - tx) * g[(size_t)y1 * w2 + x0] + tx * g[(size_t)y1 * w2 + x1]);
}

// ---- lung markings: a branching vessel tree from each hilum ------------------------------------
// air01 [h2, w2]: the aerated-lung fraction on the half-resolution grid (vessels show in lung
// only).
typedef struct vessel_ctx {
    const synth_anatomy *a;
    const synth_image *im;
    float *M;
    const float *air01;
    int w2, h2;
} vessel_ctx;

static void paint_vessel(const vessel_ctx *c, float u0, float v0, float u1, float v1, float width,
                         float dens) {
    const synth_image *im = c->im;
    float *M = c->M;
    int b[4];
    float r = width * 1.5f;
    synth_chest_box_px(im, fminf(u0, u1) - r, fminf(v0, v1) - r, fmaxf(u0, u1) + r,
                       fmaxf(v0, v1) + r, b);
    for (int y = b[1]; y < b[3]; y++)
        for (int x = b[0]; x < b[2]; x++) {
            float u, v;
            synth_px_to_chest(im, x + 0.5f, y + 0.5f, &u, &v);
            float d = segment_dist(u, v, u0, v0, u1, v1) / width;
            if (d >= 1.5f) continue;
            float air = half_sample(c->air01, c->w2, c->h2, x, y);
            if (air <= 0) continue;
            float w = expf(-2.0f * d * d) * dens * air;
            float *m = &M[(size_t)y * im->w + x];
            if (w > *m) *m = w; // overlapping branches do not add up
        }
}

static void vessel_branch(const vessel_ctx *c, cx_rng *r, float u, float v, float ang, float len,
                          float width, int depth) {
    float u1 = u + len * cosf(ang), v1 = v + len * sinf(ang);
    paint_vessel(c, u, v, u1, v1, width, 0.06f);
    if (depth == 0) return;
    for (int k = 0; k < 2; k++) {
        float da = (k ? 1.0f : -1.0f) * (0.18f + 0.2f * (float)cx_rng_uniform(r));
        vessel_branch(c, r, u1, v1, ang + da, len * (0.62f + 0.2f * (float)cx_rng_uniform(r)),
                      width * 0.72f, depth - 1);
    }
}

static void paint_vessels(const synth_anatomy *a, const synth_image *im, float *M,
                          const float *air01, int w2, int h2) {
    vessel_ctx c = {a, im, M, air01, w2, h2};
    cx_rng r;
    cx_rng_seed(&r, a->tex_seed, 1);
    for (int side = 0; side < 2; side++) {
        float sg = side ? 1.0f : -1.0f;
        float hu = sg * 0.2f, hv = -0.08f;
        int n = 5;
        for (int k = 0; k < n; k++) {
            // Fan from up-lateral (-60 deg) to down-lateral (+75 deg), mirrored for the left side.
            float t = ((float)k + 0.5f) / n;
            float ang = -1.05f + 2.35f * t + 0.15f * (float)cx_rng_normal(&r);
            float dir = side ? ang : (float)M_PI - ang;
            vessel_branch(&c, &r, hu, hv, dir, 0.22f + 0.05f * (float)cx_rng_uniform(&r), 0.024f,
                          3);
        }
    }
}

// ---- lateral view: one superimposed lung field, heart anterior, spine posterior ---------------
static float lateral_density(const synth_anatomy *a, float u, float v) {
    // Patient faces the image's left: sternum at u ~ -0.9, spine at u ~ +0.75.
    float bu = u / 1.05f, bv = (v - 0.1f) / 1.6f;
    float q = bu * bu + bv * bv * 0.2f;
    if (q >= 1.0f) return 0;
    float D = 0.8f * sqrtf(1.0f - q);
    // arms and shoulders over the upper chest
    D += 0.3f * synth_smooth01((-0.6f - v) / 0.35f) * synth_smooth01((0.85f - fabsf(u)) / 0.25f);
    // lung field: narrow apex, wide base; the diaphragm lower posteriorly (costophrenic sulcus)
    float lv = (v + 0.2f) / 0.8f; // -1 apex .. +1 base
    float half =
        0.72f *
        sqrtf(fmaxf(0.0f, 1.0f - 0.8f * fminf(lv, 0.0f) * fminf(lv, 0.0f) - 0.1f * lv * lv)) *
        (lv < -1.0f ? 0.0f : 1.0f);
    float lu = half > 0 ? (u + 0.02f) / half : 2.0f;
    float dia = 0.42f + 0.18f * (u + 0.8f) / 1.5f - 0.12f * (1.0f - lu * lu); // two domes, merged
    if (fabsf(lu) < 1.0f && v < dia + 0.05f) {
        float occ = synth_smooth01((1.0f - fabsf(lu)) / 0.1f) * synth_smooth01((dia - v) / 0.03f) *
                    synth_smooth01((lv + 1.0f) / 0.12f);
        float hu = (u + 0.32f) / (a->heart_a * 1.05f), hv = (v - 0.22f) / (a->heart_b * 1.2f);
        float hq = hu * hu + hv * hv;
        float heart = hq < 1.0f ? synth_smooth01((1.0f - hq) / 0.25f) : 0;
        D -= a->air * occ * (0.35f + 0.65f * sqrtf(fmaxf(0.0f, 1.0f - lu * lu))) *
             (1.0f - 0.6f * heart);
        // posterior ribs: faint oblique bands
        float t = (v - 0.35f * u) / 0.15f;
        float fr = t - floorf(t);
        if (u > 0.0f) D += 0.04f * synth_smooth01((0.3f - fabsf(fr - 0.5f)) / 0.1f) * occ;
    }
    // trachea: an air column slanting backwards down to the carina
    float tu = u - (-0.05f + 0.15f * (v + 1.3f) / 0.95f);
    if (v > -1.5f && v < -0.35f && fabsf(tu) < 0.06f)
        D -= 0.1f * synth_smooth01((0.05f - fabsf(tu)) / 0.015f);
    // spine: vertebral bodies with disc spaces (posterior), sternum (anterior)
    if (u > 0.62f && u < 0.88f && v > -1.4f) {
        float ph = fmodf(v + 2.0f, 0.17f) / 0.17f;
        float body = synth_smooth01((0.88f - u) / 0.03f) * synth_smooth01((u - 0.62f) / 0.03f);
        D += body * (ph < 0.82f ? 0.3f : 0.1f);
    }
    if (v > -0.95f && v < 0.3f) D += 0.15f * synth_smooth01((0.05f - fabsf(u + 0.93f)) / 0.02f);
    return D;
}

// ---- render --------------------------------------------------------------------------------
static void tone_lut(const synth_image *im, cx_rng *r, float *lut, int n, float dmin, float dmax) {
    float lo = 0.02f + 0.05f * (float)cx_rng_uniform(r),
          hi = 0.93f + 0.07f * (float)cx_rng_uniform(r);
    float gamma = 0.9f + 0.25f * (float)cx_rng_uniform(r);
    for (int i = 0; i < n; i++) {
        float d = dmin + (dmax - dmin) * (float)i / (float)(n - 1);
        float t = 1.0f - expf(-im->exposure * fmaxf(d, 0.0f));
        lut[i] = 255.0f * (lo + (hi - lo) * powf(t, gamma));
    }
}

// Approximately N(0,1) from one 64-bit draw (Irwin-Hall of four 16-bit uniforms).
static inline float fast_normal(cx_rng *r) {
    uint64_t x = cx_rng_u64(r);
    float s = (float)(x & 0xffff) + (float)((x >> 16) & 0xffff) + (float)((x >> 32) & 0xffff) +
              (float)(x >> 48);
    return (s - 131070.0f) * (1.0f / 37837.0f); // sd of the sum = 65536 * sqrt(4/12)
}

static void draw_marker(const synth_image *im, cx_rng *r, float *D) {
    // A lead marker ("L"-like) in the upper corner on the patient's left (image right).
    int sz = im->w / 40 + 2;
    int x0 = im->w - sz * 3 - (int)cx_rng_below(r, (uint64_t)(im->w / 12 + 1));
    int y0 = sz + (int)cx_rng_below(r, (uint64_t)(im->h / 10 + 1));
    for (int y = y0; y < y0 + 2 * sz && y < im->h; y++)
        for (int x = x0; x < x0 + sz + sz / 2 && x < im->w; x++)
            if (x < x0 + sz / 3 + 1 || y >= y0 + 2 * sz - sz / 3 - 1)
                D[(size_t)y * im->w + x] = 3.0f;
}

// The anatomy at one point: density *d, lung markings *m, aerated-lung fraction *air01.
static void anatomy_at(const synth_anatomy *a, int frontal, float u, float v, float *d_out,
                       float *m_out, float *air01) {
    *m_out = 0, *air01 = 0;
    if (!frontal) {
        *d_out = lateral_density(a, u, v);
        return;
    }
    float bw = body_halfwidth(a, v), t = u / bw;
    if (t * t >= 1.0f) {
        *d_out = 0;
        return;
    }
    float d = 0.78f * sqrtf(1.0f - t * t);
    float au = fabsf(u);
    if (au < 0.11f && v > -1.6f) { // spine with vertebral bodies and disc spaces
        float ph = fmodf(v + 3.0f, 0.145f) / 0.145f;
        d += 0.12f * synth_smooth01((0.075f - au) / 0.02f) * (ph < 0.8f ? 1.0f : 0.5f);
    }
    float med = synth_med_occ(a, u, v), heart = synth_heart_occ(a, u, v);
    // the heart adds density above the diaphragm only (below it merges with the abdomen)
    d += 0.14f * med + 0.1f * heart * synth_smooth01((a->heart_v + 0.5f * a->heart_b - v) / 0.1f) +
         0.12f * knob_occ(a, u, v);
    if (v > 0.55f) { // gastric bubble under the left hemidiaphragm (image right)
        float gu = (u - 0.38f) / 0.13f, gv = (v - 0.78f) / 0.09f, g = gu * gu + gv * gv;
        if (g < 1.0f) d -= 0.12f * synth_smooth01((1.0f - g) / 0.4f);
    }
    if (au < 0.06f && v < -0.38f && v > -1.6f) // trachea: an air column
        d -= 0.13f * synth_smooth01((0.035f - fabsf(u - 0.4f * (a->med_u))) / 0.012f) *
             synth_smooth01((-0.38f - v) / 0.06f);
    float air = synth_air(a, u, v);
    d -= air;
    int rib;
    // bone shows best against aerated lung
    d += (0.05f + 0.09f * fminf(1.0f, air / a->air)) * synth_rib_profile(a, u, v, &rib);
    d += 0.16f * clavicle_profile(a, u, v);
    *d_out = d;
    if (air > 0) {
        *m_out = air * a->tex_amp * texture(a, u, v);
        *air01 = air / a->air;
    }
}

// Separable [1 2 1]/4 blur of x [h, w] in place (tmp [h, w] scratch), edges replicated.
static void blur121(float *x, float *tmp, int w, int h) {
    for (int y = 0; y < h; y++) {
        const float *r = x + (size_t)y * w;
        float *t = tmp + (size_t)y * w;
        for (int i = 0; i < w; i++)
            t[i] = 0.25f * (r[i > 0 ? i - 1 : 0] + 2 * r[i] + r[i + 1 < w ? i + 1 : w - 1]);
    }
    for (int y = 0; y < h; y++) {
        const float *u = tmp + (size_t)(y > 0 ? y - 1 : 0) * w, *c = tmp + (size_t)y * w,
                    *d = tmp + (size_t)(y + 1 < h ? y + 1 : h - 1) * w;
        float *o = x + (size_t)y * w;
        for (int i = 0; i < w; i++)
            o[i] = 0.25f * (u[i] + 2 * c[i] + d[i]);
    }
}

void synth_render(const synth_plan *p, int64_t i, uint8_t *px, uint8_t **masks, int (*bbox)[4]) {
    const synth_image *im = &p->img[i];
    const synth_study *st = &p->study[im->study];
    const int plant = p->o->plant_findings;
    const int w = im->w, h = im->h;
    size_t n = (size_t)w * h;
    cx_rng r;
    cx_rng_seed(&r, p->o->seed, 1000 + (uint64_t)i); // this image's own stream
    float *D = cx_malloc(n * sizeof *D), *M = cx_calloc(n, sizeof *M);
    synth_anatomy a, ap; // as rendered; as planted (the masks always describe the planted findings)
    synth_image_anatomy(p, i, plant, &a);
    synth_image_anatomy(p, i, 1, &ap);
    const int frontal = im->view == VIEW_PA || im->view == VIEW_AP;

    // The smooth anatomy on a half-resolution grid (4x fewer evaluations), upsampled bilinearly;
    // vessels, findings, markers and noise are drawn at full resolution.
    int w2 = (w + 1) / 2, h2 = (h + 1) / 2;
    size_t n2 = (size_t)w2 * h2;
    float *D2 = cx_malloc(3 * n2 * sizeof *D2), *M2 = D2 + n2, *A2 = D2 + 2 * n2;
    for (int gy = 0; gy < h2; gy++) {
        float u, v, du, dv, u1, v1;
        synth_px_to_chest(im, 1.0f, 2.0f * gy + 1.0f, &u, &v);
        synth_px_to_chest(im, 3.0f, 2.0f * gy + 1.0f, &u1, &v1);
        du = u1 - u, dv = v1 - v;
        for (int gx = 0; gx < w2; gx++, u += du, v += dv) {
            size_t j = (size_t)gy * w2 + gx;
            anatomy_at(&a, frontal, u, v, &D2[j], &M2[j], &A2[j]);
        }
    }
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            D[(size_t)y * w + x] = half_sample(D2, w2, h2, x, y);
            M[(size_t)y * w + x] = half_sample(M2, w2, h2, x, y);
        }
    if (frontal) paint_vessels(&a, im, M, A2, w2, h2);
    free(D2);
    if (frontal && masks)
        for (int k = 0; k < st->n_find; k++) {
            memset(masks[k], 0, n);
            synth_paint_finding(&ap, im, &st->find[k], plant ? D : NULL, M, masks[k], bbox[k]);
        }
    if (cx_rng_uniform(&r) < 0.6) draw_marker(im, &r, D);
    for (size_t j = 0; j < n; j++)
        D[j] += M[j];
    blur121(D, M, w, h); // the detector's blur: no aliased, razor-sharp analytic edges

    enum { LUT_N = 4096 };
    const float dmin = -0.5f, dmax = 3.5f;
    float lut[LUT_N];
    tone_lut(im, &r, lut, LUT_N, dmin, dmax);
    const float scale = (LUT_N - 1) / (dmax - dmin);
    for (size_t j = 0; j < n; j++) {
        int li = (int)((D[j] - dmin) * scale + 0.5f);
        li = li < 0 ? 0 : li >= LUT_N ? LUT_N - 1 : li;
        float val = lut[li] + im->noise_sd * fast_normal(&r);
        px[j] = (uint8_t)(val < 0 ? 0 : val > 255 ? 255 : val + 0.5f);
    }
    free(D);
    free(M);
}

// ---- EGD region masks (CX_REGIONS order: aortic_knob, right_lung, left_lung, mediastinum) ----
void synth_regions(const synth_plan *p, int64_t i, uint8_t *regions[CX_N_REGIONS]) {
    const synth_image *im = &p->img[i];
    synth_anatomy a;
    synth_image_anatomy(p, i, p->o->plant_findings, &a);
    for (int y = 0; y < im->h; y++)
        for (int x = 0; x < im->w; x++) {
            float u, v;
            synth_px_to_chest(im, x + 0.5f, y + 0.5f, &u, &v);
            size_t j = (size_t)y * im->w + x;
            float heart = synth_heart_occ(&a, u, v), med = synth_med_occ(&a, u, v);
            float cover = fmaxf(heart, med);
            regions[REGION_AORTIC_KNOB][j] = knob_occ(&a, u, v) > 0.5f ? 255 : 0;
            // Patient's right lung = image-left lung (side 0) in a PA view.
            regions[REGION_RIGHT_LUNG][j] =
                synth_lung_occ(&a, 0, u, v, NULL) > 0.5f && cover < 0.5f ? 255 : 0;
            regions[REGION_LEFT_LUNG][j] =
                synth_lung_occ(&a, 1, u, v, NULL) > 0.5f && cover < 0.5f ? 255 : 0;
            regions[REGION_MEDIASTINUM][j] = cover > 0.5f && v > -1.3f ? 255 : 0;
        }
}
