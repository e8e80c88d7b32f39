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

// ==== compare with gaze (compare*.c): image-level metrics, regions, planted findings ============

// ==== sanity checks (sanity.c): Adebayo et al. cascading / independent randomisation ===========

// ==== the demo pipeline (demo.c): every stage above on synthetic data ==========================

#endif
