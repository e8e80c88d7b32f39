// data/synth_reflacx: `synth --reflacx`: REFLACX 1.0.0's files (docs/reflacx.md) for a subset of
// the synthetic frontal images: reflacx/main_data/metadata_phase_{1,2,3}.csv and one folder per
// reading with fixations.csv, anomaly_location_ellipses.csv and chest_bounding_box.csv, CRLF line
// ends as the authors write them. Phases 1-2: 3-5 of 5 synthetic readers per image; phase 3: one
// reader. Each reader has a systematic offset, a spread and a pace of their own; every reader's
// scanpath is synth_gaze.c's (dwelling on the planted findings), drawn from its own RNG stream,
// so the bytes do not depend on the thread count.
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/synth_internal.h"

// Label columns per phase, sorted as the authors' `labels_list = sorted(...)` (docs/reflacx.md).
static const char *const PHASE1_LABELS[] = {"Airway wall thickening",
                                            "Atelectasis",
                                            "Consolidation",
                                            "Emphysema",
                                            "Enlarged cardiac silhouette",
                                            "Fibrosis",
                                            "Fracture",
                                            "Groundglass opacity",
                                            "Mass",
                                            "Nodule",
                                            "Pleural effusion",
                                            "Pleural thickening",
                                            "Pneumothorax",
                                            "Pulmonary edema",
                                            "Quality issue",
                                            "Support devices",
                                            "Wide mediastinum"};
static const char *const PHASE2_LABELS[] = {"Abnormal mediastinal contour",
                                            "Acute fracture",
                                            "Atelectasis",
                                            "Consolidation",
                                            "Enlarged cardiac silhouette",
                                            "Enlarged hilum",
                                            "Groundglass opacity",
                                            "Hiatal hernia",
                                            "High lung volume / emphysema",
                                            "Interstitial lung disease",
                                            "Lung nodule or mass",
                                            "Pleural abnormality",
                                            "Pneumothorax",
                                            "Pulmonary edema",
                                            "Support devices"};
#define N_PHASE1 ((int)(sizeof PHASE1_LABELS / sizeof *PHASE1_LABELS))
#define N_PHASE2 ((int)(sizeof PHASE2_LABELS / sizeof *PHASE2_LABELS))
_Static_assert(N_PHASE1 <= SYNTH_RFX_MAX_LABELS && N_PHASE2 <= SYNTH_RFX_MAX_LABELS,
               "phase label lists fit synth_rfx_reading.cert");

static const char *const *phase_labels(int phase, int *n) {
    *n = phase == 1 ? N_PHASE1 : N_PHASE2;
    return phase == 1 ? PHASE1_LABELS : PHASE2_LABELS;
}

// The REFLACX name a radiologist of that phase gives a planted finding (phase 1's vocabulary is
// finer: effusion and thickening, mass/nodule, wide mediastinum have their own names).
static const char *kind_label(int kind, int phase) {
    int p1 = phase == 1;
    switch (kind) {
    case SK_CARDIOMEGALY:
        return "Enlarged cardiac silhouette";
    case SK_WIDE_MEDIASTINUM:
        return p1 ? "Wide mediastinum" : "Abnormal mediastinal contour";
    case SK_EFFUSION:
        return p1 ? "Pleural effusion" : "Pleural abnormality";
    case SK_OPACITY:
        return "Groundglass opacity";
    case SK_PNEUMONIA:
    case SK_CONSOLIDATION:
        return "Consolidation";
    case SK_EDEMA:
        return "Pulmonary edema";
    case SK_NODULE:
        return p1 ? "Nodule" : "Lung nodule or mass";
    case SK_DEVICE:
        return "Support devices";
    case SK_PNEUMOTHORAX:
        return "Pneumothorax";
    case SK_FRACTURE:
        return p1 ? "Fracture" : "Acute fracture";
    case SK_ATELECTASIS:
        return "Atelectasis";
    case SK_PLEURAL_THICK:
        return p1 ? "Pleural thickening" : "Pleural abnormality";
    default:
        return NULL;
    }
}

static int label_pos(int phase, const char *name) {
    int n;
    const char *const *names = phase_labels(phase, &n);
    for (int k = 0; k < n; k++)
        if (!strcmp(names[k], name)) return k;
    return -1;
}

// ---- the plan -----------------------------------------------------------------------------
static double unif(cx_rng *r, double lo, double hi) {
    return lo + (hi - lo) * cx_rng_uniform(r);
}

void synth_rfx_plan_make(synth_plan *p) {
    synth_rfx_plan *x = cx_calloc(1, sizeof *x);
    cx_rng r;
    cx_rng_seed(&r, p->o->seed, 6);
    for (int k = 0; k < SYNTH_RFX_READERS; k++) {
        synth_rfx_reader *rd = &x->reader[k];
        rd->off_x = (float)(0.03 * cx_rng_normal(&r)),
        rd->off_y = (float)(0.03 * cx_rng_normal(&r));
        rd->spread = (float)unif(&r, 0.01, 0.04);
        rd->pace = (float)unif(&r, 0.7, 1.4);
        rd->sensitivity = (float)unif(&r, 0.75, 0.95);
    }
    x->first = cx_calloc((size_t)p->n_img + 1, sizeof *x->first);
    int64_t cap = 64, n = 0, n_front = 0, n_egd = 0, n_multi = 0;
    x->rd = cx_malloc((size_t)cap * sizeof *x->rd);
    for (int64_t i = 0; i < p->n_img; i++) {
        const synth_image *im = &p->img[i];
        x->first[i] = n;
        if (im->view != VIEW_PA && im->view != VIEW_AP) continue;
        // EGD images: one in three read by several readers, one in three by one; other frontal
        // images: one in eight each.
        int multi, single;
        if (im->egd >= 0)
            multi = n_egd % 3 == 0, single = n_egd % 3 == 1, n_egd++;
        else
            multi = n_front % 8 == 0, single = n_front % 8 == 4, n_front++;
        if (!multi && !single) continue;
        int order[SYNTH_RFX_READERS], nr = multi ? 3 + (int)cx_rng_below(&r, 3) : 1;
        for (int k = 0; k < SYNTH_RFX_READERS; k++)
            order[k] = k;
        for (int k = SYNTH_RFX_READERS - 1; k > 0; k--) {
            int j = (int)cx_rng_below(&r, (uint64_t)k + 1), t = order[k];
            order[k] = order[j], order[j] = t;
        }
        int phase = multi ? 1 + (int)(n_multi % 2) : 3;
        for (int k = 0; k < nr; k++) {
            if (n == cap) x->rd = cx_realloc(x->rd, (size_t)(cap *= 2) * sizeof *x->rd);
            synth_rfx_reading *g = &x->rd[n];
            memset(g, 0, sizeof *g);
            g->img = i, g->phase = phase, g->reader = order[k];
            // the authors' id pattern P{phase}{trial:02}R{r:06} (phase 3: P300R...)
            snprintf(g->id, sizeof g->id, "P%d%02dR%06u", phase, phase == 3 ? 0 : order[k] + 1,
                     (unsigned)((100000 + n) % 1000000));
            // two discarded readings (eye tracking lost), never in phase 3 (as in REFLACX)
            g->discarded = multi && (n_multi == 1 || n_multi == 4) && k == nr - 1;
            n++;
        }
        n_multi += multi;
    }
    x->first[p->n_img] = n;
    x->n = n;
    p->rfx = x;
}

void synth_rfx_plan_free(synth_plan *p) {
    if (!p->rfx) return;
    free(p->rfx->rd);
    free(p->rfx->first);
    free(p->rfx);
    p->rfx = NULL;
}

// ---- CRLF text ------------------------------------------------------------------------------
typedef struct text {
    char *s;
    size_t n, cap;
} text;

static void putf(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(text *t, const char *fmt, ...) {
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int k = vsnprintf(t->s + t->n, t->cap - t->n, fmt, ap);
        va_end(ap);
        if (t->s && (size_t)k < t->cap - t->n) {
            t->n += (size_t)k;
            return;
        }
        t->cap = 2 * (t->cap + (size_t)k + 256);
        t->s = cx_realloc(t->s, t->cap);
    }
}

static int text_write(text *t, const char *path, cx_error *err) {
    int rc = synth_write_bytes(path, t->s ? t->s : "", t->n, err);
    t->n = 0;
    return rc;
}

// ---- one image's readings -------------------------------------------------------------------
// The reading's ellipses: each visible finding with the reader's sensitivity, its box jittered
// by the reader's spread; certainty 3-5, one in five 1-2. cert[k] gets the highest
// certainty per phase label (the metadata cell).
static void write_ellipses(const synth_plan *p, synth_rfx_reading *g, const int (*bbox)[4],
                           cx_rng *r, text *t) {
    const synth_image *im = &p->img[g->img];
    const synth_study *st = &p->study[im->study];
    const synth_rfx_reader *rd = &p->rfx->reader[g->reader];
    int n;
    const char *const *names = phase_labels(g->phase, &n);
    putf(t, "xmin,ymin,xmax,ymax,certainty");
    for (int k = 0; k < n; k++)
        putf(t, ",%s", names[k]);
    putf(t, "\r\n");
    for (int f = 0; f < st->n_find; f++) {
        const int *b = bbox[f];
        if (b[2] <= b[0] || cx_rng_uniform(r) >= rd->sensitivity) continue;
        double u = cx_rng_uniform(r);
        int cert = u < 0.2 ? 1 + (int)cx_rng_below(r, 2) : 3 + (int)cx_rng_below(r, 3);
        int lab = label_pos(g->phase, kind_label(st->find[f].kind, g->phase));
        double bw = b[2] - b[0], bh = b[3] - b[1], j = 0.5 * rd->spread * im->s;
        double e[4] = {
            b[0] - 0.05 * bw + j * cx_rng_normal(r), b[1] - 0.05 * bh + j * cx_rng_normal(r),
            b[2] + 0.05 * bw + j * cx_rng_normal(r), b[3] + 0.05 * bh + j * cx_rng_normal(r)};
        if (e[2] < e[0] + 2) e[2] = e[0] + 2;
        if (e[3] < e[1] + 2) e[3] = e[1] + 2;
        putf(t, "%.0f,%.0f,%.0f,%.0f,%d", e[0], e[1], e[2], e[3], cert);
        for (int k = 0; k < n; k++)
            putf(t, ",%s", k == lab ? "True" : "False");
        putf(t, "\r\n");
        if (lab >= 0 && cert > g->cert[lab]) g->cert[lab] = (int8_t)cert;
    }
}

// The chest box: the lungs' extent (apices to the costophrenic angles) with the reader's jitter.
static void write_chest_box(const synth_plan *p, const synth_rfx_reading *g, cx_rng *r, text *t) {
    const synth_image *im = &p->img[g->img];
    synth_anatomy a;
    synth_image_anatomy(p, g->img, 1, &a);
    float u0 = a.lung_u[0] - a.lung_a[0], u1 = a.lung_u[1] + a.lung_a[1];
    float v0 = fminf(a.lung_v[0] - a.lung_b[0], a.lung_v[1] - a.lung_b[1]);
    float v1 = fmaxf(a.lung_v[0] + a.dia_base[0], a.lung_v[1] + a.dia_base[1]);
    float e[4];
    synth_chest_box_extent(im, u0, v0, u1, v1, e);
    double lim[4] = {0, 0, im->w, im->h}, j = 0.01 * im->s;
    putf(t, "xmin,ymin,xmax,ymax\r\n");
    for (int k = 0; k < 4; k++) {
        double v = e[k] + j * cx_rng_normal(r);
        v = k < 2 ? fmax(v, lim[k]) : fmin(v, lim[k]);
        putf(t, "%s%.0f", k ? "," : "", v);
    }
    putf(t, "\r\n");
}

// fixations.csv: the scanpath of synth_gaze_scan moved by the reader's offset and spread, timed
// at the reader's pace; positions whole pixels (the authors round pixel columns), times in s with
// 3 decimals; the shown window the whole image, or a zoomed part for one fixation in ten.
static void write_fixations(const synth_plan *p, const synth_rfx_reading *g,
                            const synth_reading *sr, cx_rng *r, text *t) {
    const synth_image *im = &p->img[g->img];
    const synth_rfx_reader *rd = &p->rfx->reader[g->reader];
    double ppd_x = 0.03 * (im->w > im->h ? im->w : im->h) * unif(r, 0.95, 1.05);
    double ppd_y = ppd_x * unif(r, 0.98, 1.02);
    putf(t, "timestamp_start_fixation,timestamp_end_fixation,average_x_position,"
            "average_y_position,x_position,y_position,pupil_area_normalized,"
            "angular_resolution_x_pixels_per_degree,angular_resolution_y_pixels_per_degree,"
            "window_level,window_width,xmin_shown_from_image,ymin_shown_from_image,"
            "xmax_shown_from_image,ymax_shown_from_image\r\n");
    for (int k = 0; k < sr->n_fix; k++) {
        const synth_fix *f = &sr->fix[k];
        double x = f->x + rd->off_x * im->s + rd->spread * im->s * cx_rng_normal(r);
        double y = f->y + rd->off_y * im->s + rd->spread * im->s * cx_rng_normal(r);
        double t0 = f->start * rd->pace, t1 = t0 + f->dur * rd->pace;
        double win[4] = {0, 0, im->w, im->h};
        if (cx_rng_uniform(r) < 0.1) { // zoomed in: 60% of each side around the fixation
            double ww = 0.6 * im->w, wh = 0.6 * im->h;
            win[0] = fmin(fmax(x - ww / 2, 0), im->w - ww),
            win[1] = fmin(fmax(y - wh / 2, 0), im->h - wh);
            win[2] = win[0] + ww, win[3] = win[1] + wh;
        }
        putf(t, "%.3f,%.3f,%.0f,%.0f,%.0f,%.0f,%.4f,%.4f,%.4f,%d,%d,%.0f,%.0f,%.0f,%.0f\r\n", t0,
             t1, x, y, x, y, unif(r, 0.8, 1.2), ppd_x, ppd_y, 2048, 4096, win[0], win[1], win[2],
             win[3]);
    }
}

int synth_reflacx_image(const synth_plan *p, int64_t i, const char *root, uint8_t *const *masks,
                        const int (*bbox)[4], cx_error *err) {
    const synth_rfx_plan *x = p->rfx;
    int rc = 0;
    text t = {0};
    for (int64_t k = x->first[i]; k < x->first[i + 1] && rc == 0; k++) {
        synth_rfx_reading *g = &x->rd[k];
        char dir[4096], path[4200];
        cx_rng r;
        cx_rng_seed(&r, p->o->seed, (3ull << 40) + (uint64_t)k);
        rc = cx_pathf(dir, sizeof dir, err, "%s/reflacx/main_data/%s", root, g->id) ||
                     cx_mkdir_p(dir, err)
                 ? -1
                 : 0;
        if (rc) break;
        write_ellipses(p, g, bbox, &r, &t);
        snprintf(path, sizeof path, "%s/anomaly_location_ellipses.csv", dir);
        if ((rc = text_write(&t, path, err))) break;
        write_chest_box(p, g, &r, &t);
        snprintf(path, sizeof path, "%s/chest_bounding_box.csv", dir);
        if ((rc = text_write(&t, path, err))) break;
        if (g->discarded) continue; // its eye tracking was lost: no fixations.csv
        synth_reading sr;
        synth_gaze_scan(p, i, (2ull << 40) + (uint64_t)k, masks, bbox, &sr);
        write_fixations(p, g, &sr, &r, &t);
        synth_reading_free(&sr);
        snprintf(path, sizeof path, "%s/fixations.csv", dir);
        rc = text_write(&t, path, err);
    }
    free(t.s);
    return rc;
}

// ---- metadata -------------------------------------------------------------------------------
static int cmp_str(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int synth_reflacx_metadata(const synth_plan *p, const char *root, int64_t counts[3],
                           cx_error *err) {
    const synth_rfx_plan *x = p->rfx;
    text t = {0};
    int rc = 0;
    counts[0] = counts[1] = counts[2] = 0;
    for (int phase = 1; phase <= 3 && rc == 0; phase++) {
        int n;
        const char *const *names = phase_labels(phase, &n);
        const char *cols[SYNTH_RFX_MAX_LABELS + 1];
        for (int k = 0; k < n; k++)
            cols[k] = names[k];
        cols[n] = "Other"; // free text, sorted in among the labels as the authors' sorted() does
        qsort(cols, (size_t)n + 1, sizeof *cols, cmp_str);
        putf(&t, "id,split,eye_tracking_data_discarded,image,dicom_id,subject_id,image_size_x,"
                 "image_size_y");
        for (int k = 0; k <= n; k++)
            putf(&t, ",%s", cols[k]);
        putf(&t, "\r\n");
        for (int64_t j = 0; j < x->n; j++) {
            const synth_rfx_reading *g = &x->rd[j];
            if (g->phase != phase) continue;
            const synth_image *im = &p->img[g->img];
            const synth_study *st = &p->study[im->study];
            char rel[512];
            mimic_image_relpath(rel, sizeof rel, st->subject_id, st->study_id, im->dicom_id);
            size_t len = strlen(rel);
            if (len > 4) memcpy(rel + len - 4, ".dcm", 4); // the DICOM path the authors record
            putf(&t, "%s,%s,%s,physionet.org/files/mimic-cxr/2.0.0/%s,%s,%s,%d,%d", g->id,
                 CX_SPLITS[st->split], g->discarded ? "True" : "False", rel, im->dicom_id,
                 st->subject_id, im->w, im->h);
            for (int k = 0; k <= n; k++) {
                if (!strcmp(cols[k], "Other"))
                    putf(&t, ",");
                else if (!strcmp(cols[k], "Quality issue"))
                    putf(&t, ",False");
                else if (!strcmp(cols[k], "Support devices"))
                    putf(&t, ",%s", g->cert[label_pos(phase, cols[k])] ? "True" : "False");
                else if (g->discarded)
                    putf(&t, ",");
                else
                    putf(&t, ",%d", g->cert[label_pos(phase, cols[k])]);
            }
            putf(&t, "\r\n");
            counts[phase - 1]++;
        }
        char path[4200];
        if (cx_pathf(path, sizeof path, err, "%s/reflacx/main_data/metadata_phase_%d.csv", root,
                     phase))
            rc = -1;
        else
            rc = text_write(&t, path, err);
    }
    free(t.s);
    return rc;
}
