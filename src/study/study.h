// study: the study's stages as library functions (ARCHITECTURE.md). Each stage takes a settings
// struct, returns a typed result, and owns its files: a writer and a reader per file format, side
// by side, in the file that produces it. Every later stage and the report read a stage's files
// only through the readers here. File names and columns are the ones users rely on (README,
// DATA-FORMATS.md); they are extended, never renamed. Depends on train, attr, model, data, stats,
// io, util.
#ifndef CX_STUDY_H
#define CX_STUDY_H

#include <stddef.h>
#include <stdint.h>

#include "attr/attr.h"
#include "data/data.h"
#include "model/model.h"
#include "stats/stats.h"
#include "train/train.h"
#include "util/util.h"

// ==== evaluate (evaluate.c, eval_files.c): predictions, thresholds, AUROC + CIs, DeLong ==========

// ==== attribute a split (attribute.c, attr_files.c): maps + their index (maps.csv) ===============

// ==== compare with gaze (compare*.c): image-level metrics, regions, planted findings ============
// METHODS.md §3. For each model (an eval directory with predictions.csv + thresholds.csv, paired
// with an attribution directory with maps.csv + <method>.safetensors): SSIM and the other map
// metrics for correct vs incorrect predictions (bootstrap CI, permutation p) with centre-bias and
// mean-training-gaze baselines; most-salient-region distributions vs gaze (TV distance,
// chi-square); with a synth truth in the pack, the share of each map inside the planted finding;
// GradCAM vs Layer Conductance agreement. Files (compare_files.c, a writer and a reader each):
// ssim.csv, metrics.csv, regions.csv, region_distance.csv, truth.csv (pack with a truth),
// gc_lc.csv (models with both GC and LC), compare.json. The figures are drawn from the result
// by report/ (report_compare_figures).
#define STUDY_COMPARE_MAX_MODELS 8

typedef struct study_compare_settings {
    const char *data_dir;
    int n_models;
    const char *eval_dir[STUDY_COMPARE_MAX_MODELS]; // one per model (or one shared: n_eval == 1)
    int n_eval;
    const char *attr_dir[STUDY_COMPARE_MAX_MODELS]; // one per model
    const char *name[STUDY_COMPARE_MAX_MODELS];     // display names (NULL: the attribution dir's)
    const char *out_dir;     // the files above are written here (created); NULL: none written
    double fixed_threshold;  // < 0: thresholds.csv (F1-maximising on validate)
    int n_bootstrap;         // 1000
    int n_permutations;      // 10000
    uint64_t seed;           // 0
    int emd_side;            // 32: EMD on maps area-downsampled to at most this side
    int grid_rows;           // 4: images in each model's qualitative grid (at most 16)
} study_compare_settings;
void study_compare_settings_default(study_compare_settings *s);

// What a row of compare's tables is about (its "method" column): an attribution method
// (attr_method values 0..ATTR_NMETHODS-1), a baseline map scored like a method, or radiologist
// gaze itself (rows with model "-").
enum {
    STUDY_SOURCE_CENTRE_BIAS = ATTR_NMETHODS, // "centre_bias"
    STUDY_SOURCE_MEAN_GAZE,                   // "mean_gaze": mean of the training gaze maps
    STUDY_SOURCE_GAZE,                        // "gaze"
    STUDY_N_SOURCES
};
const char *study_source_name(int source);
int study_source_parse(const char *name); // -1: unknown
#define STUDY_ALL_LABELS (-1)             // label column "all": labels pooled
typedef enum { STUDY_CORRECT = 0, STUDY_INCORRECT, STUDY_N_GROUPS } study_group;
const char *study_group_name(study_group g); // "correct", "incorrect"

// ssim.csv (the STATS_SSIM rows, without the metric column) and metrics.csv: one row per
// (model, source, metric, label, group). NaN is an empty cell.
typedef struct study_metric_row {
    char model[64];
    int source;          // a method or a baseline
    stats_metric metric;
    int label;           // CX_LABELS index or STUDY_ALL_LABELS
    study_group group;   // correct: probability >= the label's threshold
    int64_t n;           // maps in the group
    double mean, ci_lo, ci_hi; // bootstrap 95% CI of the mean (NaN when n = 0)
    double p_perm;       // permutation p, correct vs incorrect (NaN when a group is empty)
} study_metric_row;

// regions.csv: the distribution of most-salient regions (z-scores over each source's maps).
typedef struct study_region_row {
    char model[64];
    int source;          // a method, or gaze
    int label;
    int region;          // CX_REGIONS index
    int64_t n;           // maps with a most-salient region
    int64_t count;       // maps whose most-salient region is this one
    double fraction;     // count / n
} study_region_row;

// region_distance.csv: each method's region distribution against gaze's, per label.
typedef struct study_region_distance_row {
    char model[64];
    int source;
    int label;
    int64_t n, n_gaze;   // maps, gaze images with the label
    double tv_distance;
    double chi2;         // NaN (and dof -1, p NaN) when the chi-square test is undefined
    int dof;
    double p;
} study_region_distance_row;

// truth.csv: share of each (min-max normalised) map's mass inside its label's planted finding.
typedef struct study_truth_row {
    char model[64];
    int source;          // a method, gaze or centre_bias
    int label;           // or STUDY_ALL_LABELS
    int64_t n;
    double mass_share, area_share, ratio; // means over the n maps; ratio = mass / area
} study_truth_row;

// gc_lc.csv: GradCAM vs Layer Conductance on the same maps.csv rows of one model.
typedef struct study_gc_lc_row {
    char model[64];
    int64_t n;           // pairs where neither map is constant
    double mean_cc, min_cc, mean_ssim; // NaN when n = 0
    int64_t n_constant;  // pairs left out
} study_gc_lc_row;

// Most-salient-region counts per label (n: maps or images with the label; counts may sum to
// less when a map has no most-salient region).
typedef struct study_region_dist {
    int64_t counts[CX_N_LABELS][CX_N_REGIONS];
    int64_t n[CX_N_LABELS];
} study_region_dist;

// One image of a model's qualitative grid.
typedef struct study_compare_example {
    char dicom_id[64];
    int label;           // the map's target
    float probability;
    int correct;
} study_compare_example;

// A model's qualitative grid: analysed images, correct predictions first, distinct images.
typedef struct study_compare_grid {
    int n_rows, n_cols, size;         // n_cols = the model's methods + gaze (last); size S
    study_compare_example row[16];
    uint8_t *images;                  // [n_rows,S,S] the radiographs
    float *maps;                      // [n_rows,n_cols,S,S] min-max normalised to [0,1]
} study_compare_grid;

typedef struct study_compare_model {
    char name[64];
    int n_methods;
    attr_method method[ATTR_NMETHODS];        // in attr_method order
    int64_t n_maps;                           // maps.csv rows
    int64_t n_analysed, n_correct;            // maps analysed, of them correctly predicted
    study_region_dist regions[ATTR_NMETHODS]; // per method slot
    study_compare_grid grid;
} study_compare_model;

typedef struct study_compare_result {
    int n_models;
    study_compare_model model[STUDY_COMPARE_MAX_MODELS];
    int64_t n_gaze_test;                      // held-out images with gaze
    int has_truth;                            // the pack has a synth truth
    study_region_dist gaze_regions;
    study_metric_row *metrics;                // rows of metrics.csv (ssim.csv: the SSIM ones)
    int64_t n_metrics;
    study_region_row *regions;
    int64_t n_regions;
    study_region_distance_row *distance;
    int64_t n_distance;
    study_truth_row *truth;                   // NULL without a truth
    int64_t n_truth;
    study_gc_lc_row *gc_lc;
    int64_t n_gc_lc;
} study_compare_result;
int study_compare(const study_compare_settings *s, study_compare_result *r, cx_error *err);
void study_compare_result_free(study_compare_result *r);
// The pooled ("all" labels) row of ssim.csv of (model, source, group), or NULL.
const study_metric_row *study_compare_pooled_ssim(const study_compare_result *r, const char *model,
                                                  int source, study_group g);

// The files. A writer writes all rows atomically; a reader fills *rows (malloc'd, free()) and
// *n, refusing a missing column or a bad cell with file:line and column. Column names are the
// study_*_columns tables, used by both; study_*_text gives a row's cells as the file holds them.
typedef char study_cell[80];
#define STUDY_METRIC_NCOLS 10
extern const char *const study_metric_columns[STUDY_METRIC_NCOLS]; // metrics.csv
#define STUDY_SSIM_NCOLS 9
extern const char *const study_ssim_columns[STUDY_SSIM_NCOLS]; // ssim.csv: no "metric"
void study_metric_text(const study_metric_row *r, int with_metric, study_cell *cells);
int study_metrics_write(const char *path, const study_metric_row *rows, int64_t n, cx_error *err);
int study_metrics_read(const char *path, study_metric_row **rows, int64_t *n, cx_error *err);
// ssim.csv holds the rows whose metric is STATS_SSIM.
int study_ssim_write(const char *path, const study_metric_row *rows, int64_t n, cx_error *err);
int study_ssim_read(const char *path, study_metric_row **rows, int64_t *n, cx_error *err);
#define STUDY_REGION_NCOLS 7
extern const char *const study_region_columns[STUDY_REGION_NCOLS];
void study_region_text(const study_region_row *r, study_cell *cells);
int study_regions_write(const char *path, const study_region_row *rows, int64_t n, cx_error *err);
int study_regions_read(const char *path, study_region_row **rows, int64_t *n, cx_error *err);
#define STUDY_DISTANCE_NCOLS 9
extern const char *const study_distance_columns[STUDY_DISTANCE_NCOLS];
void study_distance_text(const study_region_distance_row *r, study_cell *cells);
int study_region_distance_write(const char *path, const study_region_distance_row *rows, int64_t n,
                                cx_error *err);
int study_region_distance_read(const char *path, study_region_distance_row **rows, int64_t *n,
                               cx_error *err);
#define STUDY_TRUTH_NCOLS 7
extern const char *const study_truth_columns[STUDY_TRUTH_NCOLS];
void study_truth_text(const study_truth_row *r, study_cell *cells);
int study_truth_write(const char *path, const study_truth_row *rows, int64_t n, cx_error *err);
int study_truth_read(const char *path, study_truth_row **rows, int64_t *n, cx_error *err);
#define STUDY_GC_LC_NCOLS 6
extern const char *const study_gc_lc_columns[STUDY_GC_LC_NCOLS];
void study_gc_lc_text(const study_gc_lc_row *r, study_cell *cells);
int study_gc_lc_write(const char *path, const study_gc_lc_row *rows, int64_t n, cx_error *err);
int study_gc_lc_read(const char *path, study_gc_lc_row **rows, int64_t *n, cx_error *err);

// compare.json: the settings and counts of a run (what the report quotes).
typedef struct study_compare_summary {
    int64_t n_gaze_test;
    double fixed_threshold;  // < 0: thresholds.csv ("f1-max on validate")
    int64_t n_bootstrap, n_permutations;
} study_compare_summary;
int study_compare_json_write(const char *path, const study_compare_settings *s,
                             const study_compare_result *r, cx_error *err);
int study_compare_json_read(const char *path, study_compare_summary *out, cx_error *err);


// ==== sanity checks (sanity.c): Adebayo et al. cascading / independent randomisation ===========

// ==== the demo pipeline (demo.c): every stage above on synthetic data ==========================

#endif
