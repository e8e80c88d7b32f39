// study/compare: what compare_inputs.c loads and compare*.c analyse. Private to study/.
#ifndef CX_COMPARE_INTERNAL_H
#define CX_COMPARE_INTERNAL_H

#include "io/io.h"
#include "study/study.h"
#include "study/table_internal.h"

// One model's evaluation and attribution maps, and the maps the study analyses: one per pair
// (test image with gaze, label c positive; the map for target c), correct = probability >=
// threshold_c.
typedef struct cmp_model {
    char name[64];
    float *prob;                 // [N,14] per pack row, NaN where predictions.csv has none
    double thr[CX_N_LABELS];     // decision thresholds
    int n_methods;
    attr_method method[ATTR_NMETHODS]; // in attr_method order
    study_method_maps file[ATTR_NMETHODS];
    const float *maps[ATTR_NMETHODS]; // [n_maps,S,S]
    study_map_index index;       // maps.csv
    int64_t n_maps;              // map rows (maps.csv rows)
    const int64_t *map_pack_row; // [n_maps] pack row of each map, -1 when the image is unknown
                                 // (index.pack_row)
    const int *map_target;       // [n_maps] label index (index.target)
    // Analysed subset, in maps.csv order (a pair's first map row when it has several):
    int64_t n_an;
    int64_t *an_map;             // [n_an] map row
    int64_t *an_pair;            // [n_an] the pair (cmp_inputs.pair_*)
    uint8_t *an_correct;         // [n_an]
} cmp_model;

typedef struct cmp_inputs {
    pack pk;
    int S;
    stats_map_norm norm;         // of the methods' maps (gaze and baselines: min-max)
    int n_models;
    cmp_model model[STUDY_COMPARE_MAX_MODELS];
    // Test images with gaze (pack rows), their patients, and baseline maps [S,S].
    int64_t n_gaze_test;
    int64_t *gaze_test_rows;     // [n_gaze_test]
    int64_t *gaze_test_index;    // [pk.n] position in gaze_test_rows, or -1
    int64_t *patient;            // [n_gaze_test] patient (subject_id) numbered from 0
    // The pairs (test image with gaze, positive label), image by image, labels ascending:
    int64_t n_pairs;             // pairs with a map in every model (keep_mapped_pairs)
    int64_t n_pairs_unmapped;    // pairs left out: some model has no map for them
    int64_t *pair_image;         // [n_pairs] position in gaze_test_rows
    int *pair_label;             // [n_pairs]
    int64_t *pair_of;            // [n_gaze_test * CX_N_LABELS] pair of (image, label), or -1
    float *centre_bias, *mean_gaze;
    // For sAUC and information gain (METHODS.md §4): per pixel, how many held-out gaze images
    // fixated it (the shuffled negatives, less the image's own), and the baselines min-max
    // normalised (mean_gaze_n NULL when the mean gaze map is constant: no training gaze).
    uint32_t *fix_count;
    float *centre_bias_n, *mean_gaze_n;
} cmp_inputs;

// compare_inputs.c: the pack, predictions, thresholds, maps.csv and <method>.safetensors.
int cmp_load(const study_compare_settings *s, cmp_inputs *in, cx_error *err);
void cmp_free(cmp_inputs *in);
// Patients of pack rows rows[n]: equal subject_id, equal number (0, 1, ...; an empty subject_id
// is a patient of its own) into patient[n].
void cmp_number_patients(const pack *p, const int64_t *rows, int64_t n, int64_t *patient);
// compare.c: every metric (by stats_metric) of one normalised map against one normalised gaze
// map with its binary fixation map fix. sAUC's negatives: in->fix_count less own (the fixations
// of the held-out image counted there; NULL when the image is not one of them); other: scratch
// [S*S]. Information gain over in's normalised baselines.
void cmp_pair_metrics(const cmp_inputs *in, const float *map, const float *gaze, const uint8_t *fix,
                      const uint8_t *own, uint32_t *other, int emd_side,
                      double out[STATS_N_METRICS]);

// compare_ceiling.c: the inter-observer ceiling (r->interobserver and its counts; nothing when
// the pack has no readings), then every metrics row's ceiling_fraction.
void cmp_ceiling(const cmp_inputs *in, const study_compare_settings *s, study_compare_result *r);
void cmp_ceiling_fractions(study_compare_result *r);
// compare_outputs.c: truth.csv rows (pack with a synth truth), gc_lc.csv rows, sensitivity.csv
// rows of method slot q (ssim: its SSIM under the run's normalisation per analysed pair, NaN
// where excluded), the grids.
void cmp_truth(const cmp_inputs *in, study_compare_result *r);
void cmp_gc_lc(const cmp_inputs *in, study_compare_result *r);
void cmp_sensitivity(const cmp_inputs *in, const cmp_model *m, int q, const double *ssim,
                     study_compare_result *r);
void cmp_grid(const cmp_inputs *in, const cmp_model *m, int grid_rows, stats_map_norm norm,
              study_compare_grid *g);
// compare_regions.c: most-salient regions of gaze on every pair (returned: [n_pairs], -1 for
// none, malloc'd) and of method slot q of m from its region masses mass [n_an, CX_N_REGIONS]
// (map_constant [n_an]: left out), their distributions per label, and each method against gaze
// on the same pairs (paired statistics).
int *cmp_gaze_regions(const cmp_inputs *in, study_compare_result *r);
void cmp_method_regions(const cmp_inputs *in, const cmp_model *m, int q, const double *mass,
                        const uint8_t *map_constant, const int *gaze_most,
                        const study_compare_settings *s, study_compare_result *r,
                        study_region_dist *d);
// Region masks of gaze row g with absent regions emptied: masks [4, S*S].
void cmp_region_masks(const pack *p, int64_t g, uint8_t *masks);
// The gaze map of held-out image j (position in gaze_test_rows): [S,S].
static inline const float *cmp_gaze(const cmp_inputs *in, int64_t j) {
    return in->pk.gaze + (size_t)in->pk.gaze_row[in->gaze_test_rows[j]] * in->S * in->S;
}

// The method slot q's map for map row r: [S,S].
static inline const float *cmp_map(const cmp_inputs *in, const cmp_model *m, int q, int64_t r) {
    return m->maps[q] + (size_t)r * in->S * in->S;
}

// Appends row to the growing array `rows` of n rows (capacity doubles at powers of two).
static inline void *cmp_grow(void *rows, int64_t n, size_t size) {
    if (n == 0 || (n & (n - 1)) == 0) rows = cx_realloc(rows, size * (size_t)(n ? 2 * n : 1));
    return rows;
}
#define CMP_PUSH(rows, n, row) ((rows) = cmp_grow((rows), (n), sizeof *(rows)), (rows)[(n)++] = (row))

#endif
