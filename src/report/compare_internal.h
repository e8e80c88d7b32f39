// report/compare: what compare_inputs.c loads and compare.c analyses. Private to report/.
#ifndef CX_COMPARE_INTERNAL_H
#define CX_COMPARE_INTERNAL_H

#include "data/data.h"
#include "io/io.h"
#include "report/report.h"
#include "stats/stats.h"

#define CMP_MAX_METHODS 8
#define CMP_N_METRICS 7
extern const char *const cmp_metric_names[CMP_N_METRICS]; // ssim, cc, nss, kl, sim, auc_judd, emd

// One model's evaluation and attribution maps, and the maps the study analyses: test images with
// gaze, target c positive for the image, correct = probability >= threshold_c.
typedef struct cmp_model {
    char name[64];
    float *prob;                 // [N,14] per pack row, NaN where predictions.csv has none
    double thr[CX_N_LABELS];     // decision thresholds
    int n_methods;
    char method[CMP_MAX_METHODS][8]; // "sl", "gc", ... in canonical order
    st_file file[CMP_MAX_METHODS];
    const float *maps[CMP_MAX_METHODS]; // [n_maps,S,S]
    int64_t n_maps;              // map rows (maps.csv rows)
    int64_t *map_pack_row;       // [n_maps] pack row of each map, -1 when the image is unknown
    int *map_target;             // [n_maps] label index
    // Analysed subset:
    int64_t n_an;
    int64_t *an_map;             // [n_an] map row
    uint8_t *an_correct;         // [n_an]
} cmp_model;

typedef struct cmp_inputs {
    pack pk;
    int S;
    int n_models;
    cmp_model model[8];
    // Test images with gaze (pack rows), and baseline maps [S,S].
    int64_t n_gaze_test;
    int64_t *gaze_test_rows;
    float *centre_bias, *mean_gaze;
} cmp_inputs;

// Most-salient-region counts per label (n: maps or images with the label).
typedef struct cmp_region_dist {
    int64_t counts[CX_N_LABELS][CX_N_REGIONS];
    int64_t n[CX_N_LABELS];
} cmp_region_dist;
// Per model: [method slots 0..7, centre bias, mean gaze][mean, lo, hi][correct, incorrect] of the
// pooled SSIM; and region distributions [methods 0..7, gaze].
typedef double cmp_pooled[CMP_MAX_METHODS + 2][3][2];
typedef cmp_region_dist cmp_dists[CMP_MAX_METHODS + 1];

int cmp_load(const compare_opts *o, cmp_inputs *in, cx_error *err);
void cmp_free(cmp_inputs *in);
// compare_outputs.c: truth.csv (pack with a synth truth), gc_lc.csv, figures, compare.json.
int cmp_truth(const cmp_inputs *in, const compare_opts *o, cx_error *err);
int cmp_gc_lc(const cmp_inputs *in, const compare_opts *o, cx_error *err);
int cmp_figures(const cmp_inputs *in, const compare_opts *o, const cmp_pooled *pooled,
                const cmp_dists *dist, cx_error *err);
int cmp_summary_json(const cmp_inputs *in, const compare_opts *o, cx_error *err);
// The method's map for map row r, or NULL.
static inline const float *cmp_map(const cmp_inputs *in, const cmp_model *m, int k, int64_t r) {
    return m->maps[k] + (size_t)r * in->S * in->S;
}

#endif
