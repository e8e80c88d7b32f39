// train: training loop, evaluation/prediction, checkpoints, MPI all-reduce.
// Depends on model, data, nn, io, util.
#ifndef CX_TRAIN_H
#define CX_TRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "io/io.h"
#include "data/data.h"
#include "model/model.h"
#include "nn/nn.h"
#include "stats/stats.h"
#include "util/util.h"

// ==== training (trainer.c, batch.c, augment.c, schedule.c, checkpoint.c, runlog.c, weights.c,
//      dist_mpi.c; internals shared between them: train_internal.h) ==================================
// `cxrgaze train`: DenseNet-121 (gaze_lambda 0) or DenseNet-Aug (gaze_lambda > 0), METHODS.md §1.

// -- augmentation (augment.c) --
// Random horizontal flip (p 0.5) and rotation (uniform in +-15 degrees, bilinear, black fill),
// applied alike to the image, its gaze map and its region masks.
typedef enum { TRAIN_AUG_NONE = 0, TRAIN_AUG_FLIP = 1, TRAIN_AUG_FLIP_ROTATE = 2 } train_augment;
#define TRAIN_MAX_ROTATE_DEG 15.0
int train_augment_parse(const char *s, train_augment *out); // "none" | "flip" | "flip+rotate"
const char *train_augment_name(train_augment a);
typedef struct aug_params {
    int flip;        // 1: horizontal flip x -> S-1-x (before the rotation)
    float angle_deg; // rotation about the image centre, counter-clockwise on screen
} aug_params;
// Drawn from (seed, epoch, image row) alone: identical on every rank, thread count and resume.
aug_params aug_draw(train_augment mode, uint64_t seed, int epoch, int64_t image);
// dst [S,S] = src [S,S] warped (bilinear; outside the source reads `fill`). src != dst.
void aug_warp_f32(const aug_params *a, const float *src, float *dst, int s, float fill);
// Binary masks: nearest neighbour, 0 outside. src != dst.
void aug_warp_u8(const aug_params *a, const uint8_t *src, uint8_t *dst, int s);
// Region masks [4,S,S] in CX_REGIONS order, warped; a flip also swaps the right and left lung
// masks (left/right are the patient's: after a flip the right lung is where the left was).
void aug_warp_regions(const aug_params *a, const uint8_t *src, uint8_t *dst, int s);

// -- batches (batch.c) --
// DenseNet-Aug target E: gaze [S,S] area-downsampled (box filter, fractional coverage) to
// [fh,fw] and scaled so its maximum is 1 (an all-zero map stays zero).
void gaze_target_area(const float *gaze, int s, int fh, int fw, float *target);
typedef struct train_batch {
    int cap, n, s, k, fh, fw;
    float *x;           // [cap,3,S,S] normalised input
    float *y, *mask;    // [cap,K] labels 0/1 and mask 1 = counts
    uint8_t *has_gaze;  // [cap]
    float *gaze_target; // [cap,fh*fw] (zero without gaze)
    float *scratch;     // [cap,2,S,S]
} train_batch;
void train_batch_alloc(train_batch *b, int cap, int s, int k, int fh, int fw);
void train_batch_free(train_batch *b);
// Fills b with pack rows (augmented per aug_draw(mode, seed, epoch, row); TRAIN_AUG_NONE for
// evaluation), inputs normalised by model_input_f32 with meta's mean/std. OpenMP over samples.
void train_batch_fill(train_batch *b, const model_meta *meta, const pack *pk, const int64_t *rows,
                      int n, train_augment mode, uint64_t seed, int epoch);

// -- learning-rate schedule (schedule.c) --
typedef struct plateau_sched {
    double lr, factor;        // current learning rate; multiplier on a plateau (0.5)
    int patience, early_stop; // 3, 10 epochs
    double best;              // best validation loss so far (INFINITY before the first)
    int best_epoch;           // -1 before the first
    int bad;                  // epochs without improvement since the last improvement or halving
    int since_best;           // epochs since the best one
    int stop;                 // 1: early stop reached
} plateau_sched;
void plateau_init(plateau_sched *s, double lr, int patience, int early_stop, double factor);
// One epoch's validation loss; returns 1 when it improved on the best (save best.safetensors).
int plateau_step(plateau_sched *s, double val_loss, int epoch);

// -- data parallelism (dist_mpi.c; the only file calling MPI, no-ops without CX_HAVE_MPI) --
// Initialises MPI when launched by mpirun (else one rank). Call once, before training.
int dist_init(int *argc, char ***argv, cx_error *err);
void dist_finalize(void);
int dist_rank(void);
int dist_size(void);
void dist_abort(int code);                            // MPI_Abort when several ranks
void dist_bcast_bytes(void *buf, size_t n, int root);
void dist_allreduce_sum_f32(float *buf, size_t n);   // in place
void dist_allreduce_sum_f64(double *buf, size_t n);  // in place
int dist_all_ok(int ok);                              // logical AND over ranks
// 0 when buf holds the same bytes on every rank (hash compared with rank 0's), else -1 naming
// `what` (the trainer checks the parameters after every epoch: the ranks must never diverge).
int dist_check_same(const void *buf, size_t n, const char *what, cx_error *err);

// -- the training run (trainer.c) --
typedef struct train_opts {
    const char *data_dir, *out_dir;
    const char *arch;         // "densenet121" (169, 201)
    const densenet_config *config; // non-NULL: this configuration instead of arch (tests)
    double gaze_lambda;       // 0: DenseNet-121; > 0: DenseNet-Aug with a gaze head
    const char *init_path;    // torchvision-named weights or NULL (torchvision init from seed)
    int epochs, batch;        // epochs; global batch size (split over MPI ranks)
    int eval_batch;           // validation batch (0: batch)
    double lr;                // 5e-4
    nn_precision precision;
    uint64_t seed;
    int threads;              // recorded (cx_set_threads is the caller's)
    train_augment augment;
    int resume;               // continue from out_dir/last.optim.safetensors
    int deterministic;        // fixed threads, data order; bit-identical after a resume
    int patience, early_stop; // 3, 10
    int64_t max_images;       // 0: every training image; else a seeded subset of this many
    int checkpoint_every;     // also checkpoint every K batches (0: at epoch ends only)
    int64_t stop_after_batches; // > 0: return after this many batches of this call, right after
                                // a checkpoint (simulates an interruption, for tests)
    int progress;             // 1: progress bar on stderr (rank 0)
    const char *command_line; // for run.json
} train_opts;
void train_opts_default(train_opts *o);

typedef struct train_result {
    int epochs_done;          // completed epochs (in total, including before a resume)
    int best_epoch;           // 1-based, 0 = none
    double best_val_loss, last_val_loss, last_val_auroc;
    double train_img_per_s;   // training images per second of this call (all ranks)
    double seconds;           // wall time of this call
    int stopped_early, interrupted;
} train_result;

// `--init`: copies every tensor of the torchvision-named file at path into net by name; the
// classifier (when its shape differs, e.g. 1000 ImageNet classes) and the gaze head (when the
// file has none) keep net's fresh initialisation; any other missing or misshapen tensor is an
// error. Unknown tensors in the file are ignored.
int train_init_weights(densenet *net, const char *path, cx_error *err);

// RUN/log.csv, one row per epoch, written during training (runlog.c):
//   epoch,train_loss,train_bce,train_gaze,val_loss,val_mean_auroc,lr,seconds   (NaN: empty)
typedef struct train_log_row {
    int epoch;
    double train_loss, train_bce, train_gaze, val_loss, val_mean_auroc, lr, seconds;
} train_log_row;
// Reads run_dir/log.csv: *rows (caller frees) in file order, *n of them. Errors name file:line and
// the column.
int train_log_read(const char *run_dir, train_log_row **rows, int *n, cx_error *err);

// The whole of `cxrgaze train` on an open pack: writes out_dir/{log.csv, last.safetensors,
// last.optim.safetensors, best.safetensors, run.json} (rank 0). 0 ok, -1 with err.
int train_run(const train_opts *o, const pack *pk, train_result *res, cx_error *err);
// The same on the pack at o->data_dir, opened and closed here, as `cxrgaze train` runs it: threads
// 0 means all cores / ranks (applied with cx_set_threads), progress on rank 0 only, and rank 0
// logs what is trained on what (arch, pack, ranks x threads, precision) and, at the end, the result.
int train_run_data(const train_opts *o, train_result *res, cx_error *err);

// The loss of one batch (METHODS.md §1), its gradient with respect to the network outputs
// and the share of this batch in a larger one: dlogits = d/dlogits of
//   w_bce * BCE(logits, y) + gaze_lambda * w_gaze * MSE(gaze_pred, target)
// where BCE/MSE are the batch means (MSE over samples with gaze). w_bce = n / n_global,
// w_gaze = n_gaze / n_gaze_global give the exact global-batch gradient once summed over ranks.
// Returns the weighted BCE and MSE in *bce, *mse (not multiplied by lambda).
void train_batch_loss(const train_batch *b, const float *logits, const float *gaze_pred,
                      double gaze_lambda, double w_bce, double w_gaze, float *dlogits,
                      float *dgaze, double *bce, double *mse);

// ==== evaluation (predict.c) ====================================================================
// Logits [n,K] (and the gaze head output [n,fh*fw] when gaze != NULL; the model must have a
// head) of pack rows in eval mode, through an NN_EVAL plan (batches of its size, the last one
// padded). Inputs with meta's normalisation (model_input_f32). No augmentation. Deterministic.
int predict_rows(densenet_plan *plan, const model_meta *meta, const pack *pk, const int64_t *rows,
                 int64_t n, float *logits, float *gaze, int progress, cx_error *err);

#endif
