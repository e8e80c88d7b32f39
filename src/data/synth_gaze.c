// data/synth_gaze: a synthetic radiologist reading each EGD image, written as EGD-CXR's
// fixations.csv (one row per fixation) and eye_gaze.csv (60 Hz samples along the same scanpath).
// The scanpath surveys both lungs zone by zone, the hila, heart and mediastinum (with a pull
// towards the image centre), and dwells longer and more often on planted findings. Sessions show
// a calibration dot every 20th screen (short DICOM_ID); a few glances leave the image (negative
// X_ORIGINAL/Y_ORIGINAL, as the dataset stores them).
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/synth_internal.h"

#define SCREEN_W 1920
#define SCREEN_H 1080
#define SAMPLE_HZ 60.0

void synth_pads(int w, int h, int *top, int *bottom, int *left, int *right) {
    double sc = 1024.0 / (w > h ? w : h);
    int dw = (int)lround(w * sc), dh = (int)lround(h * sc);
    *left = (SCREEN_W - dw) / 2, *right = SCREEN_W - dw - *left;
    *top = (SCREEN_H - dh) / 2, *bottom = SCREEN_H - dh - *top;
}

static double unif(cx_rng *r, double lo, double hi) {
    return lo + (hi - lo) * cx_rng_uniform(r);
}

static void push_fix(synth_reading *rd, int *cap, float x, float y, float dur, int finding) {
    if (rd->n_fix == *cap) {
        *cap = *cap ? 2 * *cap : 64;
        rd->fix = cx_realloc(rd->fix, (size_t)*cap * sizeof *rd->fix);
    }
    synth_fix *f = &rd->fix[rd->n_fix++];
    f->x = x, f->y = y, f->dur = dur, f->finding = finding, f->start = 0;
}

// A random pixel inside a finding's mask (rejection in its bbox), else the bbox centre.
static void mask_point(const uint8_t *mask, const int b[4], int w, cx_rng *r, float *x, float *y) {
    for (int t = 0; t < 200; t++) {
        int px = b[0] + (int)cx_rng_below(r, (uint64_t)(b[2] - b[0]));
        int py = b[1] + (int)cx_rng_below(r, (uint64_t)(b[3] - b[1]));
        if (mask[(size_t)py * w + px]) {
            *x = px + (float)cx_rng_uniform(r), *y = py + (float)cx_rng_uniform(r);
            return;
        }
    }
    *x = 0.5f * (b[0] + b[2]), *y = 0.5f * (b[1] + b[3]);
}

static const char *zone_name(const synth_anatomy *a, int side, float v) {
    float t = (v - synth_lung_mid(a, side)) / synth_lung_half(a, side);
    return t < -0.25f ? "upper" : t > 0.25f ? "lower" : "mid";
}

static const char *side_name(int side) {
    return side ? "left" : "right";
} // patient's side

static void finding_phrase(const synth_anatomy *a, const synth_finding *f, char *out, size_t cap) {
    const char *sd = side_name(f->side);
    switch (f->kind) {
    case SK_CARDIOMEGALY:
        snprintf(out, cap, "The heart is enlarged.");
        break;
    case SK_WIDE_MEDIASTINUM:
        snprintf(out, cap, "The mediastinum is widened.");
        break;
    case SK_EFFUSION:
        snprintf(out, cap, "There is a %s %s pleural effusion.",
                 f->a > 0.5f ? "moderate" : "small", sd);
        break;
    case SK_OPACITY:
        snprintf(out, cap, "There is an ill-defined opacity in the %s %s lung.", sd,
                 zone_name(a, f->side, f->v));
        break;
    case SK_PNEUMONIA:
        snprintf(out, cap, "Patchy opacity in the %s %s lung, concerning for pneumonia.", sd,
                 zone_name(a, f->side, f->v));
        break;
    case SK_CONSOLIDATION:
        snprintf(out, cap, "Dense consolidation of the %s %s lobe.", sd,
                 f->sub ? "lower" : "upper");
        break;
    case SK_EDEMA:
        snprintf(out, cap, "There is mild pulmonary edema with perihilar haziness.");
        break;
    case SK_NODULE:
        snprintf(out, cap, "A %.0f mm nodule projects over the %s %s lung.", 2 * f->a * 150, sd,
                 zone_name(a, f->side, f->v));
        break;
    case SK_DEVICE: {
        static const char *const dev[DEV_N] = {"An endotracheal tube is in place.",
                                               "A nasogastric tube courses below the diaphragm.",
                                               "A central venous catheter terminates in the SVC.",
                                               "A left-sided pacemaker is present."};
        snprintf(out, cap, "%s", dev[f->sub]);
        break;
    }
    case SK_PNEUMOTHORAX:
        snprintf(out, cap, "There is a small %s apical pneumothorax.", sd);
        break;
    case SK_FRACTURE:
        snprintf(out, cap, "There is a fracture of the %s posterior rib number %d.", sd,
                 f->sub + 3);
        break;
    case SK_ATELECTASIS:
        snprintf(out, cap, "Plate-like atelectasis at the %s base.", sd);
        break;
    case SK_PLEURAL_THICK:
        snprintf(out, cap, "Pleural thickening along the %s lateral chest wall.", sd);
        break;
    default:
        snprintf(out, cap, "Finding.");
    }
}

// The survey's targets (chest units): per lung its apex, middle, base and costophrenic angle,
// then the hila, heart, mediastinum and aortic knob; returns how many (13).
static int survey_targets(const synth_anatomy *a, float *zu, float *zv) {
    int nz = 0;
    for (int s = 0; s < 2; s++) {
        float sg = s ? 1.0f : -1.0f;
        float mid = synth_lung_mid(a, s), half = synth_lung_half(a, s);
        zu[nz] = a->lung_u[s], zv[nz++] = mid - 0.55f * half;
        zu[nz] = a->lung_u[s], zv[nz++] = mid;
        zu[nz] = a->lung_u[s], zv[nz++] = mid + 0.5f * half;
        zu[nz] = a->lung_u[s] + sg * 0.55f * a->lung_a[s];
        zv[nz++] = a->lung_v[s] + a->dia_base[s] + a->dia_curv * 0.3f - 0.1f;
    }
    zu[nz] = -0.22f, zv[nz++] = -0.05f; // hila
    zu[nz] = 0.22f, zv[nz++] = -0.05f;
    zu[nz] = a->heart_u, zv[nz++] = a->heart_v;
    zu[nz] = a->med_u, zv[nz++] = -0.6f;
    zu[nz] = a->knob_u, zv[nz++] = a->knob_v;
    return nz;
}

// Start times of the fixations, 20-60 ms saccades apart (first_look[k]: when finding k was first fixated, -1 never);
// sets total_s and returns the end of the last fixation's saccade (s).
static float fixation_times(synth_reading *rd, cx_rng *r, float first_look[SYNTH_MAX_FINDINGS]) {
    float t = (float)unif(r, 0.15, 0.4);
    for (int k = 0; k < SYNTH_MAX_FINDINGS; k++)
        first_look[k] = -1;
    for (int k = 0; k < rd->n_fix; k++) {
        rd->fix[k].start = t;
        int fk = rd->fix[k].finding;
        if (fk >= 0 && first_look[fk] < 0) first_look[fk] = t;
        t += rd->fix[k].dur + (float)unif(r, 0.02, 0.06);
    }
    rd->total_s = t + (float)unif(r, 0.5, 1.5);
    return t;
}

// Dictation: one phrase per finding, spoken shortly after it was first looked at, and a closing
// sentence; t is the end of the fixations.
static void dictate(const synth_anatomy *a, const synth_study *st, const float *first_look, float t,
                    synth_reading *rd) {
    rd->n_phrase = 0;
    float tp = 0.5f;
    int pathology = 0;
    for (int k = 0; k < st->n_find && rd->n_phrase < SYNTH_MAX_FINDINGS + 2; k++) {
        if (st->find[k].kind != SK_DEVICE) pathology = 1;
        finding_phrase(a, &st->find[k], rd->phrase[rd->n_phrase], sizeof rd->phrase[0]);
        float b = first_look[k] >= 0 ? first_look[k] + 0.4f : tp;
        if (b < tp) b = tp;
        int words = 1;
        for (const char *c = rd->phrase[rd->n_phrase]; *c; c++)
            words += *c == ' ';
        rd->phrase_t[rd->n_phrase][0] = b;
        rd->phrase_t[rd->n_phrase][1] = b + 0.32f * words;
        tp = b + 0.32f * words + 0.2f;
        rd->n_phrase++;
    }
    snprintf(rd->phrase[rd->n_phrase], sizeof rd->phrase[0], "%s",
             pathology ? "No other acute cardiopulmonary process."
                       : "No acute cardiopulmonary process.");
    rd->phrase_t[rd->n_phrase][0] = tp > t - 2.0f ? tp : t - 2.0f;
    rd->phrase_t[rd->n_phrase][1] = rd->phrase_t[rd->n_phrase][0] + 1.6f;
    if (rd->phrase_t[rd->n_phrase][1] > rd->total_s)
        rd->total_s = rd->phrase_t[rd->n_phrase][1] + 0.3f;
    rd->n_phrase++;
}

void synth_gaze_read(const synth_plan *p, int64_t egd, uint8_t *const *masks, const int (*bbox)[4],
                     synth_reading *rd) {
    synth_gaze_scan(p, p->egd_img[egd], (1ull << 40) + (uint64_t)egd, masks, bbox, rd);
}

void synth_gaze_scan(const synth_plan *p, int64_t i, uint64_t stream, uint8_t *const *masks,
                     const int (*bbox)[4], synth_reading *rd) {
    memset(rd, 0, sizeof *rd);
    const synth_image *im = &p->img[i];
    const synth_study *st = &p->study[im->study];
    synth_anatomy a;
    synth_image_anatomy(p, i, 1, &a);
    cx_rng r;
    cx_rng_seed(&r, p->o->seed, stream);
    int cap = 0;
    const float icx = 0.5f * im->w, icy = 0.5f * im->h;

    // Survey targets (chest units), in a systematic order most of the time.
    float zu[16], zv[16];
    int nz = survey_targets(&a, zu, zv);
    int order[16];
    for (int k = 0; k < nz; k++)
        order[k] = k;
    if (cx_rng_uniform(&r) < 0.3)
        for (int k = nz - 1; k > 0; k--) {
            int j = (int)cx_rng_below(&r, (uint64_t)k + 1), t = order[k];
            order[k] = order[j], order[j] = t;
        }

    // Where each finding's run of fixations is inserted into the survey.
    int ins[SYNTH_MAX_FINDINGS];
    for (int k = 0; k < st->n_find; k++)
        ins[k] = (int)cx_rng_below(&r, (uint64_t)nz + 1);

    // The first fixation lands near the screen centre.
    push_fix(rd, &cap, icx + (float)(0.04 * im->w * cx_rng_normal(&r)),
             icy + (float)(0.04 * im->h * cx_rng_normal(&r)), (float)unif(&r, 0.15, 0.35), -1);
    int off_at = cx_rng_uniform(&r) < 0.35 ? (int)cx_rng_below(&r, (uint64_t)nz) : -1;
    for (int z = 0; z <= nz; z++) {
        for (int k = 0; k < st->n_find; k++) {
            if (ins[k] != z || bbox[k][2] <= bbox[k][0]) continue;
            int n = st->find[k].kind == SK_DEVICE ? 1 + (int)cx_rng_below(&r, 2)
                                                  : 4 + (int)cx_rng_below(&r, 5);
            for (int j = 0; j < n; j++) {
                float x, y;
                mask_point(masks[k], bbox[k], im->w, &r, &x, &y);
                float dur = (float)fmin(2.0, fmax(0.12, 0.5 * exp(0.4 * cx_rng_normal(&r))));
                push_fix(rd, &cap, x, y, dur, k);
            }
        }
        if (z == nz) break;
        if (z == off_at) { // a glance off the image, into the side margin
            float x = cx_rng_uniform(&r) < 0.5 ? -(float)unif(&r, 0.05, 0.3) * im->w
                                               : im->w * (1.0f + (float)unif(&r, 0.05, 0.3));
            push_fix(rd, &cap, x, (float)unif(&r, 0.2, 0.8) * im->h, (float)unif(&r, 0.1, 0.3), -1);
        }
        double ur = cx_rng_uniform(&r);
        int reps = 1 + (ur < 0.6) + (ur < 0.25);
        for (int j = 0; j < reps; j++) {
            float u = zu[order[z]] + (float)(0.07 * cx_rng_normal(&r));
            float v = zv[order[z]] + (float)(0.07 * cx_rng_normal(&r));
            float x, y;
            synth_chest_to_px(im, u, v, &x, &y);
            x += 0.2f * (icx - x), y += 0.2f * (icy - y); // centre bias
            x = fminf(fmaxf(x, 0.0f), im->w - 0.01f), y = fminf(fmaxf(y, 0.0f), im->h - 0.01f);
            float dur = (float)fmin(1.2, fmax(0.08, 0.22 * exp(0.45 * cx_rng_normal(&r))));
            push_fix(rd, &cap, x, y, dur, -1);
        }
    }
    // A last look back at each finding, half of the time.
    for (int k = 0; k < st->n_find; k++)
        if (bbox[k][2] > bbox[k][0] && cx_rng_uniform(&r) < 0.5) {
            float x, y;
            mask_point(masks[k], bbox[k], im->w, &r, &x, &y);
            push_fix(rd, &cap, x, y, (float)unif(&r, 0.25, 0.7), k);
        }

    // Times: start after the screen appears, saccades of 20-60 ms between fixations; then the
    // dictation.
    float first_look[SYNTH_MAX_FINDINGS];
    float t = fixation_times(rd, &r, first_look);
    dictate(&a, st, first_look, t, rd);
}

void synth_reading_free(synth_reading *r) {
    free(r->fix);
    r->fix = NULL;
    r->n_fix = 0;
}

// ---- fixations.csv and eye_gaze.csv ---------------------------------------------------------
static const char *const GAZE_COLS[37] = {"SESSION_ID",
                                          "MEDIA_ID",
                                          "DICOM_ID",
                                          "CNT",
                                          "Time (in secs)",
                                          "TIMETICK(f=10000000)",
                                          "FPOGX",
                                          "FPOGY",
                                          "FPOGS",
                                          "FPOGD",
                                          "FPOGID",
                                          "FPOGV",
                                          "BPOGX",
                                          "BPOGY",
                                          "BPOGV",
                                          "LPCX",
                                          "LPCY",
                                          "LPD",
                                          "LPS",
                                          "LPV",
                                          "RPCX",
                                          "RPCY",
                                          "RPD",
                                          "RPS",
                                          "RPV",
                                          "BKID",
                                          "BKDUR",
                                          "BKPMIN",
                                          "LPMM",
                                          "LPMMV",
                                          "RPMM",
                                          "RPMMV",
                                          "SACCADE_MAG",
                                          "SACCADE_DIR",
                                          "VID_FRAME",
                                          "X_ORIGINAL",
                                          "Y_ORIGINAL"};

// A screen being looked at: image geometry and the fixations in screen fractions.
typedef struct screen {
    const char *dicom_id;
    int w, h, pad[4]; // top, bottom, left, right
} screen;

typedef struct gaze_row {
    int session, media;
    const screen *sc;
    int64_t cnt;
    double t, fx, fy, fs, fd, bx, by, sac_mag, sac_dir;
    int64_t fid, tick0;
    int fv;
    double bkpmin;
} gaze_row;

// Rounds a screen fraction to the 5 decimals written, so that X_ORIGINAL is computed from the
// value a reader parses.
static double round5(double v) {
    char b[32];
    snprintf(b, sizeof b, "%.5f", v);
    return strtod(b, NULL);
}

static void write_row(csv_writer *w, const gaze_row *g, cx_rng *r) {
    int X, Y;
    if (!egd_screen_to_original(g->fx, g->fy, g->sc->w, g->sc->h, g->sc->pad[0], g->sc->pad[1],
                                g->sc->pad[2], g->sc->pad[3], &X, &Y))
        X = -1 - (int)cx_rng_below(r, 3), Y = -1 - (int)cx_rng_below(r, 3);
    csv_writer_fieldf(w, "%d", g->session);
    csv_writer_fieldf(w, "%d", g->media);
    csv_writer_field(w, g->sc->dicom_id);
    csv_writer_fieldf(w, "%lld", (long long)g->cnt);
    csv_writer_fieldf(w, "%.5f", g->t);
    csv_writer_fieldf(w, "%lld", (long long)(g->tick0 + (int64_t)llround(g->t * 1e7)));
    csv_writer_fieldf(w, "%.5f", g->fx);
    csv_writer_fieldf(w, "%.5f", g->fy);
    csv_writer_fieldf(w, "%.5f", g->fs);
    csv_writer_fieldf(w, "%.5f", g->fd);
    csv_writer_fieldf(w, "%lld", (long long)g->fid);
    csv_writer_fieldf(w, "%d", g->fv);
    csv_writer_fieldf(w, "%.5f", g->bx);
    csv_writer_fieldf(w, "%.5f", g->by);
    csv_writer_field(w, "1");
    // Pupils: camera-frame centres, diameters in camera px and mm, with measurement noise.
    csv_writer_fieldf(w, "%.5f", 0.38 + 0.004 * cx_rng_normal(r));
    csv_writer_fieldf(w, "%.5f", 0.55 + 0.004 * cx_rng_normal(r));
    csv_writer_fieldf(w, "%.5f", 24.5 + 0.6 * cx_rng_normal(r));
    csv_writer_field(w, "1.00000");
    csv_writer_field(w, "1");
    csv_writer_fieldf(w, "%.5f", 0.61 + 0.004 * cx_rng_normal(r));
    csv_writer_fieldf(w, "%.5f", 0.55 + 0.004 * cx_rng_normal(r));
    csv_writer_fieldf(w, "%.5f", 24.1 + 0.6 * cx_rng_normal(r));
    csv_writer_field(w, "1.00000");
    csv_writer_field(w, "1");
    csv_writer_field(w, "0");
    csv_writer_field(w, "0.00000");
    csv_writer_fieldf(w, "%.0f", g->bkpmin);
    csv_writer_fieldf(w, "%.5f", 4.1 + 0.1 * cx_rng_normal(r));
    csv_writer_field(w, "1");
    csv_writer_fieldf(w, "%.5f", 4.0 + 0.1 * cx_rng_normal(r));
    csv_writer_field(w, "1");
    csv_writer_fieldf(w, "%.5f", g->sac_mag);
    csv_writer_fieldf(w, "%.5f", g->sac_dir);
    csv_writer_fieldf(w, "%lld", (long long)floor(g->t * 30.0));
    csv_writer_fieldf(w, "%d", X);
    csv_writer_fieldf(w, "%d", Y);
    csv_writer_end_row(w);
}

// One screen's fixations (screen fractions, session times) into both tables.
static void write_screen(csv_writer *wf, csv_writer *wg, gaze_row *g, const double (*fx)[4], int n,
                         double t_end, int64_t *fid, int64_t *n_fix, int64_t *n_gaze, cx_rng *r) {
    double px = -1, py = -1;
    for (int k = 0; k < n; k++) {
        double x = round5(fx[k][0]), y = round5(fx[k][1]), s = fx[k][2], d = fx[k][3];
        double next = k + 1 < n ? fx[k + 1][2] : t_end;
        (*fid)++;
        g->fid = *fid;
        g->fx = x, g->fy = y, g->fs = round5(s);
        if (px >= 0) {
            double dx = (x - px) * SCREEN_W, dy = (y - py) * SCREEN_H;
            g->sac_mag = hypot(dx, dy), g->sac_dir = atan2(dy, dx) * 180.0 / M_PI;
        } else
            g->sac_mag = 0, g->sac_dir = 0;
        // eye_gaze.csv: 60 Hz samples from the fixation start until the next one starts; after
        // the fixation ends the eye is in a saccade (FPOGV 0, FPOG still the last fixation).
        int64_t c0 = (int64_t)ceil(s * SAMPLE_HZ), c1 = (int64_t)ceil(next * SAMPLE_HZ);
        for (int64_t c = c0; c < c1; c++) {
            double t = c / SAMPLE_HZ;
            g->cnt = c, g->t = t;
            g->fv = t <= s + d;
            g->fd = round5(g->fv ? t - s : d);
            double f = g->fv ? 0 : (t - s - d) / fmax(next - s - d, 1e-3);
            double nx = k + 1 < n ? fx[k + 1][0] : x, ny = k + 1 < n ? fx[k + 1][1] : y;
            g->bx = x + f * (nx - x) + 0.004 * cx_rng_normal(r);
            g->by = y + f * (ny - y) + 0.004 * cx_rng_normal(r);
            write_row(wg, g, r);
            (*n_gaze)++;
        }
        // fixations.csv: the fixation's last sample.
        g->t = s + d, g->cnt = (int64_t)floor((s + d) * SAMPLE_HZ), g->fd = round5(d), g->fv = 1;
        g->bx = x + 0.002 * cx_rng_normal(r), g->by = y + 0.002 * cx_rng_normal(r);
        write_row(wf, g, r);
        (*n_fix)++;
        px = x, py = y;
    }
}

int synth_write_gaze(const synth_plan *p, const synth_reading *readings, const char *egd_dir,
                     int64_t *n_fix_rows, int64_t *n_gaze_rows, cx_error *err) {
    char pf[4096], pg[4096];
    cx_path_join(pf, sizeof pf, egd_dir, "fixations.csv");
    cx_path_join(pg, sizeof pg, egd_dir, "eye_gaze.csv");
    csv_writer *wf = csv_writer_open(pf, err);
    if (!wf) return -1;
    csv_writer *wg = csv_writer_open(pg, err);
    if (!wg) return csv_writer_abort(wf), -1;
    csv_writer_row(wf, 37, GAZE_COLS);
    csv_writer_row(wg, 37, GAZE_COLS);
    cx_rng r;
    cx_rng_seed(&r, p->o->seed, 2);
    *n_fix_rows = *n_gaze_rows = 0;
    int64_t e = 0;
    int session = 0;
    double(*fx)[4] = NULL;
    int fx_cap = 0;
    while (e < p->n_egd) {
        session++;
        int n_screens = 30 + (int)cx_rng_below(&r, 31); // calibration screens included
        gaze_row g = {.session = session,
                      .tick0 = 130000000000000ll + session * 100000000000ll,
                      .bkpmin = 10 + (double)cx_rng_below(&r, 10)};
        double t = 0;
        int64_t fid = 0;
        for (int m = 0; m < n_screens && e < p->n_egd; m++) {
            screen sc;
            char calib_id[24];
            g.media = m;
            if (m % 20 == 0) { // calibration dot at the screen centre, DICOM_ID cut short
                snprintf(calib_id, sizeof calib_id, "%08x-%04x", (unsigned)cx_rng_u64(&r),
                         (unsigned)(cx_rng_u64(&r) & 0xffff));
                int sw = (int)lround(p->o->size * 2544.0 / 3056.0);
                sc = (screen){.dicom_id = calib_id, .w = sw, .h = p->o->size};
                synth_pads(sc.w, sc.h, &sc.pad[0], &sc.pad[1], &sc.pad[2], &sc.pad[3]);
                int n = 3 + (int)cx_rng_below(&r, 3);
                if (n > fx_cap) fx = cx_realloc(fx, (size_t)(fx_cap = n + 64) * sizeof *fx);
                double tt = t + 0.2;
                for (int k = 0; k < n; k++) {
                    fx[k][0] = 0.5 + 0.01 * cx_rng_normal(&r);
                    fx[k][1] = 0.5 + 0.01 * cx_rng_normal(&r);
                    fx[k][2] = tt, fx[k][3] = unif(&r, 0.2, 0.5);
                    tt += fx[k][3] + 0.04;
                }
                g.sc = &sc;
                write_screen(wf, wg, &g, (const double(*)[4])fx, n, tt, &fid, n_fix_rows,
                             n_gaze_rows, &r);
                t = tt + 0.5;
                continue;
            }
            const synth_image *im = &p->img[p->egd_img[e]];
            const synth_reading *rd = &readings[e];
            sc = (screen){.dicom_id = im->dicom_id, .w = im->w, .h = im->h};
            synth_pads(sc.w, sc.h, &sc.pad[0], &sc.pad[1], &sc.pad[2], &sc.pad[3]);
            if (rd->n_fix > fx_cap)
                fx = cx_realloc(fx, (size_t)(fx_cap = rd->n_fix + 64) * sizeof *fx);
            // original px -> screen fractions (the inverse of the dataset's mapping, pixel centres)
            double sx = (double)(SCREEN_W - sc.pad[2] - sc.pad[3]) / im->w;
            double sy = (double)(SCREEN_H - sc.pad[0] - sc.pad[1]) / im->h;
            for (int k = 0; k < rd->n_fix; k++) {
                double ex = sc.pad[2] + rd->fix[k].x * sx, ey = sc.pad[0] + rd->fix[k].y * sy;
                ex = fmin(fmax(ex, 1.0), SCREEN_W - 1.0), ey = fmin(fmax(ey, 1.0), SCREEN_H - 1.0);
                fx[k][0] = ex / SCREEN_W, fx[k][1] = ey / SCREEN_H;
                fx[k][2] = t + rd->fix[k].start, fx[k][3] = rd->fix[k].dur;
            }
            g.sc = &sc;
            write_screen(wf, wg, &g, (const double(*)[4])fx, rd->n_fix, t + rd->total_s, &fid,
                         n_fix_rows, n_gaze_rows, &r);
            t += rd->total_s;
            e++;
        }
    }
    free(fx);
    if (csv_writer_commit(wf, err)) return csv_writer_abort(wg), -1;
    return csv_writer_commit(wg, err);
}
