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


// ==== the demo pipeline (demo.c): every stage above on synthetic data ==========================

#endif
