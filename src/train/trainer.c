// train/trainer: the training run of `cxrgaze train` (METHODS.md §1): Adam on BCE + λ·gaze MSE,
// reduce-on-plateau, best checkpoint by validation loss, exact resume, MPI data parallelism
// (every rank builds the same global batch order; each takes its contiguous shard; one
// all-reduce of the flat gradient per step; BN statistics stay per rank, as DDP without SyncBN).
#include "train/train_internal.h"

#include <inttypes.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void train_opts_default(train_opts *o) {
    memset(o, 0, sizeof *o);
    o->arch = "densenet121";
    o->gaze_lambda = 0.0;
    o->epochs = 30;
    o->batch = 16;
    o->lr = 5e-4;
    o->precision = NN_FP32;
    o->seed = 0;
    o->augment = TRAIN_AUG_FLIP_ROTATE;
    o->patience = 3;
    o->early_stop = 10;
    o->progress = 1;
}

void train_batch_loss(const train_batch *b, const float *logits, const float *gaze_pred,
                      double gaze_lambda, double w_bce, double w_gaze, float *dlogits,
                      float *dgaze, double *bce, double *mse) {
    const int n = b->n, k = b->k, hw = b->fh * b->fw;
    double l = nn_bce_with_logits(logits, b->y, b->mask, n, k, dlogits);
    for (int i = 0; i < n * k; i++) dlogits[i] *= (float)w_bce;
    *bce = l * w_bce;
    *mse = 0;
    if (!dgaze) return;
    if (gaze_pred && gaze_lambda > 0 && w_gaze > 0) {
        double g = nn_gaze_mse(gaze_pred, b->gaze_target, b->has_gaze, n, hw, dgaze);
        for (int i = 0; i < n * hw; i++) dgaze[i] *= (float)(gaze_lambda * w_gaze);
        *mse = g * w_gaze;
    } else {
        memset(dgaze, 0, (size_t)n * hw * sizeof *dgaze);
    }
}

// Training rows: the split's rows, or a seeded subset of max_images of them (ascending).
static int64_t choose_train_rows(const pack *pk, int64_t max_images, uint64_t seed,
                                 int64_t **rows) {
    int64_t n = pack_split_rows(pk, SPLIT_TRAIN, rows);
    if (max_images <= 0 || max_images >= n) return n;
    cx_rng r;
    cx_rng_seed(&r, seed, 0x5b5e7u);
    int64_t *a = *rows;
    for (int64_t i = 0; i < max_images; i++) { // partial Fisher-Yates
        int64_t j = i + (int64_t)cx_rng_below(&r, (uint64_t)(n - i)), t = a[i];
        a[i] = a[j];
        a[j] = t;
    }
    for (int64_t i = 1; i < max_images; i++) // insertion sort keeps it simple and stable
        for (int64_t j = i; j > 0 && a[j - 1] > a[j]; j--) {
            int64_t t = a[j];
            a[j] = a[j - 1];
            a[j - 1] = t;
        }
    return max_images;
}

// The data order of one epoch: a Fisher-Yates shuffle seeded by (seed, epoch).
static void epoch_order(int64_t *perm, const int64_t *rows, int64_t n, uint64_t seed, int epoch) {
    memcpy(perm, rows, (size_t)n * sizeof *perm);
    cx_rng r;
    cx_rng_seed(&r, seed, 1000u + (uint64_t)epoch);
    for (int64_t i = n - 1; i > 0; i--) {
        int64_t j = (int64_t)cx_rng_below(&r, (uint64_t)i + 1), t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
}

// Everything one training run holds.
typedef struct trainer {
    const train_opts *o;
    const pack *pk;
    densenet_config cfg;
    model_meta meta; // ImageNet normalisation, input size, labels: what the saved files record
    densenet *net;
    densenet_plan *plan, *eval_plan;
    nn_adam opt;
    train_state st;
    train_identity id;
    train_run_info info;
    char fingerprint[32];
    int rank, world, batch, shard_lo, shard_n, fh, fw;
    int64_t *train_rows, n_train, *val_rows, n_val, n_batches;
    char path_last[4096], path_best[4096], path_state[4096];
} trainer;

static int save_model(trainer *t, const char *path, cx_error *err) {
    char prov[4096];
    cx_textf(prov, sizeof prov,
             "cxrgaze %s train; command: %s; data %s (fingerprint %s); seed %" PRIu64
             "; gaze_lambda %g; epochs done %d; batch %d; lr %g; augment %s; precision %s",
             CX_VERSION, t->o->command_line ? t->o->command_line : "(library call)",
             t->o->data_dir ? t->o->data_dir : t->pk->dir, t->fingerprint, t->o->seed,
             t->o->gaze_lambda, t->st.epoch, t->batch, t->o->lr,
             train_augment_name(t->o->augment), nn_precision_name(t->o->precision));
    snprintf(t->meta.provenance, sizeof t->meta.provenance, "%s", prov);
    return model_save(t->net, path, &t->meta, err);
}

// Writes last.safetensors + last.optim.safetensors (rank 0) with st as given; collective.
static int checkpoint(trainer *t, const train_state *snap, cx_error *err) {
    int rc = 0;
    if (t->rank == 0) {
        rc = save_model(t, t->path_last, err);
        if (!rc) rc = train_state_save(t->path_state, t->net, &t->opt, snap, &t->id, err);
    }
    if (!dist_all_ok(rc == 0)) return rc ? -1 : cx_fail(err, "checkpoint failed on rank 0");
    return 0;
}

// Validation loss (the training loss, eval mode, no augmentation) and mean AUROC over labels.
static int validate(trainer *t, double *val_loss, double *val_auroc, cx_error *err) {
    const pack *pk = t->pk;
    const int k = CX_N_LABELS, hw = t->fh * t->fw, s = pk->size;
    const int64_t nv = t->n_val, lo = t->rank * nv / t->world, hi = (t->rank + 1) * nv / t->world;
    const int head = t->cfg.gaze_head && t->o->gaze_lambda > 0;
    *val_loss = *val_auroc = NAN;
    if (nv == 0) return 0;
    float *logits = cx_calloc((size_t)nv * k, sizeof *logits);
    float *gz = head ? cx_calloc((size_t)nv * hw, sizeof *gz) : NULL;
    int rc = hi > lo ? predict_rows(t->eval_plan, &t->meta, pk, t->val_rows + lo, hi - lo,
                                    logits + lo * k, gz ? gz + lo * hw : NULL, 0, err)
                     : 0;
    if (!dist_all_ok(rc == 0)) {
        free(logits);
        free(gz);
        return rc ? -1 : cx_fail(err, "validation failed on another rank");
    }
    dist_allreduce_sum_f32(logits, (size_t)nv * k);
    if (gz) dist_allreduce_sum_f32(gz, (size_t)nv * hw);
    float *y = cx_malloc((size_t)nv * k * sizeof *y), *mask = cx_malloc((size_t)nv * k * sizeof *mask);
    float *scratch = cx_malloc((size_t)nv * (k > hw ? k : hw) * sizeof *scratch);
    for (int64_t i = 0; i < nv; i++)
        for (int c = 0; c < k; c++) {
            size_t src = (size_t)t->val_rows[i] * k + c;
            y[i * k + c] = pk->labels[src];
            mask[i * k + c] = pk->label_mask ? (float)(pk->label_mask[src] != 0) : 1.0f;
        }
    double loss = nn_bce_with_logits(logits, y, mask, (int)nv, k, scratch);
    if (gz) {
        float *target = cx_calloc((size_t)nv * hw, sizeof *target);
        uint8_t *has = cx_calloc((size_t)nv, 1);
        for (int64_t i = 0; i < nv; i++) {
            int32_t g = pk->gaze_row ? pk->gaze_row[t->val_rows[i]] : -1;
            if (g < 0) continue;
            has[i] = 1;
            gaze_target_area(pk->gaze + (size_t)g * s * s, s, t->fh, t->fw, target + i * hw);
        }
        loss += t->o->gaze_lambda * nn_gaze_mse(gz, target, has, (int)nv, hw, scratch);
        free(target);
        free(has);
    }
    *val_loss = loss;
    { // mean over labels of the validation AUROC (stats/ is below train/)
        double *score = cx_malloc((size_t)nv * sizeof *score), sum = 0;
        uint8_t *lab = cx_malloc((size_t)nv);
        int used = 0;
        for (int c = 0; c < k; c++) {
            size_t m = 0;
            for (int64_t i = 0; i < nv; i++) {
                if (mask[i * k + c] == 0) continue;
                score[m] = logits[i * k + c]; // monotone in the probability: same AUROC
                lab[m++] = y[i * k + c] > 0.5f;
            }
            stats_status st;
            double a = stats_auroc(score, lab, m, &st);
            if (isfinite(a)) {
                sum += a;
                used++;
            }
        }
        *val_auroc = used ? sum / used : NAN;
        free(score);
        free(lab);
    }
    free(logits);
    free(gz);
    free(y);
    free(mask);
    free(scratch);
    return 0;
}

static void trainer_free(trainer *t) {
    densenet_plan_free(t->plan);
    densenet_plan_free(t->eval_plan);
    densenet_free(t->net);
    if (t->opt.m) nn_adam_free(&t->opt);
    free(t->train_rows);
    free(t->val_rows);
}

// The training and validation rows, the global batch (at most the training images) and this
// rank's shard [shard_lo, shard_lo + shard_n) of it.
static int setup_rows(trainer *t, cx_error *err) {
    const train_opts *o = t->o;
    const pack *pk = t->pk;
    t->n_train = choose_train_rows(pk, o->max_images, o->seed, &t->train_rows);
    t->n_val = pack_split_rows(pk, SPLIT_VALIDATE, &t->val_rows);
    if (t->n_train == 0) return cx_fail(err, "%s: no training images (split 'train' is empty)", pk->dir);
    t->batch = o->batch;
    if (t->batch > t->n_train) {
        if (t->rank == 0)
            cx_warn("--batch %d is larger than the %" PRId64 " training images: using %" PRId64,
                    o->batch, t->n_train, t->n_train);
        t->batch = (int)t->n_train;
    }
    if (t->batch < t->world)
        return cx_fail(err, "global batch %d is smaller than the %d MPI ranks", t->batch, t->world);
    if (t->n_val == 0 && t->rank == 0)
        cx_warn("%s: no validation images: the scheduler and best.safetensors follow the "
                "training loss", pk->dir);
    t->n_batches = t->n_train / t->batch; // the last partial batch is dropped (order changes per epoch)
    t->shard_lo = t->rank * t->batch / t->world;
    t->shard_n = (t->rank + 1) * t->batch / t->world - t->shard_lo;
    return 0;
}

// The network (seeded, or from --init), its training and evaluation plans, the optimiser.
static int setup_network(trainer *t, cx_error *err) {
    const train_opts *o = t->o;
    const pack *pk = t->pk;
    t->net = densenet_create(&t->cfg);
    if (!t->net) return cx_fail(err, "cannot create %s", t->cfg.arch);
    densenet_init(t->net, o->seed);
    if (o->init_path && !o->resume && train_init_weights(t->net, o->init_path, err))
        return -1;
    const int eb = o->eval_batch > 0 ? o->eval_batch : o->batch;
    t->plan = densenet_plan_create(t->net, t->shard_n, pk->size, pk->size, o->precision, NN_TRAIN, err);
    if (!t->plan) return -1;
    t->eval_plan = densenet_plan_create(t->net, eb, pk->size, pk->size, o->precision, NN_EVAL, err);
    if (!t->eval_plan) return -1;
    densenet_plan_feature_hw(t->plan, &t->fh, &t->fw);
    size_t np;
    densenet_params(t->net, &np);
    nn_adam_init(&t->opt, np, (float)o->lr);
    t->opt.beta1 = 0.9f;
    t->opt.beta2 = 0.999f;
    t->opt.eps = 1e-8f;
    return 0;
}

static int trainer_setup(trainer *t, const train_opts *o, const pack *pk, cx_error *err) {
    memset(t, 0, sizeof *t);
    t->o = o;
    t->pk = pk;
    model_meta_init(&t->meta, pk->size);
    if (model_meta_set_labels(&t->meta, CX_N_LABELS, CX_LABELS, err)) return -1;
    t->rank = dist_rank();
    t->world = dist_size();
    if (o->config) {
        t->cfg = *o->config;
    } else if (densenet_config_for(o->arch, CX_N_LABELS, o->gaze_lambda > 0, &t->cfg, err)) {
        return -1;
    }
    t->cfg.num_classes = CX_N_LABELS;
    t->cfg.gaze_head = o->gaze_lambda > 0;
    if (o->epochs < 1 || o->batch < 1 || !(o->lr > 0) || o->gaze_lambda < 0)
        return cx_fail(err, "bad options: epochs %d, batch %d, lr %g, gaze lambda %g (expected "
                            "epochs >= 1, batch >= 1, lr > 0, lambda >= 0)",
                       o->epochs, o->batch, o->lr, o->gaze_lambda);
    if (t->cfg.gaze_head && pk->n_gaze == 0)
        cx_warn("--gaze-lambda %g but the pack %s has no gaze maps: the gaze term stays 0",
                o->gaze_lambda, pk->dir);
    if (setup_rows(t, err) || setup_network(t, err)) return -1;
    plateau_init(&t->st.sched, o->lr, o->patience, o->early_stop, 0.5);
    train_data_fingerprint(pk, t->fingerprint);
    train_identity_make(o, &t->cfg, t->fingerprint, &t->id);
    cx_path_join(t->path_last, sizeof t->path_last, o->out_dir, "last.safetensors");
    cx_path_join(t->path_best, sizeof t->path_best, o->out_dir, "best.safetensors");
    cx_path_join(t->path_state, sizeof t->path_state, o->out_dir, "last.optim.safetensors");
    if (o->resume) {
        if (!cx_path_exists(t->path_state))
            return cx_fail(err, "--resume: %s does not exist (nothing to resume)", t->path_state);
        if (train_state_load(t->path_state, t->net, &t->opt, &t->st, &t->id, o->deterministic, err))
            return -1;
    } else if (cx_path_exists(t->path_state)) {
        return cx_fail(err, "%s already holds a training run (%s): pass --resume to continue it "
                            "or choose another --out", o->out_dir, t->path_state);
    }
    if (t->rank == 0 && cx_mkdir_p(o->out_dir, err)) return -1;
    // Every rank starts from rank 0's weights and BN statistics.
    size_t np, nb;
    float *params = densenet_params(t->net, &np), *buffers = densenet_buffers(t->net, &nb);
    dist_bcast_bytes(params, np * sizeof *params, 0);
    dist_bcast_bytes(buffers, nb * sizeof *buffers, 0);
    t->info.cfg = &t->cfg;
    t->info.fingerprint = t->fingerprint;
    t->info.n_train = t->n_train;
    t->info.n_val = t->n_val;
    t->info.batches_per_epoch = t->n_batches;
    t->info.ranks = t->world;
    t->info.threads = o->threads > 0 ? o->threads : omp_get_max_threads();
    t->info.started_unix = (double)time(NULL);
    return 0;
}

// One epoch's batches from t->st.batch on. Returns 1 when stopped by stop_after_batches.
// Images with gaze among the global batch rows grow [B] (g_all) and among this rank's shard (g_mine).
static void count_gaze(const trainer *t, const int64_t *grow, int64_t *g_all, int64_t *g_mine) {
    const pack *pk = t->pk;
    *g_all = *g_mine = 0;
    for (int i = 0; i < t->batch; i++) {
        int has = pk->gaze_row && pk->gaze_row[grow[i]] >= 0;
        *g_all += has;
        if (i >= t->shard_lo && i < t->shard_lo + t->shard_n) *g_mine += has;
    }
}

// A checkpoint inside the epoch: the loss sums of all ranks, the epoch's time so far.
static int checkpoint_mid_epoch(trainer *t, double t_epoch0, cx_error *err) {
    train_state snap = t->st;
    double sums[2] = {t->st.sum_bce, t->st.sum_gaze};
    dist_allreduce_sum_f64(sums, 2);
    snap.sum_bce = sums[0];
    snap.sum_gaze = sums[1];
    snap.epoch_seconds += cx_now_s() - t_epoch0;
    return checkpoint(t, &snap, err);
}

static int run_batches(trainer *t, int64_t *perm, double t_epoch0, int64_t *calls_batches,
                       int64_t *images, double *busy_s, cx_error *err) {
    const train_opts *o = t->o;
    const pack *pk = t->pk;
    const int k = CX_N_LABELS, hw = t->fh * t->fw, B = t->batch;
    train_batch b;
    train_batch_alloc(&b, t->shard_n, pk->size, k, t->fh, t->fw);
    float *logits = cx_malloc((size_t)t->shard_n * k * sizeof *logits);
    float *dlogits = cx_malloc((size_t)t->shard_n * k * sizeof *dlogits);
    float *gz = t->cfg.gaze_head ? cx_malloc((size_t)t->shard_n * hw * sizeof *gz) : NULL;
    float *dgz = t->cfg.gaze_head ? cx_malloc((size_t)t->shard_n * hw * sizeof *dgz) : NULL;
    size_t np;
    float *params = densenet_params(t->net, &np), *grads = densenet_grads(t->net, &np);
    cx_progress pr;
    char label[48], extra[96];
    snprintf(label, sizeof label, "epoch %d/%d", t->st.epoch + 1, o->epochs);
    if (o->progress && t->rank == 0) {
        cx_progress_start(&pr, label, "img", t->n_batches * B);
        cx_progress_update(&pr, t->st.batch * B, NULL);
    }
    int rc = 0;
    double run_loss = NAN;
    while (t->st.batch < t->n_batches) {
        double t0 = cx_now_s();
        const int64_t *grow = perm + t->st.batch * B;
        int64_t g_all, g_mine; // images with gaze in the global batch and in my shard
        count_gaze(t, grow, &g_all, &g_mine);
        train_batch_fill(&b, &t->meta, pk, grow + t->shard_lo, t->shard_n, o->augment, o->seed, t->st.epoch);
        if (densenet_forward(t->plan, b.x, logits, gz, err)) {
            rc = -1;
            break;
        }
        double bce, mse;
        train_batch_loss(&b, logits, gz, o->gaze_lambda, (double)t->shard_n / B,
                         g_all ? (double)g_mine / g_all : 0.0, dlogits, dgz, &bce, &mse);
        if (densenet_backward(t->plan, dlogits, dgz, NULL, NN_GRAD_WEIGHTS, err)) {
            rc = -1;
            break;
        }
        dist_allreduce_sum_f32(grads, np); // one call: the exact global-batch gradient
        t->opt.lr = (float)t->st.sched.lr;
        nn_adam_step(&t->opt, params, grads);
        t->st.sum_bce += bce;
        t->st.sum_gaze += mse;
        t->st.batch++;
        (*calls_batches)++;
        *images += B;
        *busy_s += cx_now_s() - t0;
        double local = (bce + o->gaze_lambda * mse) * B / t->shard_n; // rank 0's shard
        run_loss = isnan(run_loss) ? local : 0.9 * run_loss + 0.1 * local;
        if (o->progress && t->rank == 0) {
            snprintf(extra, sizeof extra, "loss %.4f lr %.2g", run_loss, t->st.sched.lr);
            cx_progress_update(&pr, t->st.batch * B, extra);
        }
        int stop_now = o->stop_after_batches > 0 && *calls_batches >= o->stop_after_batches;
        int periodic = o->checkpoint_every > 0 && t->st.batch % o->checkpoint_every == 0;
        if ((periodic || stop_now) && t->st.batch < t->n_batches &&
            checkpoint_mid_epoch(t, t_epoch0, err)) {
            rc = -1;
            break;
        }
        if (stop_now && t->st.batch < t->n_batches) {
            rc = 1;
            break;
        }
    }
    if (o->progress && t->rank == 0) cx_progress_finish(&pr);
    train_batch_free(&b);
    free(logits);
    free(dlogits);
    free(gz);
    free(dgz);
    return rc;
}

// The end of an epoch: the loss sums of all ranks, validation, the plateau schedule, the log row,
// the best model (rank 0) and the epoch's checkpoint.
static int end_epoch(trainer *t, double t_epoch0, train_result *res, cx_error *err) {
    const train_opts *o = t->o;
    double sums[2] = {t->st.sum_bce, t->st.sum_gaze};
    dist_allreduce_sum_f64(sums, 2);
    train_log_row row = {.epoch = t->st.epoch + 1, .lr = t->st.sched.lr};
    row.train_bce = sums[0] / (double)t->n_batches;
    row.train_gaze = t->cfg.gaze_head ? sums[1] / (double)t->n_batches : NAN;
    row.train_loss = row.train_bce + (t->cfg.gaze_head ? o->gaze_lambda * row.train_gaze : 0);
    size_t np;
    const float *params = densenet_params(t->net, &np);
    int rc = dist_check_same(params, np * sizeof *params, "parameters", err);
    if (!rc) rc = validate(t, &row.val_loss, &row.val_mean_auroc, err);
    if (rc) return rc;
    double monitored = t->n_val ? row.val_loss : row.train_loss;
    int improved = plateau_step(&t->st.sched, monitored, t->st.epoch + 1);
    row.seconds = t->st.epoch_seconds + (cx_now_s() - t_epoch0);
    t->st.epoch++;
    t->st.batch = 0;
    t->st.sum_bce = t->st.sum_gaze = 0;
    t->st.epoch_seconds = 0;
    t->st.finished = t->st.sched.stop;
    res->last_val_loss = row.val_loss;
    res->last_val_auroc = row.val_mean_auroc;
    int wrc = 0;
    if (t->rank == 0) {
        wrc = train_log_append(o->out_dir, &row, err);
        if (!wrc && improved) wrc = save_model(t, t->path_best, err);
        char gz[48] = "";
        if (t->cfg.gaze_head) snprintf(gz, sizeof gz, ", gaze mse %.4f", row.train_gaze);
        cx_info("epoch %d/%d: train loss %.4f (bce %.4f%s), val loss %.4f, mean AUROC %.4f, "
                "lr %.3g, %.1f s%s", row.epoch, o->epochs, row.train_loss, row.train_bce, gz,
                row.val_loss, row.val_mean_auroc, row.lr, row.seconds,
                improved ? " (best)" : "");
    }
    if (!dist_all_ok(wrc == 0))
        return wrc ? -1 : cx_fail(err, "writing the epoch's files failed on rank 0");
    return checkpoint(t, &t->st, err);
}

int train_run(const train_opts *o, const pack *pk, train_result *res, cx_error *err) {
    const double t_call = cx_now_s();
    memset(res, 0, sizeof *res);
    res->best_val_loss = res->last_val_loss = res->last_val_auroc = NAN;
    if (o->deterministic) omp_set_dynamic(0);
    // a timing-driven switch of the bf16 weight-gradient path would break bit-identical resumes
    nn_set_wgrad_policy(o->deterministic ? NN_WGRAD_BF16 : NN_WGRAD_AUTO);
    trainer t;
    int rc = trainer_setup(&t, o, pk, err);
    if (!dist_all_ok(rc == 0)) {
        trainer_free(&t);
        return rc ? -1 : cx_fail(err, "training setup failed on another rank");
    }
    if (t.rank == 0 && o->resume && train_log_truncate(o->out_dir, t.st.epoch, err)) {
        trainer_free(&t);
        return -1;
    }
    int64_t *perm = cx_malloc((size_t)t.n_train * sizeof *perm), calls_batches = 0, images = 0;
    double busy_s = 0;
    while (!t.st.finished && t.st.epoch < o->epochs) {
        const double t_epoch0 = cx_now_s();
        epoch_order(perm, t.train_rows, t.n_train, o->seed, t.st.epoch);
        rc = run_batches(&t, perm, t_epoch0, &calls_batches, &images, &busy_s, err);
        if (rc == 1) {
            res->interrupted = 1;
            rc = 0;
            break;
        }
        if (rc) break;
        if ((rc = end_epoch(&t, t_epoch0, res, err))) break;
        if (t.st.sched.stop && t.rank == 0)
            cx_info("early stop: no validation-loss improvement for %d epochs", o->early_stop);
        if (t.rank == 0) {
            res->seconds = cx_now_s() - t_call;
            res->epochs_done = t.st.epoch;
            res->best_epoch = t.st.sched.best_epoch > 0 ? t.st.sched.best_epoch : 0;
            res->best_val_loss = t.st.sched.best;
            res->train_img_per_s = busy_s > 0 ? images / busy_s : NAN;
            cx_error e2;
            if (train_write_run_json(o, pk, &t.info, res, "running", &e2))
                cx_warn("run.json: %s", e2.msg);
        }
    }
    res->epochs_done = t.st.epoch;
    res->best_epoch = t.st.sched.best_epoch > 0 ? t.st.sched.best_epoch : 0;
    res->best_val_loss = isfinite(t.st.sched.best) ? t.st.sched.best : NAN;
    res->stopped_early = t.st.sched.stop;
    res->train_img_per_s = busy_s > 0 ? images / busy_s : NAN;
    res->seconds = cx_now_s() - t_call;
    if (rc == 0 && t.rank == 0) {
        const char *status = res->interrupted ? "interrupted" : res->stopped_early ? "early stop"
                                                                                   : "finished";
        rc = train_write_run_json(o, pk, &t.info, res, status, err);
    }
    free(perm);
    trainer_free(&t);
    return rc;
}

int train_run_data(const train_opts *opts, train_result *res, cx_error *err) {
    train_opts run = *opts;
    const train_opts *o = &run;
    const int world = dist_size();
    if (!run.threads) run.threads = omp_get_num_procs() / world > 0 ? omp_get_num_procs() / world : 1;
    cx_set_threads(run.threads);
    if (dist_rank() != 0) run.progress = 0;
    pack pk;
    if (pack_open(&pk, o->data_dir, err)) return -1;
    if (dist_rank() == 0)
        cx_info("training %s%s on %s (%d px), %d rank%s x %d threads, %s", o->arch,
                o->gaze_lambda > 0 ? " + gaze head (DenseNet-Aug)" : "", o->data_dir, pk.size,
                world, world > 1 ? "s" : "", o->threads, nn_precision_name(o->precision));
    int rc = train_run(o, &pk, res, err);
    pack_close(&pk);
    if (rc == 0 && dist_rank() == 0)
        cx_info("done: %d epochs, best epoch %d (val loss %.4f), %.1f train img/s, %.1f s -> %s",
                res->epochs_done, res->best_epoch, res->best_val_loss, res->train_img_per_s,
                res->seconds, o->out_dir);
    return rc;
}
