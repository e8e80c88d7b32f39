// data/synth_plan: everything about the synthetic cohort that is not pixels: patients, studies and
// images with MIMIC-like ids, views and sizes, the patient split, each study's anatomy and planted
// findings, the noise-free labels and the noisy label table cells. One sequential RNG stream
// (seed, stream 0), so the plan depends on the seed alone.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/synth_internal.h"

// Prevalence of each finding kind among all non-EGD studies (roughly MIMIC-CXR's CheXpert
// positive rates; the rarest are raised a little so that small cohorts have positives).
static const double KIND_PREVALENCE[SK_N] = {
    [SK_CARDIOMEGALY] = 0.18, [SK_WIDE_MEDIASTINUM] = 0.05, [SK_EFFUSION] = 0.22,
    [SK_OPACITY] = 0.08,      [SK_PNEUMONIA] = 0.08,        [SK_CONSOLIDATION] = 0.05,
    [SK_EDEMA] = 0.12,        [SK_NODULE] = 0.05,           [SK_DEVICE] = 0.0, // by view, below
    [SK_PNEUMOTHORAX] = 0.05, [SK_FRACTURE] = 0.04,         [SK_ATELECTASIS] = 0.18,
    [SK_PLEURAL_THICK] = 0.04};
#define P_ABNORMAL 0.62 // studies with at least one pathology (No Finding ~ 0.38)

int synth_kind_labels(int kind, int labels[2]) {
    switch (kind) {
    case SK_CARDIOMEGALY:
        labels[0] = LB_CARDIOMEGALY;
        return 1;
    case SK_WIDE_MEDIASTINUM:
        labels[0] = LB_ENLARGED_CM;
        return 1;
    case SK_EFFUSION:
        labels[0] = LB_EFFUSION;
        return 1;
    case SK_OPACITY:
        labels[0] = LB_LUNG_OPACITY;
        return 1;
    case SK_PNEUMONIA:
        labels[0] = LB_PNEUMONIA, labels[1] = LB_LUNG_OPACITY;
        return 2;
    case SK_CONSOLIDATION:
        labels[0] = LB_CONSOLIDATION, labels[1] = LB_LUNG_OPACITY;
        return 2;
    case SK_EDEMA:
        labels[0] = LB_EDEMA;
        return 1;
    case SK_NODULE:
        labels[0] = LB_LUNG_LESION;
        return 1;
    case SK_DEVICE:
        labels[0] = LB_SUPPORT_DEVICES;
        return 1;
    case SK_PNEUMOTHORAX:
        labels[0] = LB_PNEUMOTHORAX;
        return 1;
    case SK_FRACTURE:
        labels[0] = LB_FRACTURE;
        return 1;
    case SK_ATELECTASIS:
        labels[0] = LB_ATELECTASIS;
        return 1;
    case SK_PLEURAL_THICK:
        labels[0] = LB_PLEURAL_OTHER;
        return 1;
    }
    return 0;
}

void synth_opts_default(synth_opts *o) {
    memset(o, 0, sizeof *o);
    o->n_images = 500;
    o->n_gaze_images = 100;
    o->size = 512;
    o->seed = 1;
    o->label_flip = 0.02;
    o->label_uncertain = 0.08;
    o->validate_fraction = 0.08;
    o->test_fraction = 0.12;
    o->plant_findings = 1;
}

static double unif(cx_rng *r, double lo, double hi) {
    return lo + (hi - lo) * cx_rng_uniform(r);
}
static float normf(cx_rng *r, double sd) {
    return (float)(sd * cx_rng_normal(r));
}

static void plan_anatomy(synth_anatomy *a, cx_rng *r) {
    memset(a, 0, sizeof *a);
    a->body_hw = 1.0f + normf(r, 0.04);
    for (int s = 0; s < 2; s++) {
        float sg = s ? 1.0f : -1.0f;
        a->lung_u[s] = sg * (0.46f + normf(r, 0.015));
        a->lung_v[s] = 0.05f + normf(r, 0.025);
        a->lung_a[s] = (s ? 0.35f : 0.37f) + normf(r, 0.015);
        a->lung_b[s] = 0.95f + normf(r, 0.03);
        a->dia_base[s] = (s ? 0.47f : 0.42f) + normf(r, 0.025);
    }
    a->dia_curv = 0.15f + normf(r, 0.015);
    a->heart_u = 0.1f + normf(r, 0.02);
    a->heart_v = 0.2f + normf(r, 0.025);
    a->heart_a = 0.37f + normf(r, 0.02);
    a->heart_b = 0.3f + normf(r, 0.015);
    a->med_u = 0.02f + normf(r, 0.01);
    a->med_hw = 0.12f + normf(r, 0.008);
    a->knob_u = 0.14f + normf(r, 0.01);
    a->knob_v = -0.36f + normf(r, 0.02);
    a->knob_r = 0.07f + normf(r, 0.006);
    a->rib_v0 = -0.92f + normf(r, 0.02);
    a->rib_dv = 0.145f + normf(r, 0.006);
    a->rib_t = 0.048f + normf(r, 0.003);
    a->clav_v = -0.86f + normf(r, 0.03);
    a->air = 0.58f + normf(r, 0.04);
    a->tex_amp = 0.12f + normf(r, 0.02);
    a->tex_seed = cx_rng_u64(r);
    for (int y = 0; y < SYNTH_TEX_N; y++)
        for (int x = 0; x < SYNTH_TEX_N; x++)
            a->tex[y][x] = (float)cx_rng_normal(r);
}

// A point well inside lung `side`, clear of the heart: v in the given zone (fractions of the
// lung's half-height around its centre).
static void lung_point(const synth_anatomy *a, int side, double z0, double z1, cx_rng *r, float *u,
                       float *v) {
    for (int tries = 0; tries < 200; tries++) {
        *u = a->lung_u[side] + (float)unif(r, -0.6, 0.6) * a->lung_a[side];
        *v = synth_lung_mid(a, side) + (float)unif(r, z0, z1) * synth_lung_half(a, side);
        if (synth_lung_occ(a, side, *u, *v, NULL) > 0.9f && synth_air(a, *u, *v) > 0.6f * a->air)
            return;
    }
    *u = a->lung_u[side];
    *v = synth_lung_mid(a, side);
}

static void plan_device(synth_finding *f, cx_rng *r) {
    f->sub = (int)cx_rng_below(r, DEV_N);
    float j = normf(r, 0.02);
    float pts[SYNTH_MAX_PTS][2];
    int n = 0;
    switch (f->sub) {
    case DEV_ET_TUBE:
        pts[n][0] = 0.0f + j, pts[n++][1] = -1.7f;
        pts[n][0] = 0.01f + j, pts[n++][1] = -0.5f + normf(r, 0.05);
        f->a = 0.022f, f->strength = 0.75f;
        break;
    case DEV_NG_TUBE: {
        const float p[5][2] = {
            {0.0f, -1.7f}, {0.02f, -0.6f}, {0.05f, 0.2f}, {0.2f, 0.75f}, {0.38f, 0.85f}};
        for (int k = 0; k < 5; k++)
            pts[n][0] = p[k][0] + j, pts[n++][1] = p[k][1] + normf(r, 0.02);
        f->a = 0.017f, f->strength = 0.7f;
        break;
    }
    case DEV_CENTRAL_LINE: {
        const float ij[4][2] = {{-0.3f, -1.6f}, {-0.2f, -1.05f}, {-0.09f, -0.75f}, {-0.06f, -0.3f}};
        const float sc[4][2] = {{0.75f, -0.98f}, {0.3f, -0.88f}, {0.05f, -0.7f}, {-0.05f, -0.32f}};
        int left = cx_rng_uniform(r) < 0.4;
        for (int k = 0; k < 4; k++)
            pts[n][0] = (left ? sc : ij)[k][0] + j,
            pts[n++][1] = (left ? sc : ij)[k][1] + normf(r, 0.02);
        f->a = 0.016f, f->strength = 0.8f;
        break;
    }
    default: { // pacemaker: generator box at pts[0], lead to the right ventricle
        const float p[6][2] = {{0.62f, -0.74f}, {0.55f, -0.72f}, {0.3f, -0.76f},
                               {0.03f, -0.6f},  {-0.04f, -0.2f}, {0.12f, 0.28f}};
        for (int k = 0; k < 6; k++)
            pts[n][0] = p[k][0] + j, pts[n++][1] = p[k][1] + normf(r, 0.02);
        f->a = 0.013f, f->strength = 1.2f;
        f->angle = normf(r, 0.2);
    }
    }
    f->npts = n;
    for (int k = 0; k < n; k++)
        f->pts[k][0] = pts[k][0], f->pts[k][1] = pts[k][1], f->pts[k][2] = 0;
    f->u = pts[n - 1][0], f->v = pts[n - 1][1];
}

static void plan_finding(synth_finding *f, int kind, const synth_anatomy *a, cx_rng *r) {
    memset(f, 0, sizeof *f);
    f->kind = kind;
    f->side = (int)cx_rng_below(r, 2);
    switch (kind) {
    case SK_CARDIOMEGALY:
        f->a = (float)unif(r, 1.3, 1.5), f->b = (float)unif(r, 1.12, 1.25);
        break;
    case SK_WIDE_MEDIASTINUM:
        f->a = (float)unif(r, 0.23, 0.3);
        break;
    case SK_EFFUSION:
        f->a = (float)unif(r, 0.3, 0.65), f->b = (float)unif(r, 0.06, 0.16);
        f->strength = (float)unif(r, 0.0, 0.04);
        break;
    case SK_OPACITY:
        lung_point(a, f->side, -0.6, 0.5, r, &f->u, &f->v);
        f->a = (float)unif(r, 0.09, 0.18), f->b = f->a * (float)unif(r, 0.6, 1.0);
        f->angle = (float)unif(r, 0, M_PI), f->strength = (float)unif(r, 0.22, 0.35);
        break;
    case SK_PNEUMONIA: {
        lung_point(a, f->side, -0.3, 0.55, r, &f->u, &f->v);
        float spread = (float)unif(r, 0.08, 0.16);
        f->npts = 5 + (int)cx_rng_below(r, 4);
        for (int k = 0; k < f->npts; k++) {
            f->pts[k][0] = f->u + normf(r, spread);
            f->pts[k][1] = f->v + normf(r, spread);
            f->pts[k][2] = (float)unif(r, 0.05, 0.1);
        }
        f->strength = (float)unif(r, 0.3, 0.45);
        break;
    }
    case SK_CONSOLIDATION:
        f->sub = cx_rng_uniform(r) < 0.55 ? 0 : 1; // 0: upper (above the fissure), 1: lower
        f->b = synth_lung_mid(a, f->side) + (f->sub ? 0.12f : -0.05f) +
               normf(r, 0.05); // fissure height
        f->angle = normf(r, 0.15);
        lung_point(a, f->side, f->sub ? 0.2 : -0.6, f->sub ? 0.6 : -0.3, r, &f->u, &f->v);
        f->a = (float)unif(r, 0.22, 0.4), f->strength = (float)unif(r, 0.06, 0.14);
        break;
    case SK_EDEMA:
        f->a = (float)unif(r, 0.2, 0.3), f->strength = (float)unif(r, 0.16, 0.28);
        break;
    case SK_NODULE:
        lung_point(a, f->side, -0.7, 0.5, r, &f->u, &f->v);
        f->a = (float)unif(r, 0.05, 0.1), f->strength = (float)unif(r, 0.45, 0.65);
        f->angle = (float)unif(r, 0, 2 * M_PI);
        break;
    case SK_DEVICE:
        plan_device(f, r);
        break;
    case SK_PNEUMOTHORAX:
        f->a = (float)unif(r, 0.55, 0.78), f->strength = (float)unif(r, 0.18, 0.28);
        break;
    case SK_FRACTURE: {
        float sg = f->side ? 1.0f : -1.0f;
        f->sub = 2 + (int)cx_rng_below(r, 5); // rib 2..6
        f->u = sg * (float)unif(r, 0.55, 0.82);
        f->v = synth_rib_centre_v(a, f->sub, f->u);
        f->a = (float)unif(r, 1.0, 1.5), f->strength = (float)unif(r, 0.4, 0.55);
        break;
    }
    case SK_ATELECTASIS:
        lung_point(a, f->side, 0.05, 0.55, r, &f->u, &f->v);
        f->a = (float)unif(r, 0.14, 0.26), f->b = (float)unif(r, 0.02, 0.034);
        f->angle = normf(r, 0.2), f->strength = (float)unif(r, 0.35, 0.5);
        break;
    case SK_PLEURAL_THICK:
        f->v =
            synth_lung_mid(a, f->side) + (float)unif(r, -0.45, 0.25) * synth_lung_half(a, f->side);
        f->a = (float)unif(r, 0.2, 0.34), f->b = (float)unif(r, 0.07, 0.12);
        f->strength = (float)unif(r, 0.4, 0.55);
        break;
    }
}

static void add_finding(synth_study *st, int kind, cx_rng *r) {
    if (st->n_find >= SYNTH_MAX_FINDINGS) return;
    synth_finding *f = &st->find[st->n_find++];
    plan_finding(f, kind, &st->anat, r);
}

// Findings of a study: the EGD class decides for EGD studies, prevalences for the others.
static void plan_findings(synth_study *st, int frontal_view, cx_rng *r) {
    st->n_find = 0;
    switch (st->egd_class) {
    case 0:
        break; // Normal
    case 1:    // CHF: large heart, edema, often effusions
        if (cx_rng_uniform(r) < 0.9) add_finding(st, SK_CARDIOMEGALY, r);
        if (cx_rng_uniform(r) < 0.75) add_finding(st, SK_EDEMA, r);
        if (cx_rng_uniform(r) < 0.5 || st->n_find == 0) {
            add_finding(st, SK_EFFUSION, r);
            if (cx_rng_uniform(r) < 0.5) { // bilateral
                add_finding(st, SK_EFFUSION, r);
                st->find[st->n_find - 1].side = !st->find[st->n_find - 2].side;
            }
        }
        break;
    case 2: // pneumonia
        add_finding(st, SK_PNEUMONIA, r);
        if (cx_rng_uniform(r) < 0.3) add_finding(st, SK_CONSOLIDATION, r);
        if (cx_rng_uniform(r) < 0.2) add_finding(st, SK_EFFUSION, r);
        break;
    default:
        if (cx_rng_uniform(r) < P_ABNORMAL) {
            for (int pass = 0; pass < 4 && st->n_find == 0; pass++)
                for (int k = 0; k < SK_N; k++) {
                    if (k == SK_DEVICE) continue;
                    if (cx_rng_uniform(r) < KIND_PREVALENCE[k] / P_ABNORMAL) {
                        add_finding(st, k, r);
                        if (k == SK_EFFUSION && cx_rng_uniform(r) < 0.4) {
                            add_finding(st, SK_EFFUSION, r);
                            st->find[st->n_find - 1].side = !st->find[st->n_find - 2].side;
                        }
                    }
                }
        }
        // Support devices: mostly on portable AP films of inpatients.
        if (cx_rng_uniform(r) < (frontal_view == VIEW_AP ? 0.55 : 0.12)) {
            add_finding(st, SK_DEVICE, r);
            if (cx_rng_uniform(r) < 0.35) add_finding(st, SK_DEVICE, r);
        }
    }
    memset(st->truth, 0, sizeof st->truth);
    int pathology = 0;
    for (int k = 0; k < st->n_find; k++) {
        int lb[2], n = synth_kind_labels(st->find[k].kind, lb);
        for (int j = 0; j < n; j++)
            st->truth[lb[j]] = 1;
        if (st->find[k].kind != SK_DEVICE) pathology = 1;
    }
    // CheXpert's "No Finding": no pathology (support devices allowed).
    st->truth[LB_NO_FINDING] = !pathology;
}

// A table cell for one label as a report labeller would write it: a true finding is missed
// (written negative) with probability flip, an absent one is invented with probability flip/5
// (rare labels would otherwise drown in false positives); a written positive is "-1.0" (uncertain)
// with probability unc, a written negative is "-1.0" with probability unc/8, "0.0" (explicit
// negation) with 0.2, else blank. "No Finding" is only ever "1.0" or blank, as in MIMIC.
static void label_cell(cx_rng *r, int truth, int no_finding, double flip, double unc, char out[6]) {
    double uf = cx_rng_uniform(r);
    int val = truth ? uf >= flip : uf < flip / 5; // missed findings are likelier than invented ones
    double u = cx_rng_uniform(r);
    if (no_finding)
        snprintf(out, 6, "%s", val ? "1.0" : "");
    else if (val)
        snprintf(out, 6, "%s", u < unc ? "-1.0" : "1.0");
    else
        snprintf(out, 6, "%s", u < unc / 8 ? "-1.0" : u < unc / 8 + 0.2 ? "0.0" : "");
}

static void dicom_id(cx_rng *r, char out[48]) {
    uint64_t a = cx_rng_u64(r), b = cx_rng_u64(r), c = cx_rng_u64(r);
    snprintf(out, 48, "%08x-%08x-%08x-%08x-%08x", (unsigned)(a >> 32), (unsigned)a,
             (unsigned)(b >> 32), (unsigned)b, (unsigned)(c >> 32));
}

static void plan_frame(synth_image *im, int size, cx_rng *r) {
    int portrait = im->view >= VIEW_LATERAL ? cx_rng_uniform(r) < 0.9 : cx_rng_uniform(r) < 0.82;
    int short_side = (int)lround(size * 2544.0 / 3056.0);
    im->w = portrait ? short_side : size;
    im->h = portrait ? size : short_side;
    float m = (float)(im->w < im->h ? im->w : im->h);
    im->s = 0.43f * m * (1.0f + normf(r, 0.04));
    im->cx = 0.5f * im->w + normf(r, 0.02) * im->w;
    im->cy = (portrait ? 0.47f : 0.5f) * im->h + normf(r, 0.02) * im->h;
    im->rot = normf(r, 0.025);
    im->exposure = 1.75f + normf(r, 0.15);
    im->noise_sd = (float)unif(r, 1.5, 4.0);
    im->egd = -1;
}

// Study ns of a patient (subject id subj): its date after the patient's previous study, time,
// anatomy and 1-2 images (a frontal first) from image *ni on. *month, *year: the patient's clock.
static void plan_study(synth_plan *p, int64_t ns, int patient, int split, uint64_t subj, int64_t *ni,
                       int *month, int *year, cx_rng *r) {
    const int64_t N = p->o->n_images;
    synth_study *st = &p->study[ns];
    snprintf(st->subject_id, sizeof st->subject_id, "%08llu", (unsigned long long)subj);
    st->patient = patient;
    st->split = split;
    st->egd_class = -1;
    *month += (int)cx_rng_below(r, 6);
    *year += (*month - 1) / 12, *month = (*month - 1) % 12 + 1;
    st->date = *year * 10000 + *month * 100 + 1 + (int)cx_rng_below(r, 28);
    st->time_s = (int)cx_rng_below(r, 86400);
    plan_anatomy(&st->anat, r);
    int n_im = 1 + (cx_rng_uniform(r) < 0.45);
    if (n_im > N - *ni) n_im = (int)(N - *ni);
    st->first_image = (int)*ni;
    st->n_images = n_im;
    for (int j = 0; j < n_im; j++) {
        synth_image *im = &p->img[(*ni)++];
        im->study = (int)ns;
        im->egd = -1;
        if (j == 0)
            im->view = cx_rng_uniform(r) < 0.62 ? VIEW_PA : VIEW_AP;
        else {
            double u = cx_rng_uniform(r);
            im->view = u < 0.8 ? VIEW_LATERAL : u < 0.9 ? VIEW_LL : VIEW_AP;
        }
        dicom_id(r, im->dicom_id);
    }
}

// Patients -> studies -> images, in one sequential stream.
static void plan_patients(synth_plan *p, cx_rng *r) {
    const synth_opts *o = p->o;
    int64_t N = o->n_images;
    // Subject ids ascend by random steps (unique by construction).
    uint64_t subj = 10000000, subj_step = 2 * 9999999ull / (uint64_t)(N + 1);
    if (subj_step < 1) subj_step = 1;
    int64_t ni = 0, ns = 0, np = 0;
    int patient_split = SPLIT_TRAIN;
    while (ni < N) {
        subj += 1 + cx_rng_below(r, subj_step);
        double us = cx_rng_uniform(r);
        patient_split = us < o->validate_fraction                      ? SPLIT_VALIDATE
                        : us < o->validate_fraction + o->test_fraction ? SPLIT_TEST
                                                                       : SPLIT_TRAIN;
        int n_st = 1 + (cx_rng_uniform(r) < 0.35) + (cx_rng_uniform(r) < 0.15) +
                   (cx_rng_uniform(r) < 0.05);
        int year = 2110 + (int)cx_rng_below(r, 80), month = 1 + (int)cx_rng_below(r, 12);
        for (int k = 0; k < n_st && ni < N; k++) {
            plan_study(p, ns, (int)np, patient_split, subj, &ni, &month, &year, r);
            ns++;
        }
        np++;
    }
    p->n_img = N, p->n_study = ns, p->n_patient = np;
}

// Study ids: unique (ascending random steps), handed out in a shuffled order.
static void plan_study_ids(synth_plan *p, cx_rng *r) {
    int64_t ns = p->n_study;
    uint64_t *sid = cx_malloc((size_t)ns * sizeof *sid), cur = 50000000;
    uint64_t sid_step = 2 * 9999999ull / (uint64_t)(ns + 1);
    if (sid_step < 1) sid_step = 1;
    for (int64_t k = 0; k < ns; k++)
        sid[k] = (cur += 1 + cx_rng_below(r, sid_step));
    for (int64_t k = ns - 1; k > 0; k--) {
        int64_t j = (int64_t)cx_rng_below(r, (uint64_t)k + 1);
        uint64_t t = sid[k];
        sid[k] = sid[j], sid[j] = t;
    }
    for (int64_t k = 0; k < ns; k++)
        snprintf(p->study[k].study_id, sizeof p->study[k].study_id, "%08llu",
                 (unsigned long long)sid[k]);
    free(sid);
}

// EGD: n_gaze_images distinct studies, their first image made a PA frontal; classes balanced
// (Normal, CHF, pneumonia in turn over a shuffled order).
static int plan_egd(synth_plan *p, cx_rng *r, cx_error *err) {
    const synth_opts *o = p->o;
    int64_t ns = p->n_study, N = p->n_img;
    p->n_egd = o->n_gaze_images;
    if (p->n_egd > ns)
        return cx_fail(err,
                       "synth: --gaze-images %lld exceeds the %lld studies "
                       "of %lld images (one EGD image per study)",
                       (long long)o->n_gaze_images, (long long)ns, (long long)N);
    int64_t *order = cx_malloc((size_t)ns * sizeof *order);
    for (int64_t k = 0; k < ns; k++)
        order[k] = k;
    for (int64_t k = ns - 1; k > 0; k--) {
        int64_t j = (int64_t)cx_rng_below(r, (uint64_t)k + 1), t = order[k];
        order[k] = order[j], order[j] = t;
    }
    p->egd_img = cx_malloc((size_t)(p->n_egd ? p->n_egd : 1) * sizeof *p->egd_img);
    for (int64_t e = 0; e < p->n_egd; e++) {
        synth_study *st = &p->study[order[e]];
        st->egd_class = (int)(e % 3);
        p->img[st->first_image].view = VIEW_PA;
        p->img[st->first_image].egd = e;
        p->egd_img[e] = st->first_image;
    }
    free(order);
    return 0;
}

int synth_plan_make(synth_plan *p, const synth_opts *o, cx_error *err) {
    memset(p, 0, sizeof *p);
    p->o = o;
    if (o->n_images < 1)
        return cx_fail(err, "synth: --images must be >= 1 (got %lld)", (long long)o->n_images);
    if (o->n_gaze_images < 0 || o->n_gaze_images > o->n_images)
        return cx_fail(err, "synth: --gaze-images must be in [0, --images] (got %lld of %lld)",
                       (long long)o->n_gaze_images, (long long)o->n_images);
    if (o->size < 64 || o->size > 4096)
        return cx_fail(err, "synth: --size must be in [64, 4096] (got %d)", o->size);
    cx_rng r;
    cx_rng_seed(&r, o->seed, 0);
    int64_t N = o->n_images;
    p->img = cx_calloc((size_t)N, sizeof *p->img);
    p->study = cx_calloc((size_t)N, sizeof *p->study);

    plan_patients(p, &r);
    plan_study_ids(p, &r);
    if (plan_egd(p, &r, err)) return synth_plan_free(p), -1;
    for (int64_t k = 0; k < p->n_study; k++) {
        synth_study *st = &p->study[k];
        plan_findings(st, p->img[st->first_image].view, &r);
        for (int l = 0; l < CX_N_LABELS; l++) {
            label_cell(&r, st->truth[l], l == LB_NO_FINDING, o->label_flip, o->label_uncertain,
                       st->chexpert[l]);
            label_cell(&r, st->truth[l], l == LB_NO_FINDING, o->label_flip, o->label_uncertain,
                       st->negbio[l]);
        }
    }
    for (int64_t i = 0; i < N; i++) {
        int64_t egd = p->img[i].egd;
        plan_frame(&p->img[i], o->size, &r);
        p->img[i].egd = egd;
    }
    return 0;
}

void synth_plan_free(synth_plan *p) {
    free(p->img);
    free(p->study);
    free(p->egd_img);
    p->img = NULL, p->study = NULL, p->egd_img = NULL;
    synth_rfx_plan_free(p);
}
