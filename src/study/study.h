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
// `cxrgaze eval` as a function. Each model's probabilities (sigmoid of the logits; inputs built by
// predict_rows with the model file's own normalisation, eval mode) on the validation split and on
// `split`; per label the F1-maximising threshold on validate, AUROC with a DeLong and a patient-
// bootstrap 95% CI on `split`, and the DeLong test of every model against model 0.
// Files in out_dir, one model: predictions.csv, thresholds.csv, auroc.csv, auroc_table.md. Several
// models: those four in out_dir/<dir name>/ per model, plus out_dir/auroc.csv (all models, with
// delong_p) and out_dir/auroc_table.md. Logs each model (cx_info) and warns for one-class labels.
#define STUDY_EVAL_MAX_MODELS 8
#define STUDY_EVAL_NAME_MAX 64 // display names are cut to 63 bytes

typedef struct study_eval_settings {
    const char *data_dir;   // the pack, opened when pk is NULL
    const pack *pk;         // an open pack (NULL: open data_dir)
    int n_models;           // 1..STUDY_EVAL_MAX_MODELS
    const char *model_path[STUDY_EVAL_MAX_MODELS];
    const char *model_name[STUDY_EVAL_MAX_MODELS]; // NULL or "": "DenseNet-Aug" for a model with
                                                   // a gaze head, else "DenseNet"
    int split;              // SPLIT_*: the split measured (default SPLIT_TEST)
    int batch;              // inference batch (32)
    nn_precision precision; // NN_FP32
    int n_bootstrap;        // patient-bootstrap resamples (1000; 0: no bootstrap CI)
    uint64_t seed;          // bootstrap seed; label c uses seed + c (0)
    int progress;           // progress bars (1)
    const char *out_dir;    // where the files go (NULL: nothing is written)
} study_eval_settings;
void study_eval_settings_default(study_eval_settings *s);

// thresholds.csv, one label: the F1-maximising cut on the validation split.
typedef struct study_threshold {
    double threshold;     // predict positive when prob >= threshold; NaN: no cases or no positives
    double f1;            // F1 at the threshold (NaN likewise)
    int64_t n_pos, n_neg; // counted (unmasked) validation cases
} study_threshold;

// One label on the measured split.
typedef struct study_eval_label {
    int64_t n_pos, n_neg;  // counted (unmasked) cases
    stats_auroc_ci delong; // AUROC and DeLong 95% CI
    stats_ci boot;         // patient-level percentile bootstrap 95% CI (subject_id)
    double delong_p;       // DeLong test against model 0 (NaN for model 0 and where undefined)
} study_eval_label;

typedef struct study_eval_model {
    char name[STUDY_EVAL_NAME_MAX]; // display name, unique in the result ("X (2)" for a repeat)
    char *dir;                      // directory of its files (NULL when nothing was written)
    float *prob_val;                // [n_val, CX_N_LABELS] on the validation rows
    float *prob_split;              // [n_split, CX_N_LABELS] on the split rows
    study_threshold thr[CX_N_LABELS];
    study_eval_label label[CX_N_LABELS];
} study_eval_model;

typedef struct study_eval_result {
    int split;                      // SPLIT_*
    int64_t n_val, n_split;
    int64_t *val_rows, *split_rows; // pack rows [n_val], [n_split], in pack order
    int n_models;
    study_eval_model model[STUDY_EVAL_MAX_MODELS];
} study_eval_result;

// Runs the stage. On error r holds nothing (nothing to free) and err says why (pack, model file,
// an empty split, an output file).
int study_evaluate(const study_eval_settings *s, study_eval_result *r, cx_error *err);
void study_eval_result_free(study_eval_result *r);
// Mean AUROC of model m over the labels where it is defined; *n_labels (may be NULL) gets how many.
double study_eval_mean_auroc(const study_eval_model *m, int *n_labels);

// ---- the stage's files (eval_files.c): a writer and a reader per file, in eval_dir -------------
// Writers are atomic. Readers name file:line and column for a bad value.
// predictions.csv: dicom_id,subject_id,split,prob_<Label> x14,label_<Label> x14 (label 1/0, empty
// when masked; probabilities %.7g), one row per row of each part, parts in order.
typedef struct study_pred_rows {
    const int64_t *rows; // pack rows [n]
    int64_t n;
    const float *prob;   // [n, CX_N_LABELS]
} study_pred_rows;
int study_predictions_write(const char *eval_dir, const pack *pk, int n_parts,
                            const study_pred_rows *parts, cx_error *err);
// predictions.csv in eval_dir -> prob [pk->n * CX_N_LABELS], per pack row, CX_LABELS order; NaN
// where the file has no row for the image or an empty cell. Rows for images not in pk are ignored.
// Bad values (not a probability in [0,1]): error naming file:line and column.
int study_predictions_read(const char *eval_dir, const pack *pk, float *prob, cx_error *err);

// thresholds.csv: label,threshold,f1,n_pos,n_neg, CX_LABELS order (empty threshold/f1 for NaN).
int study_thresholds_write(const char *eval_dir, const study_threshold thr[CX_N_LABELS],
                           cx_error *err);
// thresholds.csv in eval_dir -> thr[CX_N_LABELS] (0.5 where the file leaves a label's threshold
// empty).
int study_thresholds_read(const char *eval_dir, double thr[CX_N_LABELS], cx_error *err);

// auroc.csv: [model,]label,n_pos,n_neg,auroc,delong_lo,delong_hi,boot_lo,boot_hi[,delong_p]; the
// model column when there are several models, delong_p (empty for the first model) when given.
// Values %.6f, empty for NaN. Rows: models in order, labels in CX_LABELS order.
typedef struct study_auroc_entry {
    int64_t n_pos, n_neg;        // 0 where the file has no row for the label
    double auroc;                // NaN where empty (one-class label) or absent
    double delong_lo, delong_hi; // DeLong 95% CI
    double boot_lo, boot_hi;     // patient-bootstrap 95% CI
    double delong_p;             // DeLong test against model 0 (NaN: empty or no column)
} study_auroc_entry;
typedef struct study_auroc_table {
    int n_models;
    int has_delong_p;                       // the delong_p column
    char (*name)[STUDY_EVAL_NAME_MAX];      // [n_models]; "" in the single-model form
    study_auroc_entry (*entry)[CX_N_LABELS]; // [n_models][CX_N_LABELS]
} study_auroc_table;
// An empty table of n_models (names "", counts 0, values NaN); free with study_auroc_table_free.
void study_auroc_table_init(study_auroc_table *t, int n_models, int has_delong_p);
void study_auroc_table_free(study_auroc_table *t);
int study_auroc_write(const char *eval_dir, const study_auroc_table *t, cx_error *err);
// Either form; models in order of first appearance (at most STUDY_EVAL_MAX_MODELS).
int study_auroc_read(const char *eval_dir, study_auroc_table *t, cx_error *err);
// auroc_table.md: | Label | <name> AUROC (95% CI) | ... | p (<name> vs <first>) | and a mean row,
// from t (names needed in both forms); `split` names the split in the caption.
int study_auroc_md_write(const char *eval_dir, const study_auroc_table *t, const char *split,
                         cx_error *err);


// ==== attribute a split (attribute.c, attr_files.c): maps + their index (maps.csv) ===============
// Saliency maps of one label's logit per (image, target), model in eval mode (METHODS.md §2-3): for
// the images of a pack split (targets per image by a policy) or for the samples of an input tensor
// (one target for all). The stage owns these files in its output directory DIR:
//   DIR/<method>.safetensors  tensor "<method>" F32: maps [M,S,S] (sum over channels; GC/LC
//       upsampled), or raw Captum-shaped attributions (sl, dl, gs, nt, ig, oc [M,3,S,S]; gc
//       [M,1,h,w] before ReLU; lc [M,C,h,w]); "target" I32 [M]; for DL, IG and LC "delta" F32 [M]
//       = sum(attribution) - (f(x) - f(x')). __metadata__: method, kind (maps | raw), model,
//       precision, seed, options.
//   DIR/maps.csv  (pack runs only) one row per map, in map order: map_row (0, 1, ...), dicom_id,
//       target (label index, CX_LABELS order), label (its name), positive (the pack's label, 0/1),
//       probability (sigmoid of the target's logit, %.6f).
//   DIR/overlays/<dicom_id>_<label>_<method>.png  viridis over the radiograph, first n_overlays
//       images (input runs: input<i>_<label>_<method>.png), the map normalised by overlay_norm.
// Map order: image-major in split row order, targets ascending (list: in list order) per image.

// The index of the maps (maps.csv): map i of every <method>.safetensors explains target[i] of the
// image at pack_row[i].
typedef struct study_map_index {
    int64_t n;            // maps = rows of maps.csv, in map_row order
    int64_t *pack_row;    // [n] pack row of the map's image, -1 when the image is not in the pack
    int *target;          // [n] label index, CX_LABELS order
    int8_t *positive;     // [n] ground truth of target for the image: 1, 0 (-1: input runs)
    float *probability;   // [n] sigmoid(logit of target)
} study_map_index;
// attr_dir/maps.csv into out (cap bytes); -1 when it does not fit.
int study_map_index_path(const char *attr_dir, char *out, size_t cap, cx_error *err);
// Reads attr_dir/maps.csv as study_map_index_write writes it: every column present, map_row = row
// number, target a label index 0..13 and label its name (they must agree), positive 0 or 1,
// probability in [0,1]; extra columns are ignored. pack_row by dicom_id in pk (pk NULL: all -1).
// Errors name file:line:column and the column.
int study_map_index_read(const char *attr_dir, const pack *pk, study_map_index *out, cx_error *err);
// Writes attr_dir/maps.csv (atomically) for ix, whose maps all come from images of pk.
int study_map_index_write(const char *attr_dir, const pack *pk, const study_map_index *ix,
                          cx_error *err);
// Room for n maps (arrays uninitialised); free with study_map_index_free.
void study_map_index_alloc(study_map_index *ix, int64_t n);
void study_map_index_free(study_map_index *ix);

// One method's output file, as the stage writes it.
typedef struct study_method_file {
    attr_method method;
    int raw;                // 0: values are maps [n,S,S]; 1: Captum-shaped attributions
    int64_t shape[4];       // maps: {n,S,S}; raw: {n, C, h, w} (see above)
    const float *values;    // [shape]
    const int32_t *target;  // [n]
    const float *delta;     // [n] completeness (DL, IG, LC: attr_map.delta), or NULL (none)
    const char *model;      // the model file's path (recorded in __metadata__)
    const attr_options *opt; // the options the maps were made with (recorded)
} study_method_file;
// attr_dir/<method>.safetensors into out (cap bytes); -1 when it does not fit.
int study_method_path(const char *attr_dir, attr_method m, char *out, size_t cap, cx_error *err);
// Writes attr_dir/<method>.safetensors atomically.
int study_method_file_write(const char *attr_dir, const study_method_file *f, cx_error *err);

// The 2-D maps of one method, memory-mapped from attr_dir/<method>.safetensors.
typedef struct study_method_maps {
    attr_method method;
    st_file file;
    const float *maps;  // [n,S,S], into the mapping
    int64_t n;
    int S;
} study_method_maps;
// Tensor "<method>" F32 [n,S,S] (2-D maps, not raw). 0 ok, 1 when the file does not exist, -1 on
// error (the message names file and tensor; a raw file says to write maps without --raw).
int study_method_maps_open(const char *attr_dir, attr_method m, int64_t n, int S,
                           study_method_maps *out, cx_error *err);
void study_method_maps_close(study_method_maps *mm);

typedef struct study_attr_settings {
    const char *model;      // model file (required)
    unsigned model_flags;   // MODEL_LOAD_* (0)
    // Either a pack split ...
    const char *data;       // dataset pack directory (NULL: input runs)
    int split;              // SPLIT_TEST
    const char *targets;    // "positive" (labels positive for the image, label_mask respected;
                            // images without any are skipped) | "all" | a list of label indices
                            // or names, "1,Edema" ("positive")
    int64_t limit;          // first N images of the split (0: all)
    int gaze_only;          // 1: only images with radiologist gaze (0)
    // ... or an input tensor.
    const char *input;      // tensor "input" [N,3,S,S] float, normalised (NULL: pack runs)
    int target;             // label index explained for every input sample (-1)
    attr_method methods[ATTR_NMETHODS];
    int n_methods;          // the study's six: sl, gc, dl, lc, gs, nt
    attr_options opt;       // attr_options_default; opt.black is set from the model's mean/std
    const char *out;        // output directory (created)
    int raw;                // 1: Captum-shaped raw attributions instead of S x S maps (0)
    int64_t n_overlays;     // PNG overlays of the first N images (0)
    stats_map_norm overlay_norm; // how the overlays take a map to [0,1] ({0}: abs, p98)
    int progress;           // 1: a progress bar on stderr (0)
} study_attr_settings;
void study_attr_settings_default(study_attr_settings *s);

typedef struct study_attr_result {
    int64_t n_images, n_maps; // images with at least one target; maps per method
    int S;                    // maps are S x S
    study_map_index index;    // [n_maps] (input runs: map i is sample i, pack_row -1)
    int n_methods;
    attr_method methods[ATTR_NMETHODS];       // in settings order
    char method_path[ATTR_NMETHODS][4200];    // where each method's file was written
    double delta_mean_abs[ATTR_NMETHODS];     // mean |delta| over the maps (DL, IG, LC; NAN else)
    double delta_max_abs[ATTR_NMETHODS];      // max |delta|
    char maps_csv[4200];                      // DIR/maps.csv ("" for input runs)
} study_attr_result;
// Runs every method of s over the chosen images and writes the files above. 0 ok, -1 with err (a
// file named, or the setting at fault). r is filled on success: free with study_attr_result_free.
int study_attribute(const study_attr_settings *s, study_attr_result *r, cx_error *err);
void study_attr_result_free(study_attr_result *r);
// DL, IG and LC's completeness, then what was written, via cx_info (out_dir: where it went).
void study_attr_log(const study_attr_result *r, const char *out_dir);


// ==== compare with gaze (compare*.c): image-level metrics, regions, planted findings ============
// METHODS.md §3. For each model (an eval directory with predictions.csv + thresholds.csv, paired
// with an attribution directory with maps.csv + <method>.safetensors), on the analysed pairs
// (test image with gaze, label c positive; the map for target c): SSIM and the other map metrics
// for correct vs incorrect predictions (patient-bootstrap CI, permutation p within labels) with
// centre-bias and mean-training-gaze baselines (METHODS.md §4 too: sauc, the shuffled AUC whose
// negatives are the fixations of the other held-out gaze images, and ig_centre / ig_mean_gaze,
// the information gain over each baseline min-max normalised, NaN without training gaze); most-salient-region distributions of gaze and of
// each method on the same pairs, compared with paired statistics (agreement, Cohen's kappa,
// Stuart-Maxwell); the SSIM conclusion under three map normalisations (sensitivity); with a synth
// truth in the pack, the share of each map inside the planted finding; GradCAM vs Layer
// Conductance agreement. Maps go through stats_map_normalise (settings.norm), gaze and the two
// baselines through stats_minmax_normalise; a constant map is left out of every mean, CI, test
// and distribution and counted (n_constant). Files (compare_files.c, a writer and a reader each):
// ssim.csv, metrics.csv, regions.csv, region_distance.csv, sensitivity.csv, truth.csv (pack with
// a truth), gc_lc.csv (models with both GC and LC), interobserver.csv (a pack with radiologist
// readings: the inter-observer ceiling, compare_ceiling.c), compare.json. The figures are drawn
// from the result by report/ (report_compare_figures).
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
    stats_map_norm norm;     // {abs, p98}: attribution map -> [0,1] (METHODS.md §3)
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
    int64_t n;           // pairs in the group with a value (map and gaze not constant)
    int64_t n_constant;  // pairs in the group left out: the map or its gaze map is constant
    double mean, ci_lo, ci_hi; // patient-bootstrap 95% CI of the mean (NaN when n = 0)
    double p_perm;       // permutation p, correct vs incorrect, permuted within labels (NaN when
                         // a group is empty)
    double ceiling_fraction; // mean as a fraction of the inter-observer ceiling of the same metric
                         // (the "readers" row of interobserver.csv): mean / ceiling, and for the
                         // lower-is-better KL and EMD ceiling / mean, so 1 = as close to gaze as
                         // another radiologist. NaN (an empty cell) without a ceiling; files
                         // written before the column read as NaN
} study_metric_row;

// interobserver.csv: the inter-observer ceiling (METHODS.md §4). On the analysed split's images
// with >= 2 radiologist readings in the pack (pack_readings): "readers" scores each reading (its
// heatmap and fixations as the reference) against the min-max mean of the image's OTHER readings
// (the prediction, as a method's map predicts gaze); "egd_vs_reflacx" scores EGD's reading against
// the min-max mean of the REFLACX readings of the same image, where both exist. Every metric of
// metrics.csv; constant maps are left out as everywhere. CIs: patient bootstrap (subject_id).
typedef enum {
    STUDY_CEILING_READERS = 0,
    STUDY_CEILING_EGD_VS_REFLACX,
    STUDY_N_CEILINGS
} study_ceiling;
const char *study_ceiling_name(study_ceiling c); // "readers", "egd_vs_reflacx"
typedef struct study_interobserver_row {
    stats_metric metric;
    int64_t n_images;    // images with at least one pair with a value
    int64_t n_pairs;     // (reference reading, prediction) pairs with a value
    double mean, ci_lo, ci_hi; // NaN when n_pairs = 0
    study_ceiling comparison;
} study_interobserver_row;

// regions.csv: the distribution of most-salient regions over the analysed pairs of a label
// (z-scores over all pairs of each map type).
typedef struct study_region_row {
    char model[64];
    int source;          // a method, or gaze
    int label;
    int region;          // CX_REGIONS index
    int64_t n;           // pairs with a most-salient region
    int64_t n_constant;  // pairs of the label left out: the map is constant
    int64_t count;       // pairs whose most-salient region is this one
    double fraction;     // count / n
} study_region_row;

// region_distance.csv: each method's most-salient regions against gaze's on the same pairs of a
// label (pairs where both have one), paired statistics.
typedef struct study_region_distance_row {
    char model[64];
    int source;
    int label;
    int64_t n;             // pairs
    double tv_distance;    // between the two distributions over these pairs
    double agreement;      // share of pairs whose most-salient region is gaze's
    double kappa;          // Cohen's kappa (NaN when chance agreement is 1)
    double stuart_maxwell; // statistic of marginal homogeneity (NaN when undefined: dof -1)
    int dof;               // categories observed minus one (per connected part, stats_stuart_maxwell)
    double p;              // chi-square p of the statistic; n < 30: exact permutation p
} study_region_distance_row;

// sensitivity.csv: the image-level conclusion (mean SSIM of correct minus incorrect pairs) under
// the map normalisations abs-p98, abs-minmax and signed-minmax (METHODS.md §3).
typedef struct study_sensitivity_row {
    char model[64];
    int source;          // a method
    int label;           // or STUDY_ALL_LABELS
    stats_map_norm norm;
    int64_t n;           // pairs with an SSIM (map not constant under this normalisation)
    double mean_correct, mean_incorrect, diff; // NaN when a group is empty
} study_sensitivity_row;
#define STUDY_N_SENSITIVITY 3
extern const stats_map_norm study_sensitivity_norms[STUDY_N_SENSITIVITY];

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

// Most-salient-region counts per label over the analysed pairs (n: pairs with a most-salient
// region = the sum of the counts; n_constant: pairs whose map is constant, left out).
typedef struct study_region_dist {
    int64_t counts[CX_N_LABELS][CX_N_REGIONS];
    int64_t n[CX_N_LABELS];
    int64_t n_constant[CX_N_LABELS];
} study_region_dist;

// One image of a model's qualitative grid.
typedef struct study_compare_example {
    char dicom_id[64];
    int label;           // the map's target
    float probability;
    int correct;
} study_compare_example;

// A model's qualitative grid: analysed images, correct predictions first, distinct images. The
// maps are raw: draw method columns through stats_map_normalise(norm), the gaze column through
// stats_minmax_normalise.
typedef struct study_compare_grid {
    int n_rows, n_cols, size;         // n_cols = the model's methods + gaze (last); size S
    stats_map_norm norm;              // the run's map normalisation
    study_compare_example row[16];
    uint8_t *images;                  // [n_rows,S,S] the radiographs
    float *maps;                      // [n_rows,n_cols,S,S] raw maps and gaze
} study_compare_grid;

typedef struct study_compare_model {
    char name[64];
    int n_methods;
    attr_method method[ATTR_NMETHODS];        // in attr_method order
    int64_t n_maps;                           // maps.csv rows
    int64_t n_analysed, n_correct;            // pairs analysed, of them correctly predicted
    study_region_dist regions[ATTR_NMETHODS]; // per method slot
    study_compare_grid grid;
} study_compare_model;

typedef struct study_compare_result {
    int n_models;
    study_compare_model model[STUDY_COMPARE_MAX_MODELS];
    int64_t n_gaze_test;                      // held-out images with gaze
    int64_t n_pairs;                          // (held-out image with gaze, positive label) pairs
                                              // with a map in every model: the analysed set
    int64_t n_pairs_unmapped;                 // pairs left out for want of a map
    int has_truth;                            // the pack has a synth truth
    study_region_dist gaze_regions;           // over every pair
    study_metric_row *metrics;                // rows of metrics.csv (ssim.csv: the SSIM ones)
    int64_t n_metrics;
    study_region_row *regions;
    int64_t n_regions;
    study_region_distance_row *distance;
    int64_t n_distance;
    study_sensitivity_row *sensitivity;
    int64_t n_sensitivity;
    study_truth_row *truth;                   // NULL without a truth
    int64_t n_truth;
    study_gc_lc_row *gc_lc;
    int64_t n_gc_lc;
    // The inter-observer ceiling (none when the pack has no readings): its rows, and per
    // comparison the images and pairs scored (any metric).
    study_interobserver_row *interobserver;
    int64_t n_interobserver;
    int64_t n_ceiling_images[STUDY_N_CEILINGS], n_ceiling_pairs[STUDY_N_CEILINGS];
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
#define STUDY_METRIC_NCOLS 12
extern const char *const study_metric_columns[STUDY_METRIC_NCOLS]; // metrics.csv
#define STUDY_SSIM_NCOLS 11
extern const char *const study_ssim_columns[STUDY_SSIM_NCOLS]; // ssim.csv: no "metric"
void study_metric_text(const study_metric_row *r, int with_metric, study_cell *cells);
int study_metrics_write(const char *path, const study_metric_row *rows, int64_t n, cx_error *err);
int study_metrics_read(const char *path, study_metric_row **rows, int64_t *n, cx_error *err);
// ssim.csv holds the rows whose metric is STATS_SSIM.
int study_ssim_write(const char *path, const study_metric_row *rows, int64_t n, cx_error *err);
int study_ssim_read(const char *path, study_metric_row **rows, int64_t *n, cx_error *err);
#define STUDY_REGION_NCOLS 8
extern const char *const study_region_columns[STUDY_REGION_NCOLS];
void study_region_text(const study_region_row *r, study_cell *cells);
int study_regions_write(const char *path, const study_region_row *rows, int64_t n, cx_error *err);
int study_regions_read(const char *path, study_region_row **rows, int64_t *n, cx_error *err);
#define STUDY_DISTANCE_NCOLS 10
extern const char *const study_distance_columns[STUDY_DISTANCE_NCOLS];
void study_distance_text(const study_region_distance_row *r, study_cell *cells);
int study_region_distance_write(const char *path, const study_region_distance_row *rows, int64_t n,
                                cx_error *err);
int study_region_distance_read(const char *path, study_region_distance_row **rows, int64_t *n,
                               cx_error *err);
#define STUDY_SENSITIVITY_NCOLS 9
extern const char *const study_sensitivity_columns[STUDY_SENSITIVITY_NCOLS];
void study_sensitivity_text(const study_sensitivity_row *r, study_cell *cells);
int study_sensitivity_write(const char *path, const study_sensitivity_row *rows, int64_t n,
                            cx_error *err);
int study_sensitivity_read(const char *path, study_sensitivity_row **rows, int64_t *n,
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
#define STUDY_INTEROBSERVER_NCOLS 7
extern const char *const study_interobserver_columns[STUDY_INTEROBSERVER_NCOLS];
void study_interobserver_text(const study_interobserver_row *r, study_cell *cells);
int study_interobserver_write(const char *path, const study_interobserver_row *rows, int64_t n,
                              cx_error *err);
int study_interobserver_read(const char *path, study_interobserver_row **rows, int64_t *n,
                             cx_error *err);

// compare.json: the settings and counts of a run (what the report quotes).
typedef struct study_compare_summary {
    int64_t n_gaze_test;
    double fixed_threshold;  // < 0: thresholds.csv ("f1-max on validate")
    int64_t n_bootstrap, n_permutations;
    stats_map_norm norm;     // map_sign, map_scale (files without them: the default abs, p98)
    int64_t n_ceiling_images[STUDY_N_CEILINGS], n_ceiling_pairs[STUDY_N_CEILINGS]; // 0: none
} study_compare_summary;
int study_compare_json_write(const char *path, const study_compare_settings *s,
                             const study_compare_result *r, cx_error *err);
int study_compare_json_read(const char *path, study_compare_summary *out, cx_error *err);


// ==== sanity checks (sanity.c): Adebayo et al. cascading / independent randomisation ===========
// Maps of the trained model are compared with maps of copies whose weights are re-initialised
// (attr_sanity_randomise) cascading from the top, or one step at a time (independent), by Spearman
// rank correlation of |map| and of the signed map and SSIM of min-max normalised maps (METHODS.md
// sections 2-3). The target of an image is the trained model's top-scoring logit. Files in the
// output directory: sanity.csv (one row per method, mode and step) and sanity.json (what was run
// and each method's verdict).
typedef enum { SANITY_CASCADING = 0, SANITY_INDEPENDENT, SANITY_NMODES } study_sanity_mode;
const char *study_sanity_mode_name(study_sanity_mode m); // "cascading", "independent"

#define SANITY_MAX_STEPS 16 // attr_sanity_steps has 10

typedef struct study_sanity_settings {
    const char *model;         // model file (required)
    unsigned model_flags;      // MODEL_LOAD_* (0: a tensor DenseNet does not have is refused)
    const char *data;          // dataset pack directory (required)
    int split;                 // SPLIT_TEST
    int limit;                 // 8: the first `limit` images of the split
    attr_method methods[ATTR_NMETHODS];
    int n_methods;             // the study's six: sl, gc, dl, lc, gs, nt
    int modes[SANITY_NMODES];  // {1, 1}: run cascading / independent randomisation
    uint64_t randomise_seed;   // 1: seed of the re-initialisation
    // The re-initialisation (attr_sanity_randomise): called on a fresh copy of the trained model
    // for each step, with cascading = 1 for SANITY_CASCADING.
    void (*randomise)(densenet *net, int step, int cascading, uint64_t seed);
    double threshold;          // 0.5: a method fails when |mean Spearman of |map|| > threshold
                               // with every layer randomised (cascading)
    attr_options attr;         // attr_options_default; the black baseline is taken from the model
    const char *out;           // output directory (created); NULL: no files, the result only
    const char *command_line;  // recorded in sanity.json (NULL: "")
    int progress;              // 1: progress bar on stderr
} study_sanity_settings;
void study_sanity_default(study_sanity_settings *s);

// Mean and sample sd over images; NAN when undefined (no image; sd: fewer than two).
typedef struct study_sanity_stat {
    double mean, sd;
} study_sanity_stat;

// One row of sanity.csv: maps after randomising up to attr_sanity_steps()[step], against the
// trained model's maps of the same images.
typedef struct study_sanity_row {
    attr_method method;
    study_sanity_mode mode;
    int step;                       // index into attr_sanity_steps (column randomised_up_to)
    int n;                          // images whose Spearman of |map| is defined (constant maps out)
    study_sanity_stat spearman_abs; // Spearman of |map|
    study_sanity_stat spearman;     // Spearman of the signed map
    study_sanity_stat ssim;         // SSIM of min-max normalised maps (both non-constant)
} study_sanity_row;

typedef enum { SANITY_UNDEFINED = -1, SANITY_FAILS = 0, SANITY_PASSES = 1 } study_sanity_verdict;
// SANITY_UNDEFINED for a non-finite value (constant maps), SANITY_FAILS when
// |spearman_abs_all_randomised| > threshold, SANITY_PASSES otherwise.
study_sanity_verdict study_sanity_judge(double spearman_abs_all_randomised, double threshold);

typedef struct study_sanity_method_verdict {
    attr_method method;
    double spearman_abs_all_randomised; // spearman_abs.mean of the last cascading step (NAN: none)
    study_sanity_verdict verdict;
} study_sanity_method_verdict;

typedef struct study_sanity_result {
    // what was run (sanity.json)
    char *command_line, *model, *data; // owned copies
    char version[32];                  // CX_VERSION of the run
    int split, n_images;
    attr_method methods[ATTR_NMETHODS];
    int n_methods;
    int modes[SANITY_NMODES];
    int n_steps;                       // the layers randomised, top first
    char steps[SANITY_MAX_STEPS][32];
    uint64_t randomise_seed;
    nn_precision precision;
    double threshold;
    // sanity.csv: method-major, then mode (cascading first), then step
    study_sanity_row *rows;
    int n_rows;
    // one per method when cascading ran (sanity.json "verdicts"); none otherwise
    study_sanity_method_verdict verdicts[ATTR_NMETHODS];
    int n_verdicts;
} study_sanity_result;

// Runs the experiment and, when s->out is set, writes out/sanity.csv and out/sanity.json.
// On error r holds nothing (freed).
int study_sanity(const study_sanity_settings *s, study_sanity_result *r, cx_error *err);
void study_sanity_result_free(study_sanity_result *r);
// Each method's verdict, then where sanity.csv went, via cx_info.
void study_sanity_log(const study_sanity_result *r, const char *out_dir);

// sanity.csv: method,mode,randomised_up_to,n,spearman_abs_mean,spearman_abs_sd,spearman_mean,
// spearman_sd,ssim_mean,ssim_sd (statistics %.6f, empty when undefined). The reader takes the
// columns by name, in any order, and names file, line and field on a bad value; *rows is the
// caller's to free.
int study_sanity_csv_write(const char *path, const study_sanity_row *rows, int n, cx_error *err);
int study_sanity_csv_read(const char *path, study_sanity_row **rows, int *n, cx_error *err);
// sanity.json: every field of r but rows (the verdict rule as text that states the threshold).
// The reader fills those fields of r (rows NULL, n_rows 0); free with study_sanity_result_free.
int study_sanity_json_write(const char *path, const study_sanity_result *r, cx_error *err);
int study_sanity_json_read(const char *path, study_sanity_result *r, cx_error *err);


// ==== map metrics for maps made anywhere (metrics.c) ===========================================
// `cxrgaze metrics` as a function: map i of `maps` (A) against map i of `reference` (B), e.g.
// saliency vs radiologist gaze, for every i, by stats_map_metrics_ex (A normalised by `norm`,
// METHODS.md §3; B, the reference, min-max; a constant map becomes all zeros and is flagged).
// Maps: a floating tensor (F32, F16, BF16, F64) [N,H,W] or [H,W]; fixations: U8, BOOL or a float
// [N,H,W], nonzero = fixated. Warns (cx_warn) for maps under the 7x7 SSIM window and for constant
// maps (counts, first index, A's norm).
// File: m.csv, one row per pair: index,<the selected metrics in the order ssim,cc,kl,sim,emd,
// nss,auc_judd>,map_constant,ref_constant[,iou,hit,mass_share][,sauc,ig_centre]; undefined
// values are written as nan. With fixations (METHODS.md §4): sauc, pair i's shuffled AUC with
// the fixations of the other pairs as negatives (stats_sauc), and ig_centre, the information gain
// of A's normalised map over the min-max centre-bias map (stats_info_gain). With masks (expert annotations, [N,H,W] of any integer, BOOL or float dtype, nonzero =
// inside): A's map i against mask i by stats_localise (METHODS.md §4: Otsu on uint8(255 m), the
// pointing game's peak by stats_map_peak, mass share), NaN for a constant map.
typedef struct study_map_metrics_settings {
    const char *maps, *reference;     // safetensors files A and B (required)
    const char *fixations;            // binary fixation maps (NULL: none; nss, auc_judd, sauc,
                                      // ig_centre need it)
    const char *masks;                // annotation masks (NULL: none; adds iou, hit, mass_share)
    const char *maps_tensor, *reference_tensor, *fixations_tensor; // NULL: each file's first
    const char *masks_tensor;         // NULL: the masks file's first
    unsigned which;                   // STATS_M_* bits (0: all, without nss, auc_judd, sauc,
                                      // ig_centre when no fixations; never ig_mean_gaze)
    int emd_size;                     // max side of the EMD grid, 1-64 (32)
    stats_map_norm norm;              // A's sign mode and scale ({0}: abs, p98)
    int progress;                     // 1: a progress bar on stderr (1)
    const char *out;                  // m.csv (NULL: nothing written)
} study_map_metrics_settings;
void study_map_metrics_settings_default(study_map_metrics_settings *s);
// "ssim,cc" -> STATS_M_* bits; -1 naming the first unknown name (an empty list: '').
int study_map_metrics_parse(const char *list, unsigned *which, cx_error *err);

typedef struct study_map_metrics_result {
    int64_t n;                        // pairs
    int h, w;                         // map size
    unsigned which;                   // the metrics computed (STATS_M_* bits)
    stats_map_metrics *rows;          // [n]; metrics not in `which` are NaN
    int64_t n_map_constant, n_ref_constant; // constant maps in A and in B
    int64_t first_constant;           // first pair with a constant map, or -1
    stats_localisation *loc;          // [n] with masks (NaN for a constant map), else NULL
} study_map_metrics_result;
int study_map_metrics(const study_map_metrics_settings *s, study_map_metrics_result *r,
                      cx_error *err);
void study_map_metrics_result_free(study_map_metrics_result *r);
// m.csv: the writer writes the columns of `which`, atomically; the reader fills *rows (malloc'd,
// free()), *n and *which (the metric columns present; the others are NaN), refusing a missing
// column or a bad cell with file:line and column.
int study_map_metrics_write(const char *path, const stats_map_metrics *rows, int64_t n,
                            unsigned which, cx_error *err);
int study_map_metrics_read(const char *path, stats_map_metrics **rows, int64_t *n,
                           unsigned *which, cx_error *err);
// The same with the localisation columns: written when loc is not NULL; read into *loc
// (malloc'd; NULL when the file has none, as files written before them), all three or none.
int study_map_metrics_write_loc(const char *path, const stats_map_metrics *rows,
                                const stats_localisation *loc, int64_t n, unsigned which,
                                cx_error *err);
int study_map_metrics_read_loc(const char *path, stats_map_metrics **rows,
                               stats_localisation **loc, int64_t *n, unsigned *which,
                               cx_error *err);

// ==== localisation against expert annotations (localize*.c) ====================================
// `cxrgaze localize` as a function (METHODS.md §4, CheXlocalize, Saporta et al. 2022). The pack's
// expert annotations (pack_annotation) are the ground truth. For every map of every attribution
// directory (maps.csv + <method>.safetensors) whose (image, target) has an annotation, the first
// such map per pair: the map through stats_map_normalise(norm), binarised by Otsu's threshold on
// m8 = uint8(255 m) (threshold < 0) or by m > threshold, then IoU with the annotation, hit (the
// pointing game: stats_map_peak, the raw maximum after the sign mode, first in row-major order)
// and the mass share inside it (stats_localise). The annotated pairs are the union over the
// directories (the same pairs when every directory explains the same images and targets). Gaze
// (model "-", method "gaze": the image's gaze map, min-max) is scored on the pairs whose image has
// gaze, and the centre-bias map (stats_center_bias_map, sigma 0.25 S, min-max: compare's
// baseline; model "-", method "centre_bias") on every pair, as the floor. A constant map (or gaze
// map) has no score: it is left out of every mean and CI and counted (n_constant); an empty
// annotation mask is no annotation (counted in n_empty_annotations, warned). Per (model, method,
// label) and pooled (label "all"): mIoU, hit rate and mean mass share with percentile-bootstrap 95%
// CIs over patients (subject_id; stats_bootstrap_mean_ci_clustered, one seed for every row).
// Files in out_dir (localize_files.c, a writer and a reader each): localize.csv, localize_items.csv.
#define STUDY_LOCALIZE_MAX_MODELS 8

typedef struct study_localize_settings {
    const char *data_dir;   // the pack, with annotations (required)
    int n_models;           // 1..STUDY_LOCALIZE_MAX_MODELS attribution directories
    const char *attr_dir[STUDY_LOCALIZE_MAX_MODELS];
    const char *name[STUDY_LOCALIZE_MAX_MODELS]; // display names (NULL: the directory's name)
    const char *out_dir;    // where the files go (created); NULL: nothing written
    double threshold;       // < 0 (default -1): Otsu on m8; else the mask is m > threshold
    stats_map_norm norm;    // {abs, p98}: attribution -> [0,1] (METHODS.md §3)
    int n_bootstrap;        // patient-bootstrap resamples (1000; 0: no CIs)
    uint64_t seed;          // bootstrap seed (0)
} study_localize_settings;
void study_localize_settings_default(study_localize_settings *s);

// localize_items.csv: one row per scored (map, annotation) pair.
typedef struct study_localize_item {
    char model[64];            // "-" for gaze and the centre bias
    int source;                // a method, STUDY_SOURCE_GAZE or STUDY_SOURCE_CENTRE_BIAS
    char image[64];            // dicom_id
    int label;                 // CX_LABELS index (the map's target)
    int constant;              // 1: the map is constant: scores NaN (empty cells), left out
    int otsu_t;                // Otsu's threshold on m8 (-1: a fixed threshold, or constant)
    double iou, hit, mass_share; // stats_localisation (hit 1/0)
    int64_t pack_row;          // the image's pack row (-1 when read back from the file)
} study_localize_item;

// localize.csv: one row per (model, method, label) with a scored pair, labels in CX_LABELS order
// and "all" last; NaN is an empty cell.
typedef struct study_localize_row {
    char model[64];
    int source;
    int label;                 // CX_LABELS index or STUDY_ALL_LABELS
    int64_t n;                 // pairs scored (map not constant)
    int64_t n_constant;        // pairs left out: the map is constant
    double miou, miou_lo, miou_hi;             // mean IoU and its patient-bootstrap 95% CI
    double hit_rate, hit_lo, hit_hi;           // share of hits and its CI
    double mass_share, mass_lo, mass_hi;       // mean mass share and its CI
    double threshold;          // the run's fixed threshold; NaN: Otsu
    stats_map_norm norm;       // the run's map normalisation (gaze and centre bias: min-max)
} study_localize_row;

typedef struct study_localize_result {
    int64_t n_pairs;           // annotated (image, label) pairs with a map in some directory
    int64_t n_gaze_pairs;      // of them, pairs whose image has gaze
    int64_t n_empty_annotations; // mapped pairs whose annotation mask is empty (left out)
    int n_models;
    char model[STUDY_LOCALIZE_MAX_MODELS][64]; // display names, in settings order
    study_localize_item *items;
    int64_t n_items;
    study_localize_row *rows;
    int64_t n_rows;
} study_localize_result;
// Runs the stage. Errors: a pack without annotations, maps of another size than the pack's
// images, no annotated pair in any directory, a file. On error r holds nothing.
int study_localize(const study_localize_settings *s, study_localize_result *r, cx_error *err);
void study_localize_result_free(study_localize_result *r);
// The pooled rows and the pair counts of r via cx_info (out_dir: where the files went).
void study_localize_log(const study_localize_result *r, const char *out_dir);
// The row of (model, source, label), or NULL.
const study_localize_row *study_localize_find(const study_localize_row *rows, int64_t n,
                                              const char *model, int source, int label);

// The files (atomic writers; readers refuse a missing column or a bad cell with file:line and
// column, take columns by name in any order, and ignore extra columns). *rows malloc'd (free()).
// localize.csv: model,method,label,n,miou,miou_lo,miou_hi,hit_rate,hit_lo,hit_hi,mass_share,
//   mass_lo,mass_hi,n_constant,threshold,map_sign,map_scale (values %.6f; threshold empty: Otsu).
// localize_items.csv: model,method,image,label,iou,hit,mass_share,constant,otsu_t.
#define STUDY_LOCALIZE_NCOLS 17
extern const char *const study_localize_columns[STUDY_LOCALIZE_NCOLS];
#define STUDY_LOCALIZE_ITEM_NCOLS 9
extern const char *const study_localize_item_columns[STUDY_LOCALIZE_ITEM_NCOLS];
int study_localize_write(const char *path, const study_localize_row *rows, int64_t n,
                         cx_error *err);
int study_localize_read(const char *path, study_localize_row **rows, int64_t *n, cx_error *err);
int study_localize_items_write(const char *path, const study_localize_item *items, int64_t n,
                               cx_error *err);
int study_localize_items_read(const char *path, study_localize_item **items, int64_t *n,
                              cx_error *err);

// ==== faithfulness: deletion and insertion (faithfulness*.c) ====================================
// (METHODS.md §4, Petsiuk et al. 2018, RISE.) `cxrgaze faithfulness` as a function: for every map
// of an attribution directory (maps.csv + <method>.safetensors; map i explains target c of pack
// image i), the target's probability sigmoid(logit_c) as the image's pixels are replaced, in the
// map's order, by a blurred copy (deletion) or put back into the blurred copy (insertion), in K
// equal steps; AUC by the trapezoid rule over [0,1]. Pixels are ranked by the map after
// stats_map_normalise(norm), descending, ties by pixel index; a map that is constant after it
// ranks nothing and is left out (counted). Every method in the directory is scored, plus "random":
// a seeded random pixel order per map. All perturbed images of many maps go through the engine in
// batches (NN_EVAL plan, the model's own grey-to-input function). Files (faithfulness_files.c):
//   faithfulness.csv        model,method,label,n,deletion_auc,del_lo,del_hi,insertion_auc,ins_lo,
//                           ins_hi: mean AUCs per label and pooled ("all"), patient-bootstrap 95%
//                           CIs (pack subject_id); methods in attr_method order, random last
//   faithfulness_curves.csv model,method,kind,step,fraction,probability: mean curve over the maps
//                           (kind deletion | insertion, fraction = step / K)
//   faithfulness_items.csv  model,method,image,label,deletion_auc,insertion_auc: one row per map
#define STUDY_FAITH_RANDOM ATTR_NMETHODS // the "method" of the random-order baseline
#define STUDY_FAITH_N_SOURCES (ATTR_NMETHODS + 1)
#define STUDY_FAITH_MAX_STEPS 1024
const char *study_faith_method_name(int method); // attr_method_name, or "random"
int study_faith_method_parse(const char *name);  // -1: unknown
typedef enum {
    STUDY_FAITH_DELETION = 0,
    STUDY_FAITH_INSERTION,
    STUDY_FAITH_N_KINDS
} study_faith_kind;
const char *study_faith_kind_name(study_faith_kind k); // "deletion", "insertion"

typedef struct study_faith_settings {
    const char *model;       // model file (required)
    unsigned model_flags;    // MODEL_LOAD_* (0)
    const char *data;        // dataset pack directory (required)
    const char *attr_dir;    // attribute stage's output (required)
    const char *name;        // model column (NULL or "": the attribution directory's name)
    const char *out;         // output directory (created); NULL: nothing written
    int steps;               // K (16), 1..STUDY_FAITH_MAX_STEPS
    nn_precision precision;  // NN_FP32
    int batch;               // perturbed images per forward pass (32)
    int64_t limit;           // the first N maps of maps.csv (0: all)
    stats_map_norm norm;     // the map that ranks pixels ({0}: abs, p98)
    uint64_t seed;           // random orders (map i: stream i) and the bootstrap (0)
    int n_bootstrap;         // 1000 (0: no CI)
    int progress;            // 1: a progress bar on stderr
} study_faith_settings;
void study_faith_settings_default(study_faith_settings *s);

// faithfulness_items.csv: one map of one method.
typedef struct study_faith_item {
    char model[64];
    int method;              // attr_method or STUDY_FAITH_RANDOM
    char image[64];          // dicom_id
    int label;               // the map's target, CX_LABELS index
    double deletion_auc, insertion_auc;
} study_faith_item;

// faithfulness.csv: mean AUCs of one (model, method, label) with patient-bootstrap 95% CIs.
typedef struct study_faith_row {
    char model[64];
    int method;
    int label;               // CX_LABELS index or STUDY_ALL_LABELS
    int64_t n;               // maps
    double deletion_auc, del_lo, del_hi, insertion_auc, ins_lo, ins_hi; // NaN: empty cell
} study_faith_row;

// faithfulness_curves.csv: mean probability at one step.
typedef struct study_faith_curve {
    char model[64];
    int method;
    study_faith_kind kind;
    int step;                // 0..K
    double fraction;         // step / K: share of the pixels replaced (deletion) or put back
    double probability;      // mean sigmoid(logit of the target) over the method's maps
} study_faith_curve;

typedef struct study_faith_result {
    char model[64];
    int steps, S;
    int64_t n_maps;                      // maps scored per method (after --limit)
    int n_methods;                       // the directory's methods, then random
    int method[STUDY_FAITH_N_SOURCES];
    int64_t n_constant[STUDY_FAITH_N_SOURCES]; // maps left out: constant after normalisation
    double *prob;        // [n_methods, n_maps, 2, K+1] probabilities (NaN: a constant map)
    study_faith_item *items;   // method-major, maps in maps.csv order (constant maps left out)
    int64_t n_items;
    study_faith_row *rows;     // per method: labels in CX_LABELS order, then "all"
    int64_t n_rows;
    study_faith_curve *curves; // per method, deletion then insertion, steps ascending
    int64_t n_curves;
    int64_t n_forward;         // perturbed images run through the network
    double seconds;            // wall time of the perturbation and inference
    double forward_seconds;    // of which inside the network's forward passes
} study_faith_result;
// Runs the stage. On error r holds nothing (nothing to free) and err says why.
int study_faithfulness(const study_faith_settings *s, study_faith_result *r, cx_error *err);
void study_faith_result_free(study_faith_result *r);
// The pooled AUCs of r via cx_info (out_dir: where the files went).
void study_faith_log(const study_faith_result *r, const char *out_dir);

// The pieces, for tests and the C API.
// Gaussian blur of img [S,S] with sigma (pixels): separable, rows (axis 0) then columns,
// scipy.ndimage.gaussian_filter's defaults (mode "reflect": d c b a | a b c d | d c b a,
// truncate 4: radius = (int)(4 sigma + 0.5)), in double. work: S*S doubles (NULL: allocated).
void study_faith_blur(const float *img, int S, double sigma, float *out, double *work);
// Pixel order of map [n]: by value descending, ties by index ascending (NaN last).
void study_faith_order(const float *map, int64_t n, int64_t *order);
// Pixels changed at step k of K: round(k * n / K), halves up.
int64_t study_faith_count(int k, int K, int64_t n);
// Trapezoid rule over [0,1] of y[0..K] at x = k / K.
double study_faith_auc(const double *y, int K);

// The files in dir (writers atomic; readers take the columns by name, refuse a missing column or a
// bad cell naming file:line and column, and fill *rows (malloc'd, free()) and *n).
int study_faith_write(const char *dir, const study_faith_row *rows, int64_t n, cx_error *err);
int study_faith_read(const char *dir, study_faith_row **rows, int64_t *n, cx_error *err);
int study_faith_curves_write(const char *dir, const study_faith_curve *c, int64_t n,
                             cx_error *err);
int study_faith_curves_read(const char *dir, study_faith_curve **c, int64_t *n, cx_error *err);
int study_faith_items_write(const char *dir, const study_faith_item *it, int64_t n,
                            cx_error *err);
int study_faith_items_read(const char *dir, study_faith_item **it, int64_t *n, cx_error *err);



// ==== the demo pipeline (demo.c): every stage above on synthetic data ==========================
// `cxrgaze demo` as a function: synth -> prepare -> train DenseNet-121 (gaze_lambda 0) and
// DenseNet-Aug (1) -> evaluate both -> attribute the study's six methods on held-out images with
// gaze -> compare with gaze -> sanity checks, each stage called directly (no argv strings: any
// out path works). Into out: synth/, data/, runs/{densenet,densenet-aug}/, eval/,
// attr/{densenet,densenet-aug}/, compare/, sanity/. Before each stage it logs the equivalent
// command line (cx_info) and after it the time taken. The figures of compare and the report are
// drawn above this module (report/): the caller gets compare's result for them.
typedef struct study_demo_settings {
    const char *out;        // output directory ("demo-out")
    int images;             // synthetic images (1200)
    int gaze_images;        // of which with eye gaze (300)
    int size;               // model input size S (128); synthetic images are 2.5 S
    int epochs, batch;      // per model (6, 16)
    int maps;               // held-out images with gaze explained per model (30)
    int faith_maps;         // maps per model in the faithfulness curves (24: the first of maps.csv)
    int sanity_images;      // images of the sanity checks (4)
    nn_precision precision; // training and saliency (NN_BF16)
    uint64_t seed;          // of every stage (1)
    int threads;            // recorded in run.json (the caller sets cx_set_threads); 0: all cores
} study_demo_settings;
void study_demo_settings_default(study_demo_settings *s);
// The directories the demo writes, for the report (data, eval, compare, localize, faithfulness,
// sanity, runs).
#define STUDY_DEMO_PATH_MAX 4096
#define STUDY_DEMO_MAX_DIRS 8
typedef struct study_demo_result {
    char report_dirs[STUDY_DEMO_MAX_DIRS][STUDY_DEMO_PATH_MAX];
    int n_report_dirs;
    char compare_dir[STUDY_DEMO_PATH_MAX];
    study_compare_result compare; // for report_compare_figures
    double seconds;               // the stages' wall time
} study_demo_result;
int study_demo(const study_demo_settings *s, study_demo_result *r, cx_error *err);
void study_demo_result_free(study_demo_result *r);

#endif
