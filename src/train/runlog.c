// train/runlog: RUN/log.csv (one row per epoch) and RUN/run.json (provenance, timings, final
// metrics), both written atomically by rank 0.
#include "train/train_internal.h"

#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

// log.csv's columns, in file order: the reader's names; LOG_HEADER is the writer's line of them
// (tests/train/test_trainer.c round-trips a log through both).
enum { LOG_EPOCH, LOG_TRAIN_LOSS, LOG_TRAIN_BCE, LOG_TRAIN_GAZE, LOG_VAL_LOSS, LOG_VAL_AUROC,
       LOG_LR, LOG_SECONDS, LOG_NCOLS };
static const char *const LOG_COLUMNS[] = {"epoch",    "train_loss",     "train_bce", "train_gaze",
                                          "val_loss", "val_mean_auroc", "lr",        "seconds"};
_Static_assert(sizeof LOG_COLUMNS / sizeof LOG_COLUMNS[0] == LOG_NCOLS, "one name per column");
#define LOG_HEADER "epoch,train_loss,train_bce,train_gaze,val_loss,val_mean_auroc,lr,seconds\n"

// Existing log text with rows of epoch <= keep (header added when absent). Caller frees.
static char *log_read_kept(const char *path, int keep) {
    char *txt = NULL, *out;
    size_t n = 0;
    if (!cx_path_exists(path) || cx_read_file(path, &txt, &n, NULL)) {
        free(txt);
        return cx_strdup(LOG_HEADER);
    }
    out = cx_malloc(n + sizeof LOG_HEADER + 1);
    strcpy(out, LOG_HEADER);
    size_t o = strlen(out);
    char *line = txt;
    while (line && *line) {
        char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) + 1 : strlen(line);
        char *end;
        long ep = strtol(line, &end, 10);
        if (end != line && *end == ',' && ep >= 1 && ep <= keep) {
            memcpy(out + o, line, len);
            o += len;
            if (!nl) out[o++] = '\n';
        }
        line = nl ? nl + 1 : NULL;
    }
    out[o] = 0;
    free(txt);
    return out;
}

int train_log_read(const char *run_dir, train_log_row **rows, int *n, cx_error *err) {
    char path[4200];
    cx_path_join(path, sizeof path, run_dir, "log.csv");
    *rows = NULL;
    *n = 0;
    csv_table *t = csv_table_read(path, err);
    if (!t) return -1;
    int idx[LOG_NCOLS];
    if (csv_require_cols(t, LOG_COLUMNS, LOG_NCOLS, idx, err)) return csv_table_free(t), -1;
    int64_t nr = csv_nrows(t);
    train_log_row *out = cx_calloc(nr ? (size_t)nr : 1, sizeof *out);
    for (int64_t r = 0; r < nr; r++) {
        double v[LOG_NCOLS];
        for (int c = 0; c < LOG_NCOLS; c++) {
            int rc = csv_parse_double_or_nan(csv_get(t, r, idx[c]), &v[c]);
            if (rc == CSV_NUM_BAD || (c == LOG_EPOCH && rc != CSV_NUM_OK)) {
                cx_fail(err, "%s:%lld: column \"%s\": expected a number, got \"%s\"", path,
                        (long long)csv_row_line(t, r), LOG_COLUMNS[c], csv_get(t, r, idx[c]));
                free(out);
                return csv_table_free(t), -1;
            }
        }
        out[r] = (train_log_row){(int)v[LOG_EPOCH], v[LOG_TRAIN_LOSS], v[LOG_TRAIN_BCE],
                                 v[LOG_TRAIN_GAZE], v[LOG_VAL_LOSS], v[LOG_VAL_AUROC], v[LOG_LR],
                                 v[LOG_SECONDS]};
    }
    csv_table_free(t);
    *rows = out;
    *n = (int)nr;
    return 0;
}

int train_log_truncate(const char *run_dir, int keep_epochs, cx_error *err) {
    char path[4096];
    cx_path_join(path, sizeof path, run_dir, "log.csv");
    char *txt = log_read_kept(path, keep_epochs);
    int rc = cx_write_file_atomic(path, txt, strlen(txt), err);
    free(txt);
    return rc;
}

static void fmt_num(char *out, size_t cap, double v) {
    if (isnan(v)) snprintf(out, cap, "%s", "");
    else snprintf(out, cap, "%.6g", v);
}

int train_log_append(const char *run_dir, const train_log_row *r, cx_error *err) {
    char path[4096];
    cx_path_join(path, sizeof path, run_dir, "log.csv");
    char *txt = log_read_kept(path, r->epoch - 1);
    char f[8][32];
    double v[8] = {r->train_loss, r->train_bce, r->train_gaze, r->val_loss, r->val_mean_auroc,
                   r->lr, r->seconds, 0};
    for (int i = 0; i < 7; i++) fmt_num(f[i], sizeof f[i], v[i]);
    char row[512];
    snprintf(row, sizeof row, "%d,%s,%s,%s,%s,%s,%s,%s\n", r->epoch, f[0], f[1], f[2], f[3], f[4],
             f[5], f[6]);
    size_t n = strlen(txt);
    txt = cx_realloc(txt, n + strlen(row) + 1);
    strcpy(txt + n, row);
    int rc = cx_write_file_atomic(path, txt, strlen(txt), err);
    free(txt);
    return rc;
}

static json_t *num_or_null(double v) { return isfinite(v) ? json_real(v) : json_null(); }

int train_write_run_json(const train_opts *o, const pack *pk, const train_run_info *info,
                         const train_result *res, const char *status, cx_error *err) {
    const densenet_config *cfg = info->cfg;
    json_t *root = json_object(), *opts = json_object(), *data = json_object(),
           *timing = json_object(), *metrics = json_object(), *arch = json_object(),
           *blocks = json_array();
    json_object_set_new(root, "program", json_string("cxrgaze train"));
    json_object_set_new(root, "version", json_string(CX_VERSION));
    json_object_set_new(root, "command_line", json_string(o->command_line ? o->command_line : ""));
    json_object_set_new(root, "status", json_string(status));
    json_object_set_new(root, "seed", json_integer((json_int_t)o->seed));
    for (int i = 0; i < NN_MAX_BLOCKS; i++) json_array_append_new(blocks, json_integer(cfg->blocks[i]));
    json_object_set_new(arch, "name", json_string(cfg->arch));
    json_object_set_new(arch, "blocks", blocks);
    json_object_set_new(arch, "growth", json_integer(cfg->growth));
    json_object_set_new(arch, "init_features", json_integer(cfg->init_features));
    json_object_set_new(arch, "num_classes", json_integer(cfg->num_classes));
    json_object_set_new(arch, "gaze_head", json_boolean(cfg->gaze_head));
    json_object_set_new(arch, "model", json_string(cfg->gaze_head ? "DenseNet-Aug" : "DenseNet"));
    json_object_set_new(root, "architecture", arch);
    json_object_set_new(opts, "gaze_lambda", json_real(o->gaze_lambda));
    json_object_set_new(opts, "init", o->init_path ? json_string(o->init_path) : json_null());
    json_object_set_new(opts, "epochs", json_integer(o->epochs));
    json_object_set_new(opts, "batch", json_integer(o->batch));
    json_object_set_new(opts, "lr", json_real(o->lr));
    json_object_set_new(opts, "precision", json_string(nn_precision_name(o->precision)));
    json_object_set_new(opts, "augment", json_string(train_augment_name(o->augment)));
    json_object_set_new(opts, "patience", json_integer(o->patience));
    json_object_set_new(opts, "early_stop", json_integer(o->early_stop));
    json_object_set_new(opts, "max_images", json_integer(o->max_images));
    json_object_set_new(opts, "checkpoint_every", json_integer(o->checkpoint_every));
    json_object_set_new(opts, "deterministic", json_boolean(o->deterministic));
    json_object_set_new(opts, "resumed", json_boolean(o->resume));
    json_object_set_new(opts, "threads", json_integer(info->threads));
    json_object_set_new(opts, "mpi_ranks", json_integer(info->ranks));
    json_object_set_new(root, "options", opts);
    json_object_set_new(data, "dir", json_string(o->data_dir ? o->data_dir : pk->dir));
    json_object_set_new(data, "fingerprint", json_string(info->fingerprint));
    json_object_set_new(data, "images", json_integer(pk->n));
    json_object_set_new(data, "size", json_integer(pk->size));
    json_object_set_new(data, "train_images", json_integer(info->n_train));
    json_object_set_new(data, "validate_images", json_integer(info->n_val));
    json_object_set_new(data, "batches_per_epoch", json_integer(info->batches_per_epoch));
    json_object_set_new(root, "data", data);
    char started[64];
    time_t t0 = (time_t)info->started_unix;
    strftime(started, sizeof started, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t0));
    json_object_set_new(timing, "started_utc", json_string(started));
    json_object_set_new(timing, "seconds", json_real(res->seconds));
    json_object_set_new(timing, "train_img_per_s", num_or_null(res->train_img_per_s));
    json_object_set_new(root, "timing", timing);
    json_object_set_new(metrics, "epochs_done", json_integer(res->epochs_done));
    json_object_set_new(metrics, "best_epoch", json_integer(res->best_epoch));
    json_object_set_new(metrics, "best_val_loss", num_or_null(res->best_val_loss));
    json_object_set_new(metrics, "last_val_loss", num_or_null(res->last_val_loss));
    json_object_set_new(metrics, "last_val_mean_auroc", num_or_null(res->last_val_auroc));
    json_object_set_new(metrics, "stopped_early", json_boolean(res->stopped_early));
    json_object_set_new(root, "final", metrics);
    char *txt = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
    json_decref(root);
    char path[4096];
    cx_path_join(path, sizeof path, o->out_dir, "run.json");
    size_t n = strlen(txt);
    txt = cx_realloc(txt, n + 2);
    txt[n] = '\n';
    txt[n + 1] = 0;
    int rc = cx_write_file_atomic(path, txt, n + 1, err);
    free(txt);
    return rc;
}
