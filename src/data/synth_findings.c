// data/synth_findings: planted findings, painted on the phantom's density map D and lung markings
// M, each with its binary mask. Every finding changes the pixels inside its mask in a known
// direction (denser: brighter, except the pneumothorax, which is a lucency) and leaves pixels away
// from it untouched. Parameters per kind (chest units) are chosen in synth_plan.c.
#include <math.h>
#include <string.h>

#include "data/synth_internal.h"

static float lung_occ_any(const synth_anatomy *a, float u, float v) {
    return fmaxf(synth_lung_occ(a, 0, u, v, NULL), synth_lung_occ(a, 1, u, v, NULL));
}

static float seg_dist(float u, float v, const float *p0, const float *p1) {
    float du = p1[0] - p0[0], dv = p1[1] - p0[1];
    float l2 = du * du + dv * dv;
    float t = l2 > 0 ? ((u - p0[0]) * du + (v - p0[1]) * dv) / l2 : 0;
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    float eu = u - (p0[0] + t * du), ev = v - (p0[1] + t * dv);
    return sqrtf(eu * eu + ev * ev);
}

// Fluid top of an effusion at u (meniscus: highest at the lateral chest wall).
static float effusion_top(const synth_anatomy *a, const synth_finding *f, float u) {
    int s = f->side;
    float sg = s ? 1.0f : -1.0f;
    float lat = sg * (u - a->lung_u[s]) / a->lung_a[s]; // 1 at the lateral edge
    float v_cp = a->lung_v[s] + a->dia_base[s] + a->dia_curv;
    float m = (1.0f - lat) * 0.5f;
    return v_cp - f->a + f->b * m * m;
}

// Chest-unit extent of a finding's effect.
static void finding_extent(const synth_anatomy *a, const synth_finding *f, float e[4]) {
    int s = f->side;
    switch (f->kind) {
    case SK_CARDIOMEGALY:
        e[0] = a->heart_u - a->heart_a, e[2] = a->heart_u + a->heart_a;
        e[1] = a->heart_v - a->heart_b, e[3] = a->heart_v + a->heart_b;
        return;
    case SK_WIDE_MEDIASTINUM:
        e[0] = a->med_u - 1.3f * a->med_hw, e[2] = a->med_u + 1.3f * a->med_hw;
        e[1] = -1.05f, e[3] = a->heart_v - 0.5f * a->heart_b;
        return;
    case SK_EDEMA:
        e[0] = -1.0f, e[2] = 1.0f, e[1] = -0.9f, e[3] = 0.75f;
        return;
    case SK_EFFUSION:
    case SK_PNEUMOTHORAX:
    case SK_CONSOLIDATION:
    case SK_PLEURAL_THICK:
        e[0] = a->lung_u[s] - a->lung_a[s] - 0.05f, e[2] = a->lung_u[s] + a->lung_a[s] + 0.05f;
        e[1] = a->lung_v[s] - a->lung_b[s] - 0.05f, e[3] = a->lung_v[s] + a->lung_b[s] + 0.05f;
        return;
    case SK_DEVICE: {
        e[0] = e[2] = f->pts[0][0], e[1] = e[3] = f->pts[0][1];
        for (int k = 1; k < f->npts; k++) {
            e[0] = fminf(e[0], f->pts[k][0]), e[2] = fmaxf(e[2], f->pts[k][0]);
            e[1] = fminf(e[1], f->pts[k][1]), e[3] = fmaxf(e[3], f->pts[k][1]);
        }
        float r = f->a + 0.15f; // pacemaker box
        e[0] -= r, e[1] -= r, e[2] += r, e[3] += r;
        return;
    }
    case SK_FRACTURE:
        e[0] = f->u - 0.2f, e[2] = f->u + 0.2f, e[1] = f->v - 0.12f, e[3] = f->v + 0.12f;
        return;
    default: { // blobs, nodule, plate: a circle of the largest half size (+ soft margin)
        float r = fmaxf(f->a, f->b) * 2.2f + 0.03f;
        if (f->kind == SK_PNEUMONIA)
            for (int k = 0; k < f->npts; k++)
                r = fmaxf(r,
                          hypotf(f->pts[k][0] - f->u, f->pts[k][1] - f->v) + 2.2f * f->pts[k][2]);
        e[0] = f->u - r, e[2] = f->u + r, e[1] = f->v - r, e[3] = f->v + r;
    }
    }
}

// The finding at one point: *dD density added, *mfac factor on the lung markings, returns 1
// inside the mask.
// Pleural effusion: fluid replacing the aerated lung up to a meniscus.
static int effusion_at(const synth_anatomy *a, const synth_finding *f, float u, float v, float *dD,
                       float *mfac) {
    int s = f->side;
    float air_full = a->air;
    float occ = synth_lung_occ(a, s, u, v, NULL);
    if (occ <= 0) return 0;
    // Fluid replaces the aerated lung: as dense as the soft tissue below the diaphragm, whose
    // outline it hides; the meniscus fades upwards.
    float fluid = synth_smooth01((v - effusion_top(a, f, u)) / 0.08f);
    float air = synth_air(a, u, v);
    *dD = fluid * (air + f->strength * occ);
    *mfac = 1.0f - fluid;
    return occ > 0.5f && fluid > 0.5f && air > 0.2f * air_full;
}

// Consolidation: a lobe-shaped opacity bounded by a fissure.
static int consolidation_at(const synth_anatomy *a, const synth_finding *f, float u, float v, float *dD,
                            float *mfac) {
    int s = f->side;
    float air_full = a->air;
    float occ = synth_lung_occ(a, s, u, v, NULL);
    if (occ <= 0) return 0;
    float fis = f->b + tanf(f->angle) * (u - a->lung_u[s]);
    float side_of = (f->sub ? 1.0f : -1.0f) * (v - fis);
    float g = synth_smooth01(side_of / 0.012f) *
              synth_smooth01((f->a - hypotf(u - f->u, v - f->v)) / 0.1f);
    float air = synth_air(a, u, v);
    *dD = g * (0.85f * air + f->strength * occ);
    *mfac = 1.0f - g;
    return g > 0.5f && occ > 0.5f && air > 0.2f * air_full;
}

// Support device: a pacemaker generator and its leads, or a line.
static int device_at(const synth_anatomy *a, const synth_finding *f, float u, float v, float *dD,
                     float *mfac) {
    float d = 1e9f;
    int k0 = 0;
    if (f->sub == DEV_PACEMAKER) { // generator: a rounded box at pts[0]
        float c = cosf(f->angle), sn = sinf(f->angle), du = u - f->pts[0][0],
              dv = v - f->pts[0][1];
        float p = fabsf(c * du + sn * dv) - 0.1f, q = fabsf(-sn * du + c * dv) - 0.065f;
        float box = hypotf(fmaxf(p, 0), fmaxf(q, 0)) + fminf(fmaxf(p, q), 0) - 0.015f;
        if (box < 0.02f) {
            *dD = 1.8f * synth_smooth01(-box / 0.01f + 0.5f);
            return box < 0.012f;
        }
        k0 = 1;
    }
    for (int k = k0; k + 1 < f->npts; k++)
        d = fminf(d, seg_dist(u, v, f->pts[k], f->pts[k + 1]));
    float x = d / f->a;
    if (x < 1.0f)
        *dD = f->strength * (0.75f + 0.25f * x * x) * synth_smooth01((1.0f - x) / 0.35f);
    return d < f->a + 0.012f;
}

// Pneumothorax: air between the chest wall and the collapsed lung.
static int pneumothorax_at(const synth_anatomy *a, const synth_finding *f, float u, float v, float *dD,
                           float *mfac) {
    int s = f->side;
    float sg = s ? 1.0f : -1.0f;
    float air_full = a->air;
    float occ = synth_lung_occ(a, s, u, v, NULL);
    if (occ <= 0) return 0;
    // The collapsed lung: the lung shrunk by f->a towards a point at its medial base.
    float au = a->lung_u[s] - sg * 0.3f * a->lung_a[s],
          av = a->lung_v[s] + a->dia_base[s] - 0.05f;
    float io = synth_lung_occ(a, s, au + (u - au) / f->a, av + (v - av) / f->a, NULL);
    float region = occ * (1.0f - io);
    float air = synth_air(a, u, v);
    *dD = -f->strength * region * (air / air_full) + 0.22f * 4.0f * io * (1.0f - io) * occ +
          0.04f * io * occ;
    *mfac = 1.0f - region;
    return occ > 0.5f && io < 0.5f && air > 0.2f * air_full;
}

// Rib fracture: a gap, the displaced lateral segment, a callus.
static int fracture_at(const synth_anatomy *a, const synth_finding *f, float u, float v, float *dD,
                       float *mfac) {
    float sg = f->side ? 1.0f : -1.0f;
    int k = f->sub, rib;
    float du = u - f->u;
    float lateral = sg * du; // > 0 beyond the break (towards the chest wall)
    float p0 = synth_rib_profile(a, u, v, &rib);
    if (rib != k) p0 = 0;
    float dd = 0;
    if (lateral > 0 && lateral < 0.16f) { // displaced segment, tapering back over 0.16
        float step = f->a * a->rib_t * (1.0f - lateral / 0.16f);
        float p1 = synth_rib_profile(a, u, v - step, &rib);
        if (rib != k) p1 = 0;
        dd += 0.12f * (p1 - p0);
    }
    if (fabsf(du) < 0.014f) dd -= 0.12f * p0; // the fracture gap
    float cu = du / 0.1f, cv = (v - f->v) / 0.075f;
    float c2 = cu * cu + cv * cv;
    if (c2 < 1.0f) dd += f->strength * synth_smooth01((1.0f - c2) / 0.5f); // callus
    *dD = dd;
    float mu = du / 0.11f, mv = (v - f->v) / 0.09f;
    return mu * mu + mv * mv < 1.0f;
}

// Pleural thickening: a band along the lateral lung edge.
static int pleural_thickening_at(const synth_anatomy *a, const synth_finding *f, float u, float v, float *dD,
                                 float *mfac) {
    int s = f->side;
    float sg = s ? 1.0f : -1.0f;
    float du = (u - a->lung_u[s]) / a->lung_a[s], dv = (v - a->lung_v[s]) / a->lung_b[s];
    if (dv < 0) du *= 1.0f + 0.35f * dv * dv;
    float q = du * du + dv * dv;
    if (q >= 1.0f || sg * du <= 0 || synth_lung_occ(a, s, u, v, NULL) <= 0) return 0;
    float dist = (1.0f - sqrtf(q)) * a->lung_a[s]; // to the lung edge, roughly
    float g = synth_smooth01((f->b - dist) / (0.3f * f->b) + 0.5f) *
              synth_smooth01((f->a - fabsf(v - f->v)) / 0.06f) * synth_smooth01(sg * du / 0.3f);
    *dD = f->strength * g;
    *mfac = 1.0f - g;
    return g > 0.5f;
}

static int finding_at(const synth_anatomy *a, const synth_finding *f, float u, float v, float *dD,
                      float *mfac) {
    *dD = 0;
    *mfac = 1;
    float air_full = a->air;
    switch (f->kind) {
    case SK_CARDIOMEGALY: { // density comes from the enlarged heart of the anatomy
        float du = (u - a->heart_u) / a->heart_a, dv = (v - a->heart_v) / a->heart_b;
        return du * du + dv * dv < 1.0f;
    }
    case SK_WIDE_MEDIASTINUM:
        return v > -1.05f && v < a->heart_v - 0.5f * a->heart_b && synth_med_occ(a, u, v) > 0.5f;
    case SK_EFFUSION:
        return effusion_at(a, f, u, v, dD, mfac);
    case SK_OPACITY: {
        float c = cosf(f->angle), sn = sinf(f->angle), du = u - f->u, dv = v - f->v;
        float p = (c * du + sn * dv) / f->a, q = (-sn * du + c * dv) / f->b;
        float r2 = p * p + q * q;
        if (r2 > 5.0f) return 0;
        float occ = lung_occ_any(a, u, v), g = expf(-r2);
        *dD = f->strength * g * occ;
        *mfac = 1.0f - 0.5f * g;
        return r2 < 1.0f && occ > 0.5f;
    }
    case SK_PNEUMONIA: {
        float g = 0;
        for (int k = 0; k < f->npts; k++) {
            float du = u - f->pts[k][0], dv = v - f->pts[k][1], r = f->pts[k][2];
            g += expf(-(du * du + dv * dv) / (r * r));
        }
        g = fminf(g, 1.0f);
        float occ = lung_occ_any(a, u, v);
        *dD = f->strength * g * occ;
        *mfac = 1.0f - 0.6f * g;
        return g > 0.4f && occ > 0.5f;
    }
    case SK_CONSOLIDATION:
        return consolidation_at(a, f, u, v, dD, mfac);
    case SK_EDEMA: {
        float occ = lung_occ_any(a, u, v);
        if (occ <= 0) return 0;
        float g = 0;
        for (int k = 0; k < 2; k++) {
            float du = u - (k ? 1.0f : -1.0f) * 0.22f, dv = (v + 0.02f) * 0.8f;
            g = fmaxf(g, expf(-(du * du + dv * dv) / (2 * f->a * f->a)));
        }
        float air = synth_air(a, u, v);
        *dD = f->strength * g * occ;
        *mfac = 1.0f - 0.4f * g;
        return g > 0.45f && occ > 0.5f && air > 0.2f * air_full;
    }
    case SK_NODULE: {
        float du = u - f->u, dv = v - f->v;
        float ang = atan2f(dv, du);
        float r = sqrtf(du * du + dv * dv) / (f->a * (1.0f + 0.08f * sinf(5 * ang + f->angle)));
        if (r >= 1.2f) return 0;
        *dD = f->strength * synth_smooth01((1.0f - r) / 0.18f);
        return r < 1.0f;
    }
    case SK_DEVICE:
        return device_at(a, f, u, v, dD, mfac);
    case SK_PNEUMOTHORAX:
        return pneumothorax_at(a, f, u, v, dD, mfac);
    case SK_FRACTURE:
        return fracture_at(a, f, u, v, dD, mfac);
    case SK_ATELECTASIS: {
        float c = cosf(f->angle), sn = sinf(f->angle), du = u - f->u, dv = v - f->v;
        float along = c * du + sn * dv, across = -sn * du + c * dv;
        float occ = lung_occ_any(a, u, v);
        float g = synth_smooth01((f->a - fabsf(along)) / 0.04f) *
                  synth_smooth01((f->b - fabsf(across)) / (0.6f * f->b) + 0.3f);
        *dD = f->strength * g * occ;
        *mfac = 1.0f - 0.7f * g;
        return fabsf(along) < f->a && fabsf(across) < f->b && occ > 0.5f;
    }
    case SK_PLEURAL_THICK:
        return pleural_thickening_at(a, f, u, v, dD, mfac);
    }
    return 0;
}

void synth_paint_finding(const synth_anatomy *a, const synth_image *im, const synth_finding *f,
                         float *D, float *M, uint8_t *mask, int bbox[4]) {
    float e[4];
    int b[4];
    finding_extent(a, f, e);
    synth_chest_box_px(im, e[0], e[1], e[2], e[3], b);
    int x0 = im->w, y0 = im->h, x1 = 0, y1 = 0;
    for (int y = b[1]; y < b[3]; y++)
        for (int x = b[0]; x < b[2]; x++) {
            float u, v, dD, mfac;
            synth_px_to_chest(im, x + 0.5f, y + 0.5f, &u, &v);
            int in = finding_at(a, f, u, v, &dD, &mfac);
            size_t j = (size_t)y * im->w + x;
            if (D) {
                D[j] += dD;
                M[j] *= mfac;
            }
            if (in) {
                mask[j] = 255;
                if (x < x0) x0 = x;
                if (x >= x1) x1 = x + 1;
                if (y < y0) y0 = y;
                if (y >= y1) y1 = y + 1;
            }
        }
    if (x1 <= x0) x0 = y0 = x1 = y1 = 0;
    bbox[0] = x0, bbox[1] = y0, bbox[2] = x1, bbox[3] = y1;
}
