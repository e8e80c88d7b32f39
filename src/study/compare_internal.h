// study/compare: what compare_inputs.c loads and compare*.c analyse. Private to study/.
#ifndef CX_COMPARE_INTERNAL_H
#define CX_COMPARE_INTERNAL_H

#include "io/io.h"
#include "study/study.h"

// One model's evaluation and attribution maps, and the maps the study analyses: test images with
// gaze, target c positive for the image, correct = probability >= threshold_c.
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
    // Analysed subset:
    int64_t n_an;
    int64_t *an_map;             // [n_an] map row
    uint8_t *an_correct;         // [n_an]
} cmp_model;

typedef struct cmp_inputs {
    pack pk;
    int S;
    int n_models;
    cmp_model model[STUDY_COMPARE_MAX_MODELS];
    // Test images with gaze (pack rows), and baseline maps [S,S].
    int64_t n_gaze_test;
    int64_t *gaze_test_rows;     // [n_gaze_test]
    int64_t *gaze_test_index;    // [pk.n] position in gaze_test_rows, or -1
    float *centre_bias, *mean_gaze;
} cmp_inputs;

// compare_inputs.c: the pack, predictions, thresholds, maps.csv and <method>.safetensors.
int cmp_load(const study_compare_settings *s, cmp_inputs *in, cx_error *err);
void cmp_free(cmp_inputs *in);
// compare_outputs.c: truth.csv rows (pack with a synth truth), gc_lc.csv rows, the grids.
void cmp_truth(const cmp_inputs *in, study_compare_result *r);
void cmp_gc_lc(const cmp_inputs *in, study_compare_result *r);
void cmp_grid(const cmp_inputs *in, const cmp_model *m, int grid_rows, stats_map_norm norm,
              study_compare_grid *g);
// compare_regions.c: most-salient-region distributions and their distance from gaze's.
void cmp_gaze_regions(const cmp_inputs *in, study_compare_result *r);
void cmp_method_regions(const cmp_inputs *in, const cmp_model *m, int q, study_compare_result *r,
                        study_region_dist *d);

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
