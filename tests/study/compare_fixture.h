// The hand-made compare case shared by tests/study/test_compare.c and
// tests/report/test_report_compare.c: a pack of N test images with gaze, all positive for
// Cardiomegaly; predictions 0.9 (even images) / 0.1 (odd) against thresholds 0.5; maps sl = the
// gaze map itself, gc = gaze mirrored left-right, lc = gc scaled and shifted. A truth marks
// where gaze > 0.5. write_fixture_with varies it (fixture_opts): more positive labels per image
// (one map row per image and positive label, in that order), sl maps that are all zero, images
// sharing a patient, a method dl = -gaze, maps for the first images only, and radiologist
// readings.
#ifndef CX_TEST_COMPARE_FIXTURE_H
#define CX_TEST_COMPARE_FIXTURE_H

#include "test.h"

#include <math.h>

#include "data/data.h"
#include "io/io.h"
#include "study/study.h"

enum { S = 24, N = 12, CARDIO = 1 };

static char root[4096];

static void path_in(char *out, const char *name) { cx_path_join(out, 4096, root, name); }

// Gaze blob of image i: centre alternates between the image's left and right halves.
static void gaze_map(int i, float *g, uint8_t *fix) {
    double cx = (i % 2 ? 17.0 : 6.0) + (i % 3), cy = 8.0 + (i % 4) * 2;
    for (int y = 0; y < S; y++)
        for (int x = 0; x < S; x++) {
            double d2 = (x - cx) * (x - cx) + (y - cy) * (y - cy);
            g[y * S + x] = (float)exp(-d2 / 18.0);
            fix[y * S + x] = d2 < 2.0;
        }
}

// Regions: aortic knob top-left block, right lung = image left half, left lung = image right
// half, mediastinum = a central column. masks [4,S,S].
static void fixture_region_masks(uint8_t *r) {
    for (int y = 0; y < S; y++)
        for (int x = 0; x < S; x++) {
            r[0 * S * S + y * S + x] = x < 4 && y < 4;
            r[1 * S * S + y * S + x] = x < S / 2 - 2;
            r[2 * S * S + y * S + x] = x >= S / 2 + 2;
            r[3 * S * S + y * S + x] = x >= S / 2 - 2 && x < S / 2 + 2;
        }
}

typedef struct fixture_opts {
    uint32_t positive[N]; // bit c: label c positive for image i; 0: Cardiomegaly only
    uint32_t sl_zero[N];  // bit c: sl's map of (image i, target c) is all zero
    const int *patient;   // [N] image i's patient; NULL: every image its own
    int with_dl;          // a method dl whose maps are -gaze
    int n_mapped;         // maps only for images 0..n_mapped-1 (0: every image)
    // Radiologist readings in the pack (pack_contents.reading_*); n_readings 0: none.
    int64_t n_readings;
    const float *reading_gaze;
    const uint8_t *reading_fixations;
    const int32_t *reading_row;
    const uint8_t *reading_source;
    const char *const *reading_id;
} fixture_opts;

static uint32_t fixture_positive(const fixture_opts *o, int i) {
    return o->positive[i] ? o->positive[i] : 1u << CARDIO;
}

static void write_fixture_with(const char *name, const fixture_opts *o) {
    snprintf(root, sizeof root, "%s", test_out_path(name));
    cx_remove_tree(root); // no file from an earlier run (or an older build) survives
    cx_mkdir_p(root, NULL);
    static uint8_t images[N * S * S], label_mask[N * CX_N_LABELS], split[N], fixations[N * S * S];
    static uint8_t regions[N * 4 * S * S], present[N * 4];
    static float labels[N * CX_N_LABELS], gaze[N * S * S];
    static uint16_t truth[N * S * S];
    static int32_t gaze_row[N];
    static image_record ids[N];
    for (int i = 0; i < N; i++) {
        gaze_map(i, gaze + i * S * S, fixations + i * S * S);
        for (int q = 0; q < S * S; q++) {
            images[i * S * S + q] = (uint8_t)(q % 251);
            truth[i * S * S + q] = gaze[i * S * S + q] > 0.5f ? (uint16_t)(1u << CARDIO) : 0;
        }
        for (int c = 0; c < CX_N_LABELS; c++) {
            labels[i * CX_N_LABELS + c] = fixture_positive(o, i) >> c & 1;
            label_mask[i * CX_N_LABELS + c] = 1;
        }
        split[i] = SPLIT_TEST;
        gaze_row[i] = i;
        fixture_region_masks(regions + (size_t)i * 4 * S * S);
        for (int k = 0; k < 4; k++) present[i * 4 + k] = 1;
        snprintf(ids[i].dicom_id, sizeof ids[i].dicom_id, "img%02d", i);
        snprintf(ids[i].subject_id, sizeof ids[i].subject_id, "1000000%d",
                 o->patient ? o->patient[i] : i);
        snprintf(ids[i].study_id, sizeof ids[i].study_id, "5000000%d", i);
        snprintf(ids[i].view, sizeof ids[i].view, "PA");
        ids[i].split = SPLIT_TEST;
        ids[i].egd = i;
    }
    pack_contents pc = {.n = N, .n_gaze = N, .size = S, .images = images, .labels = labels,
                        .label_mask = label_mask, .split = split, .gaze_row = gaze_row,
                        .gaze = gaze, .fixations = fixations, .regions = regions,
                        .region_present = present, .truth = truth, .ids = ids,
                        .n_readings = o->n_readings, .reading_gaze = o->reading_gaze,
                        .reading_fixations = o->reading_fixations, .reading_row = o->reading_row,
                        .reading_source = o->reading_source, .reading_id = o->reading_id};
    char p[4096];
    cx_error err;
    path_in(p, "data");
    if (pack_write(&pc, p, NULL, &err)) fail_msg("pack_write: %s", err.msg);

    // Eval: probability 0.9 for even images, 0.1 for odd (positive labels); threshold 0.5.
    path_in(p, "eval");
    cx_mkdir_p(p, NULL);
    path_in(p, "eval/predictions.csv");
    FILE *f = fopen(p, "w");
    fprintf(f, "dicom_id,subject_id,split");
    for (int c = 0; c < CX_N_LABELS; c++) fprintf(f, ",prob_%s", CX_LABELS[c]);
    fprintf(f, "\n");
    for (int i = 0; i < N; i++) {
        fprintf(f, "img%02d,1000000%d,test", i, o->patient ? o->patient[i] : i);
        for (int c = 0; c < CX_N_LABELS; c++)
            fprintf(f, ",%.2f", fixture_positive(o, i) >> c & 1 ? (i % 2 ? 0.1 : 0.9) : 0.2);
        fprintf(f, "\n");
    }
    fclose(f);
    path_in(p, "eval/thresholds.csv");
    f = fopen(p, "w");
    fprintf(f, "label,threshold,f1\n");
    for (int c = 0; c < CX_N_LABELS; c++) fprintf(f, "\"%s\",0.5,\n", CX_LABELS[c]);
    fclose(f);

    // Attributions, one row per (image, positive label): sl = the gaze map itself (or zeros),
    // gc = the gaze map mirrored left-right, lc = gc scaled and shifted (the same map after
    // min-max normalisation), dl = -gaze.
    path_in(p, "attr");
    cx_mkdir_p(p, NULL);
    path_in(p, "attr/maps.csv");
    f = fopen(p, "w");
    fprintf(f, "map_row,dicom_id,target,label,positive,probability\n");
    static float sl[N * CX_N_LABELS * S * S], gc[N * CX_N_LABELS * S * S];
    static float lc[N * CX_N_LABELS * S * S], dl[N * CX_N_LABELS * S * S];
    int rows = 0;
    for (int i = 0; i < N; i++)
        for (int c = 0; c < CX_N_LABELS; c++) {
            if (!(fixture_positive(o, i) >> c & 1) || (o->n_mapped && i >= o->n_mapped)) continue;
            fprintf(f, "%d,img%02d,%d,%s,1,0.5\n", rows, i, c, CX_LABELS[c]);
            const float *g = gaze + i * S * S;
            float *m = gc + (size_t)rows * S * S;
            for (int y = 0; y < S; y++)
                for (int x = 0; x < S; x++) m[y * S + x] = g[y * S + (S - 1 - x)];
            for (int q = 0; q < S * S; q++) {
                sl[(size_t)rows * S * S + q] = o->sl_zero[i] >> c & 1 ? 0 : g[q];
                lc[(size_t)rows * S * S + q] = 2 * m[q] + 1;
                dl[(size_t)rows * S * S + q] = -g[q];
            }
            rows++;
        }
    fclose(f);
    int64_t shape[3] = {rows, S, S};
    const char *names[4] = {"sl", "gc", "lc", "dl"};
    const float *data[4] = {sl, gc, lc, dl};
    for (int k = 0; k < (o->with_dl ? 4 : 3); k++) {
        st_writer *w = st_writer_new();
        st_writer_add(w, names[k], ST_F32, 3, shape, data[k]);
        char file[64];
        snprintf(file, sizeof file, "attr/%s.safetensors", names[k]);
        path_in(p, file);
        if (st_writer_write(w, p, &err)) fail_msg("%s", err.msg);
        st_writer_free(w);
    }
}

static void write_fixture(const char *name) {
    static const fixture_opts plain;
    write_fixture_with(name, &plain);
}

// ---- radiologist readings (fixture_opts.reading_*) ----
enum { MAXR = 32 };

// Readings under construction (sorted by row as added).
typedef struct readings {
    int64_t n;
    float gaze[MAXR * S * S];
    uint8_t fix[MAXR * S * S];
    int32_t row[MAXR];
    uint8_t source[MAXR];
    char id_text[MAXR][16];
    const char *id[MAXR];
} readings;

// A reading of image row: a blob at (cx, cy) (the fixture's gaze blob shape) plus noise of
// amplitude `noise` (deterministic), fixations within sqrt(2) pixels of the centre.
static inline void add_reading(readings *r, int row, int source, double cx, double cy,
                               double noise) {
    int64_t k = r->n++;
    float *g = r->gaze + k * S * S;
    uint8_t *f = r->fix + k * S * S;
    for (int y = 0; y < S; y++)
        for (int x = 0; x < S; x++) {
            double d2 = (x - cx) * (x - cx) + (y - cy) * (y - cy);
            double u = (double)((uint32_t)(k * 7919 + y * 131 + x * 31) * 2654435761u % 1000) / 1000;
            g[y * S + x] = (float)((exp(-d2 / 18.0) + noise * u) / (1 + noise));
            f[y * S + x] = d2 < 2.0;
        }
    r->row[k] = row;
    r->source[k] = (uint8_t)source;
    snprintf(r->id_text[k], sizeof r->id_text[k], "R%02d", (int)k);
    r->id[k] = r->id_text[k];
}

// The fixture's gaze blob centre of image i (compare_fixture.h gaze_map).
static inline double blob_cx(int i) { return (i % 2 ? 17.0 : 6.0) + (i % 3); }
static inline double blob_cy(int i) { return 8.0 + (i % 4) * 2; }

// Settings of one model "m" on the fixture, written to <root>/compare.
static void fixture_settings(study_compare_settings *s) {
    static char data[4096], ev[4096], at[4096], out[4096];
    path_in(data, "data");
    path_in(ev, "eval");
    path_in(at, "attr");
    path_in(out, "compare");
    study_compare_settings_default(s);
    s->data_dir = data;
    s->n_models = 1;
    s->eval_dir[0] = ev;
    s->n_eval = 1;
    s->attr_dir[0] = at;
    s->name[0] = "m";
    s->out_dir = out;
    s->n_bootstrap = 200;
    s->n_permutations = 500;
    s->emd_side = 12;
    // abs-minmax: sl (= gaze, non-negative) is normalised exactly as gaze is, so it scores as
    // gaze itself (SSIM 1, the same regions); the default abs-p98 clips its top and does not.
    s->norm = (stats_map_norm){STATS_SIGN_ABS, STATS_SCALE_MINMAX};
}

#endif
