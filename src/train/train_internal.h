// train/ internals shared by trainer.c, checkpoint.c and runlog.c (not part of the public face,
// which is train.h).
#ifndef CX_TRAIN_INTERNAL_H
#define CX_TRAIN_INTERNAL_H

#include "train/train.h"

#define TRAIN_STATE_FORMAT "cxrgaze-train-state-1"

// Where a run stands: everything beyond the weights and Adam moments needed to continue it
// exactly (the data order and augmentation are functions of (seed, epoch, row): no RNG state).
typedef struct train_state {
    int epoch;            // 0-based epoch in progress (or the next to start)
    int64_t batch;        // next batch index within that epoch
    double sum_bce;       // global BCE summed over the epoch's completed batches
    double sum_gaze;      // global gaze MSE summed likewise (0 for batches without gaze)
    double epoch_seconds; // time already spent in this epoch by earlier processes
    plateau_sched sched;
    int finished;         // 1: the run ended (epochs done or early stop)
} train_state;

// Everything a resume must agree on, as metadata strings (seed, batch, arch, lambda, ...).
typedef struct train_identity {
    char key[12][32];
    char val[12][96];
    int n;
} train_identity;
void train_identity_make(const train_opts *o, const densenet_config *cfg, const char *fingerprint,
                         train_identity *id);

// RUN/last.optim.safetensors: params, BN buffers and counters, Adam m/v/step, train_state.
// Written atomically; self-contained (a resume reads only this file).
int train_state_save(const char *path, densenet *net, const nn_adam *opt, const train_state *st,
                     const train_identity *id, cx_error *err);
// Loads into net/opt/st after checking the identity (each mismatch is named in err).
int train_state_load(const char *path, densenet *net, nn_adam *opt, train_state *st,
                     const train_identity *id, int strict_threads, cx_error *err);

// Data fingerprint: FNV-1a 64 over the pack header (JSON incl. metadata), file size and N, S.
void train_data_fingerprint(const pack *pk, char out[32]);

// RUN/log.csv rows (rank 0; train_log_row and the reader: train.h). Keeps rows with epoch <=
// keep_epochs from an existing file.
int train_log_append(const char *run_dir, const train_log_row *row, cx_error *err);
int train_log_truncate(const char *run_dir, int keep_epochs, cx_error *err);

// RUN/run.json (rank 0): command line, version, seed, options, data fingerprint, timings,
// final metrics. Rewritten atomically at the end of every epoch and of the run.
typedef struct train_run_info {
    const densenet_config *cfg;
    const char *fingerprint;
    int64_t n_train, n_val, batches_per_epoch;
    int ranks, threads;
    double started_unix;          // wall clock at the start of this process
} train_run_info;
int train_write_run_json(const train_opts *o, const pack *pk, const train_run_info *info,
                         const train_result *res, const char *status, cx_error *err);


#endif
