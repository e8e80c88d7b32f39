// train/checkpoint: the resumable training state RUN/last.optim.safetensors (weights, BN
// statistics, Adam moments and step, epoch/batch position, scheduler), and the data
// fingerprint that ties a run to its pack.
#include "train/train_internal.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void train_data_fingerprint(const pack *pk, char out[32]) {
    uint64_t h = 0xcbf29ce484222325ull; // FNV-1a 64
#define FNV(byte) (h = (h ^ (uint8_t)(byte)) * 0x100000001b3ull)
    if (pk->st.map && pk->st.size >= 8) {
        const uint8_t *m = pk->st.map;
        uint64_t hl = 0;
        for (int i = 0; i < 8; i++) hl |= (uint64_t)m[i] << (8 * i);
        if (hl > pk->st.size - 8) hl = pk->st.size - 8;
        for (uint64_t i = 0; i < 8 + hl; i++) FNV(m[i]);
    }
    uint64_t sizes[3] = {(uint64_t)pk->st.size, (uint64_t)pk->n, (uint64_t)pk->size};
    for (int k = 0; k < 3; k++)
        for (int i = 0; i < 8; i++) FNV(sizes[k] >> (8 * i));
#undef FNV
    snprintf(out, 32, "%016" PRIx64, h);
}

static void id_put(train_identity *id, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void id_put(train_identity *id, const char *key, const char *fmt, ...) {
    CX_ASSERT(id->n < 12);
    snprintf(id->key[id->n], sizeof id->key[0], "%s", key);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(id->val[id->n], sizeof id->val[0], fmt, ap);
    va_end(ap);
    id->n++;
}

void train_identity_make(const train_opts *o, const densenet_config *cfg, const char *fingerprint,
                         train_identity *id) {
    memset(id, 0, sizeof *id);
    id_put(id, "arch", "%s:%d,%d,%d,%d:g%d:f%d:b%d:k%d:h%d", cfg->arch, cfg->blocks[0],
           cfg->blocks[1], cfg->blocks[2], cfg->blocks[3], cfg->growth, cfg->init_features,
           cfg->bn_size, cfg->num_classes, cfg->gaze_head);
    id_put(id, "seed", "%" PRIu64, o->seed);
    id_put(id, "batch", "%d", o->batch);
    id_put(id, "gaze_lambda", "%.17g", o->gaze_lambda);
    id_put(id, "augment", "%s", train_augment_name(o->augment));
    id_put(id, "max_images", "%" PRId64, o->max_images);
    id_put(id, "precision", "%s", nn_precision_name(o->precision));
    id_put(id, "data_fingerprint", "%s", fingerprint);
    id_put(id, "deterministic", "%d", o->deterministic);
    id_put(id, "threads", "%d", o->threads); // compared only in deterministic mode
}

// State scalars, in one F64 and one I64 tensor (doubles round-trip exactly).
enum { SF_SUM_BCE, SF_SUM_GAZE, SF_EPOCH_SECONDS, SF_LR, SF_FACTOR, SF_BEST, SF_N };
enum { SI_EPOCH, SI_BATCH, SI_FINISHED, SI_ADAM_STEP, SI_PATIENCE, SI_EARLY_STOP, SI_BEST_EPOCH,
       SI_BAD, SI_SINCE_BEST, SI_STOP, SI_N };

int train_state_save(const char *path, densenet *net, const nn_adam *opt, const train_state *st,
                     const train_identity *id, cx_error *err) {
    size_t np, nb;
    float *params = densenet_params(net, &np);
    float *buffers = densenet_buffers(net, &nb);
    int nt = densenet_num_tensors(net), nc = 0;
    int64_t *counters = cx_calloc((size_t)nt + 1, sizeof *counters);
    for (int i = 0; i < nt; i++) {
        const nn_tensor_info *t = densenet_tensor(net, i);
        if (t->kind == NN_COUNTER) counters[nc++] = *t->counter;
    }
    double sf[SF_N] = {st->sum_bce, st->sum_gaze, st->epoch_seconds, st->sched.lr,
                       st->sched.factor, st->sched.best};
    int64_t si[SI_N] = {st->epoch, st->batch, st->finished, opt->step, st->sched.patience,
                        st->sched.early_stop, st->sched.best_epoch, st->sched.bad,
                        st->sched.since_best, st->sched.stop};
    int64_t s_np[1] = {(int64_t)np}, s_nb[1] = {(int64_t)nb}, s_nc[1] = {nc};
    int64_t s_sf[1] = {SF_N}, s_si[1] = {SI_N};
    st_writer *w = st_writer_new();
    st_writer_add(w, "params", ST_F32, 1, s_np, params);
    st_writer_add(w, "buffers", ST_F32, 1, s_nb, buffers);
    st_writer_add(w, "counters", ST_I64, 1, s_nc, counters);
    st_writer_add(w, "adam.m", ST_F32, 1, s_np, opt->m);
    st_writer_add(w, "adam.v", ST_F32, 1, s_np, opt->v);
    st_writer_add(w, "state.f64", ST_F64, 1, s_sf, sf);
    st_writer_add(w, "state.i64", ST_I64, 1, s_si, si);
    st_writer_meta(w, "format", TRAIN_STATE_FORMAT);
    for (int i = 0; i < id->n; i++) st_writer_meta(w, id->key[i], id->val[i]);
    int rc = st_writer_write(w, path, err);
    st_writer_free(w);
    free(counters);
    return rc;
}

static int read_exact(const st_file *f, const char *name, st_dtype dt, int64_t n, void *out,
                      cx_error *err) {
    const st_tensor *t;
    int64_t shape[1] = {n};
    if (st_expect(f, name, dt, 1, shape, &t, err)) return -1;
    memcpy(out, t->data, t->nbytes);
    return 0;
}

int train_state_load(const char *path, densenet *net, nn_adam *opt, train_state *st,
                     const train_identity *id, int strict_threads, cx_error *err) {
    st_file f;
    if (st_open(&f, path, err)) return -1;
    int rc = -1;
    const char *fmt = st_meta(&f, "format");
    if (!fmt || strcmp(fmt, TRAIN_STATE_FORMAT)) {
        cx_fail(err, "%s: not a cxrgaze training state (metadata format \"%s\", expected \"%s\")",
                path, fmt ? fmt : "", TRAIN_STATE_FORMAT);
        goto done;
    }
    for (int i = 0; i < id->n; i++) {
        if (!strcmp(id->key[i], "threads") && !strict_threads) continue;
        const char *v = st_meta(&f, id->key[i]);
        if (!v || strcmp(v, id->val[i])) {
            cx_fail(err, "%s: cannot resume: %s was %s, this run has %s%s", path, id->key[i],
                    v ? v : "(absent)", id->val[i],
                    !strcmp(id->key[i], "threads") ? " (--deterministic needs the same --threads)"
                                                   : "");
            goto done;
        }
    }
    size_t np, nb;
    float *params = densenet_params(net, &np);
    float *buffers = densenet_buffers(net, &nb);
    int nt = densenet_num_tensors(net), nc = 0;
    for (int i = 0; i < nt; i++) nc += densenet_tensor(net, i)->kind == NN_COUNTER;
    int64_t *counters = cx_calloc((size_t)nc + 1, sizeof *counters);
    double sf[SF_N];
    int64_t si[SI_N];
    if (read_exact(&f, "params", ST_F32, (int64_t)np, params, err) ||
        read_exact(&f, "buffers", ST_F32, (int64_t)nb, buffers, err) ||
        read_exact(&f, "counters", ST_I64, nc, counters, err) ||
        read_exact(&f, "adam.m", ST_F32, (int64_t)np, opt->m, err) ||
        read_exact(&f, "adam.v", ST_F32, (int64_t)np, opt->v, err) ||
        read_exact(&f, "state.f64", ST_F64, SF_N, sf, err) ||
        read_exact(&f, "state.i64", ST_I64, SI_N, si, err)) {
        free(counters);
        goto done;
    }
    for (int i = 0, c = 0; i < nt; i++) {
        const nn_tensor_info *t = densenet_tensor(net, i);
        if (t->kind == NN_COUNTER) *t->counter = counters[c++];
    }
    free(counters);
    st->sum_bce = sf[SF_SUM_BCE];
    st->sum_gaze = sf[SF_SUM_GAZE];
    st->epoch_seconds = sf[SF_EPOCH_SECONDS];
    st->sched.lr = sf[SF_LR];
    st->sched.factor = sf[SF_FACTOR];
    st->sched.best = sf[SF_BEST];
    st->epoch = (int)si[SI_EPOCH];
    st->batch = si[SI_BATCH];
    st->finished = (int)si[SI_FINISHED];
    opt->step = si[SI_ADAM_STEP];
    st->sched.patience = (int)si[SI_PATIENCE];
    st->sched.early_stop = (int)si[SI_EARLY_STOP];
    st->sched.best_epoch = (int)si[SI_BEST_EPOCH];
    st->sched.bad = (int)si[SI_BAD];
    st->sched.since_best = (int)si[SI_SINCE_BEST];
    st->sched.stop = (int)si[SI_STOP];
    rc = 0;
done:
    st_close(&f);
    return rc;
}
