// train/trainer: the training step's plumbing against oracles, exact resume, the scheduler.
//  - train_batch_loss: closed-form BCE / MSE and their gradients; shard weights sum to the
//    global batch (what the MPI all-reduce relies on).
//  - one epoch of one batch = one Adam step: params equal p0 - lr * g / (|g| + eps) with g the
//    gradient of an independent forward/backward on the same batch (Adam's first step), and
//    log.csv's val_loss equals BCE + lambda MSE recomputed from the saved weights in eval mode.
//  - an interrupted run (stopped mid-epoch twice, resumed from the checkpoint) ends with
//    bit-identical weights, BN statistics, Adam moments and log to an uninterrupted one.
//  - reduce-on-plateau: the lr halves after `patience` bad epochs, stops after `early_stop`.
//  - --init: torchvision-named weights load by name; another classifier shape and a missing gaze
//    head keep the fresh initialisation; another architecture is refused.
// Uses a tiny DenseNet (blocks 1,1,1,1, growth 4) on an in-memory pack of 48x48 images.
#include "test.h"

#include "data/data.h"
#include "train/train.h"
#include "train/train_internal.h"

#define S 48
#define N_IMG 40

typedef struct fake_pack {
    pack pk;
    uint8_t images[N_IMG * S * S];
    float labels[N_IMG * CX_N_LABELS];
    uint8_t mask[N_IMG * CX_N_LABELS];
    uint8_t split[N_IMG];
    int32_t gaze_row[N_IMG];
    float gaze[N_IMG * S * S];
} fake_pack;

// Label c positive puts a bright disc at a label-specific place; gaze looks at the discs.
static fake_pack *fake_pack_new(void) {
    fake_pack *f = cx_calloc(1, sizeof *f);
    cx_rng r;
    cx_rng_seed(&r, 7, 0);
    int ng = 0;
    for (int i = 0; i < N_IMG; i++) {
        f->split[i] = i < 28 ? SPLIT_TRAIN : i < 34 ? SPLIT_VALIDATE : SPLIT_TEST;
        f->gaze_row[i] = (i % 3 != 0) ? ng++ : -1;
        uint8_t *img = f->images + (size_t)i * S * S;
        for (int p = 0; p < S * S; p++) img[p] = (uint8_t)(40 + cx_rng_below(&r, 30));
        for (int c = 0; c < CX_N_LABELS; c++) {
            int pos = cx_rng_uniform(&r) < 0.35;
            f->labels[i * CX_N_LABELS + c] = (float)pos;
            f->mask[i * CX_N_LABELS + c] = (c == 5 && i % 4 == 0) ? 0 : 1; // some masked
            if (!pos) continue;
            int cy = 8 + (c / 4) * 10, cx = 8 + (c % 4) * 10;
            for (int y = 0; y < S; y++)
                for (int x = 0; x < S; x++)
                    if ((y - cy) * (y - cy) + (x - cx) * (x - cx) < 10) img[y * S + x] = 220;
        }
        if (f->gaze_row[i] >= 0) {
            float *g = f->gaze + (size_t)f->gaze_row[i] * S * S;
            for (int y = 0; y < S; y++)
                for (int x = 0; x < S; x++) g[y * S + x] = img[y * S + x] > 200 ? 1.0f : 0.05f;
        }
    }
    pack *p = &f->pk;
    snprintf(p->dir, sizeof p->dir, "in-memory test pack");
    p->n = N_IMG;
    p->n_gaze = ng;
    p->size = S;
    p->images = f->images;
    p->labels = f->labels;
    p->label_mask = f->mask;
    p->split = f->split;
    p->gaze_row = f->gaze_row;
    p->gaze = f->gaze;
    return f;
}

static densenet_config tiny_config(int gaze_head) {
    densenet_config c = {.arch = "densenet-tiny", .blocks = {1, 1, 1, 1}, .growth = 4,
                         .init_features = 8, .bn_size = 2, .num_classes = CX_N_LABELS,
                         .gaze_head = gaze_head};
    return c;
}

static double rank_auroc(const double *s, const uint8_t *y, size_t n, void *ctx) {
    (void)ctx;
    double num = 0;
    size_t np = 0, nn = 0;
    for (size_t i = 0; i < n; i++) {
        np += y[i] != 0;
        nn += y[i] == 0;
        for (size_t j = 0; j < n; j++)
            if (y[i] && !y[j]) num += s[i] > s[j] ? 1 : s[i] == s[j] ? 0.5 : 0;
    }
    return np && nn ? num / ((double)np * nn) : NAN;
}

static void rm_run(const char *dir) {
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

// ---- train_batch_loss vs closed form ------------------------------------------------------------
static void batch_loss_closed_form_and_shards(void **state) {
    (void)state;
    enum { N = 6, K = CX_N_LABELS, FH = 2, FW = 2, HW = FH * FW };
    train_batch b;
    train_batch_alloc(&b, N, 4, K, FH, FW);
    b.n = N;
    float logits[N * K], pred[N * HW], dl[N * K], dg[N * HW];
    cx_rng r;
    cx_rng_seed(&r, 3, 0);
    for (int i = 0; i < N * K; i++) {
        logits[i] = (float)(4 * cx_rng_uniform(&r) - 2);
        b.y[i] = (float)(cx_rng_uniform(&r) < 0.4);
        b.mask[i] = (float)(cx_rng_uniform(&r) < 0.8);
    }
    for (int i = 0; i < N; i++) {
        b.has_gaze[i] = i % 2 == 0;
        for (int p = 0; p < HW; p++) {
            pred[i * HW + p] = (float)cx_rng_uniform(&r);
            b.gaze_target[i * HW + p] = (float)cx_rng_uniform(&r);
        }
    }
    const double lambda = 0.7;
    double bce, mse;
    train_batch_loss(&b, logits, pred, lambda, 1.0, 1.0, dl, dg, &bce, &mse);
    // Oracle: mean over samples of the mean over unmasked labels of the BCE; MSE over gaze samples.
    double want_bce = 0, want_mse = 0;
    int n_gaze = 0;
    for (int i = 0; i < N; i++) {
        double s = 0, m = 0;
        for (int c = 0; c < K; c++) {
            double z = logits[i * K + c], y = b.y[i * K + c];
            if (b.mask[i * K + c] == 0) continue;
            s += fmax(z, 0) - z * y + log1p(exp(-fabs(z)));
            m++;
        }
        double per = m ? s / m : 0;
        want_bce += per / N;
        for (int c = 0; c < K; c++) {
            double z = logits[i * K + c], y = b.y[i * K + c];
            double g = b.mask[i * K + c] ? (1 / (1 + exp(-z)) - y) / (m * N) : 0;
            assert_close(dl[i * K + c], g, 1e-5, 1e-7, "dBCE/dlogit");
        }
        if (b.has_gaze[i]) {
            n_gaze++;
            for (int p = 0; p < HW; p++) {
                double d = pred[i * HW + p] - b.gaze_target[i * HW + p];
                want_mse += d * d / HW;
            }
        }
    }
    want_mse /= n_gaze;
    assert_close(bce, want_bce, 1e-6, 0, "BCE");
    assert_close(mse, want_mse, 1e-6, 0, "gaze MSE");
    for (int i = 0; i < N; i++)
        for (int p = 0; p < HW; p++) {
            double d = b.has_gaze[i] ? lambda * 2 * (pred[i * HW + p] - b.gaze_target[i * HW + p]) /
                                           ((double)HW * n_gaze)
                                     : 0;
            assert_close(dg[i * HW + p], d, 1e-5, 1e-7, "lambda dMSE/dpred");
        }
    // Shards [0,2) and [2,6) with weights n/N and n_gaze/N_gaze reproduce the global batch.
    train_batch part;
    double sb = 0, sm = 0;
    int lo[2] = {0, 2}, cnt[2] = {2, 4};
    for (int k = 0; k < 2; k++) {
        train_batch_alloc(&part, cnt[k], 4, K, FH, FW);
        part.n = cnt[k];
        int g = 0;
        for (int i = 0; i < cnt[k]; i++) g += b.has_gaze[lo[k] + i];
        memcpy(part.y, b.y + lo[k] * K, sizeof(float) * cnt[k] * K);
        memcpy(part.mask, b.mask + lo[k] * K, sizeof(float) * cnt[k] * K);
        memcpy(part.has_gaze, b.has_gaze + lo[k], cnt[k]);
        memcpy(part.gaze_target, b.gaze_target + lo[k] * HW, sizeof(float) * cnt[k] * HW);
        float pdl[4 * K], pdg[4 * HW];
        double pb, pm;
        train_batch_loss(&part, logits + lo[k] * K, pred + lo[k] * HW, lambda, cnt[k] / (double)N,
                         g / (double)n_gaze, pdl, pdg, &pb, &pm);
        sb += pb;
        sm += pm;
        for (int i = 0; i < cnt[k] * K; i++) assert_close(pdl[i], dl[lo[k] * K + i], 1e-6, 1e-9, "shard dlogits");
        for (int i = 0; i < cnt[k] * HW; i++) assert_close(pdg[i], dg[lo[k] * HW + i], 1e-6, 1e-9, "shard dgaze");
        train_batch_free(&part);
    }
    assert_close(sb, bce, 1e-6, 0, "sum of shard BCE");
    assert_close(sm, mse, 1e-6, 0, "sum of shard MSE");
    train_batch_free(&b);
}

// ---- reading back the training state ------------------------------------------------------------
typedef struct run_state {
    float *params, *buffers, *m, *v;
    size_t np, nb;
    int64_t counters[64];
    int nc;
} run_state;

static void read_state(const char *run_dir, run_state *rs) {
    char path[4096];
    cx_path_join(path, sizeof path, run_dir, "last.optim.safetensors");
    st_file f;
    cx_error err;
    if (st_open(&f, path, &err)) fail_msg("%s", err.msg);
    const char *names[4] = {"params", "buffers", "adam.m", "adam.v"};
    float **dst[4] = {&rs->params, &rs->buffers, &rs->m, &rs->v};
    for (int k = 0; k < 4; k++) {
        const st_tensor *t = st_find(&f, names[k]);
        assert_non_null(t);
        *dst[k] = cx_malloc(t->nbytes);
        memcpy(*dst[k], t->data, t->nbytes);
        if (k == 0) rs->np = t->numel;
        if (k == 1) rs->nb = t->numel;
    }
    const st_tensor *c = st_find(&f, "counters");
    assert_non_null(c);
    rs->nc = (int)c->numel;
    assert_true(rs->nc <= 64);
    memcpy(rs->counters, c->data, c->nbytes);
    st_close(&f);
}

static void free_state(run_state *rs) {
    free(rs->params);
    free(rs->buffers);
    free(rs->m);
    free(rs->v);
}

static void base_opts(train_opts *o, const char *out, const densenet_config *cfg) {
    train_opts_default(o);
    o->out_dir = out;
    o->config = cfg;
    o->progress = 0;
    o->threads = 2;
    o->seed = 11;
}

// ---- one Adam step vs an independent forward/backward --------------------------------------------
static void one_step_is_adam_on_the_batch_gradient(void **state) {
    (void)state;
    cx_set_threads(2);
    fake_pack *f = fake_pack_new();
    densenet_config cfg = tiny_config(1);
    const char *out = test_out_path("train_one_step");
    rm_run(out);
    train_opts o;
    base_opts(&o, out, &cfg);
    o.epochs = 1;
    o.batch = 28; // the whole training split: one batch, one Adam step
    o.lr = 1e-3;
    o.gaze_lambda = 0.5;
    o.augment = TRAIN_AUG_NONE;
    train_result res;
    cx_error err = {0};
    if (train_run(&o, &f->pk, &res, &err)) fail_msg("%s", err.msg);
    assert_int_equal(res.epochs_done, 1);
    run_state rs;
    read_state(out, &rs);

    // Oracle: same init, same batch (row order is immaterial to BN and the mean loss).
    densenet *net = densenet_create(&cfg);
    densenet_init(net, o.seed);
    densenet_plan *plan = densenet_plan_create(net, 28, S, S, NN_FP32, NN_TRAIN, &err);
    assert_non_null(plan);
    int fh, fw;
    densenet_plan_feature_hw(plan, &fh, &fw);
    train_batch b;
    train_batch_alloc(&b, 28, S, CX_N_LABELS, fh, fw);
    model_meta imagenet;
    model_meta_init(&imagenet, S);
    int64_t rows[28];
    for (int i = 0; i < 28; i++) rows[i] = i;
    train_batch_fill(&b, &imagenet, &f->pk, rows, 28, TRAIN_AUG_NONE, 0, 0);
    float logits[28 * CX_N_LABELS], dl[28 * CX_N_LABELS];
    float *gz = cx_malloc(sizeof(float) * 28 * fh * fw), *dg = cx_malloc(sizeof(float) * 28 * fh * fw);
    assert_int_equal(densenet_forward(plan, b.x, logits, gz, &err), 0);
    double bce, mse;
    train_batch_loss(&b, logits, gz, o.gaze_lambda, 1, 1, dl, dg, &bce, &mse);
    assert_int_equal(densenet_backward(plan, dl, dg, NULL, NN_GRAD_WEIGHTS, &err), 0);
    size_t np;
    const float *p0 = densenet_params(net, &np), *g = densenet_grads(net, &np);
    assert_int_equal(np, rs.np);
    size_t checked = 0, gaze_checked = 0;
    const nn_tensor_info *hw = densenet_find_tensor(net, "gaze_head.weight");
    for (size_t i = 0; i < np; i++) {
        if (fabsf(g[i]) < 1e-5f) continue; // sign of a near-zero gradient is rounding noise
        double want = p0[i] - o.lr * g[i] / (fabs(g[i]) + 1e-8);
        assert_close(rs.params[i], want, 0, 2e-6, "param after one Adam step");
        assert_close(rs.m[i], 0.1 * g[i], 2e-3, 1e-9, "Adam m = (1-beta1) g");
        checked++;
        if (&p0[i] >= hw->data && &p0[i] < hw->data + hw->numel) gaze_checked++;
    }
    assert_true(checked > np / 2);
    assert_true(gaze_checked > 0); // the gaze term reached the head

    // log.csv's val_loss = BCE + lambda * gaze MSE of the trained weights on the 6 validation
    // images in eval mode, recomputed here from the saved state.
    memcpy(densenet_params(net, &np), rs.params, np * sizeof(float));
    size_t nbuf;
    memcpy(densenet_buffers(net, &nbuf), rs.buffers, rs.nb * sizeof(float));
    assert_int_equal(nbuf, rs.nb);
    densenet_plan *ev = densenet_plan_create(net, 6, S, S, NN_FP32, NN_EVAL, &err);
    assert_non_null(ev);
    int64_t vrows[6] = {28, 29, 30, 31, 32, 33};
    train_batch_fill(&b, &imagenet, &f->pk, vrows, 6, TRAIN_AUG_NONE, 0, 0);
    assert_int_equal(densenet_forward(ev, b.x, logits, gz, &err), 0);
    double vb = 0, vm = 0;
    int vg = 0;
    for (int i = 0; i < 6; i++) {
        double sum = 0, m = 0;
        for (int c = 0; c < CX_N_LABELS; c++) {
            if (b.mask[i * CX_N_LABELS + c] == 0) continue;
            double z = logits[i * CX_N_LABELS + c], y = b.y[i * CX_N_LABELS + c];
            sum += fmax(z, 0) - z * y + log1p(exp(-fabs(z)));
            m++;
        }
        vb += sum / m / 6;
        if (!b.has_gaze[i]) continue;
        vg++;
        for (int p = 0; p < fh * fw; p++) {
            double d = gz[i * fh * fw + p] - b.gaze_target[i * fh * fw + p];
            vm += d * d / (fh * fw);
        }
    }
    char lpath[4200], *txt;
    size_t ln;
    if (cx_read_file(cx_path_join(lpath, sizeof lpath, out, "log.csv"), &txt, &ln, &err)) fail_msg("%s", err.msg);
    const char *row = strchr(txt, '\n') + 1;
    double cols[8];
    for (int c = 0; c < 8; c++) {
        char *e;
        cols[c] = strtod(row, &e);
        row = e + (*e == ',');
    }
    free(txt);
    assert_true(vg > 0);
    assert_close(cols[4], vb + o.gaze_lambda * vm / vg, 2e-5, 0, "val_loss in log.csv");
    // val_mean_auroc: the mean over labels with both classes of the pairwise AUROC (brute force)
    double auroc_sum = 0;
    int auroc_used = 0;
    for (int c = 0; c < CX_N_LABELS; c++) {
        double s[6];
        uint8_t yv[6];
        size_t m = 0;
        for (int i = 0; i < 6; i++) {
            if (b.mask[i * CX_N_LABELS + c] == 0) continue;
            s[m] = logits[i * CX_N_LABELS + c];
            yv[m++] = b.y[i * CX_N_LABELS + c] > 0.5f;
        }
        double a = rank_auroc(s, yv, m, NULL);
        if (isfinite(a)) auroc_sum += a, auroc_used++;
    }
    assert_true(auroc_used > 0);
    assert_close(cols[5], auroc_sum / auroc_used, 1e-5, 0, "val_mean_auroc in log.csv");
    densenet_plan_free(ev);
    free(gz);
    free(dg);
    train_batch_free(&b);
    densenet_plan_free(plan);
    densenet_free(net);
    free_state(&rs);
    free(f);
    rm_run(out);
}

// ---- interrupted + resumed == uninterrupted, bit for bit ------------------------------------------
static char *read_log_without_seconds(const char *dir) {
    char path[4096], *txt;
    size_t n;
    cx_path_join(path, sizeof path, dir, "log.csv");
    cx_error err;
    if (cx_read_file(path, &txt, &n, &err)) fail_msg("%s", err.msg);
    // Drop the last column (seconds) of every line.
    char *o = txt;
    for (char *line = txt; *line;) {
        char *nl = strchr(line, '\n'), *end = nl ? nl : line + strlen(line);
        char *comma = end;
        while (comma > line && *comma != ',') comma--;
        memmove(o, line, (size_t)(comma - line));
        o += comma - line;
        *o++ = '\n';
        line = nl ? nl + 1 : end;
    }
    *o = 0;
    return txt;
}

static void resume_is_bit_identical(void **state) {
    (void)state;
    cx_set_threads(2);
    fake_pack *f = fake_pack_new();
    densenet_config cfg = tiny_config(1);
    char full[4096], parts[4096];
    snprintf(full, sizeof full, "%s", test_out_path("train_full"));
    snprintf(parts, sizeof parts, "%s", test_out_path("train_parts"));
    rm_run(full);
    rm_run(parts);
    train_opts o;
    base_opts(&o, full, &cfg);
    o.epochs = 3;
    o.batch = 6; // 28 train images: 4 batches per epoch (4 images dropped, differently each epoch)
    o.gaze_lambda = 1.0;
    o.augment = TRAIN_AUG_FLIP_ROTATE;
    o.deterministic = 1;
    o.patience = 1; // exercise lr halving across the interruption
    train_result res;
    cx_error err = {0};
    if (train_run(&o, &f->pk, &res, &err)) fail_msg("%s", err.msg);
    assert_int_equal(res.epochs_done, 3);

    o.out_dir = parts;
    o.stop_after_batches = 3; // mid epoch 1
    if (train_run(&o, &f->pk, &res, &err)) fail_msg("%s", err.msg);
    assert_int_equal(res.interrupted, 1);
    assert_int_equal(res.epochs_done, 0);
    o.resume = 1;
    o.stop_after_batches = 4; // 1 more in epoch 1, then 3 in epoch 2: stops mid epoch 2
    if (train_run(&o, &f->pk, &res, &err)) fail_msg("%s", err.msg);
    assert_int_equal(res.interrupted, 1);
    assert_int_equal(res.epochs_done, 1);
    o.stop_after_batches = 0;
    if (train_run(&o, &f->pk, &res, &err)) fail_msg("%s", err.msg);
    assert_int_equal(res.epochs_done, 3);

    run_state a, b;
    read_state(full, &a);
    read_state(parts, &b);
    assert_int_equal(a.np, b.np);
    assert_memory_equal(a.params, b.params, a.np * sizeof(float));
    assert_memory_equal(a.buffers, b.buffers, a.nb * sizeof(float));
    assert_memory_equal(a.m, b.m, a.np * sizeof(float));
    assert_memory_equal(a.v, b.v, a.np * sizeof(float));
    assert_int_equal(a.nc, b.nc);
    assert_memory_equal(a.counters, b.counters, sizeof(int64_t) * a.nc);
    assert_int_equal(a.counters[0], 3 * 4); // one BN update per batch
    char *la = read_log_without_seconds(full), *lb = read_log_without_seconds(parts);
    assert_string_equal(la, lb);
    free(la);
    free(lb);
    // The model files exist and a different seed refuses to resume.
    char path[4096];
    assert_true(cx_path_exists(cx_path_join(path, sizeof path, parts, "last.safetensors")));
    assert_true(cx_path_exists(cx_path_join(path, sizeof path, parts, "best.safetensors")));
    assert_true(cx_path_exists(cx_path_join(path, sizeof path, parts, "run.json")));
    o.seed = 12;
    o.epochs = 4;
    assert_int_equal(train_run(&o, &f->pk, &res, &err), -1);
    assert_non_null(strstr(err.msg, "seed"));
    o.resume = 0;
    o.seed = 11;
    assert_int_equal(train_run(&o, &f->pk, &res, &err), -1);
    assert_non_null(strstr(err.msg, "--resume"));
    free_state(&a);
    free_state(&b);
    free(f);
    rm_run(full);
    rm_run(parts);
}

// ---- --init: torchvision-named weights with another classifier and no gaze head -------------------
static void init_weights_from_file(void **state) {
    (void)state;
    cx_error err = {0};
    densenet_config src_cfg, dst_cfg;
    assert_int_equal(densenet_config_for("densenet121", 5, 0, &src_cfg, &err), 0); // "ImageNet-like"
    assert_int_equal(densenet_config_for("densenet121", CX_N_LABELS, 1, &dst_cfg, &err), 0);
    densenet *src = densenet_create(&src_cfg), *dst = densenet_create(&dst_cfg);
    densenet_init(src, 1);
    densenet_init(dst, 2);
    const nn_tensor_info *rm = densenet_find_tensor(src, "features.norm5.running_mean");
    for (size_t i = 0; i < rm->numel; i++) rm->data[i] = 0.01f * (float)i;
    *densenet_find_tensor(src, "features.norm0.num_batches_tracked")->counter = 77;
    const char *path = test_out_path("train_init_src.safetensors");
    if (model_save(src, path, NULL, &err)) fail_msg("%s", err.msg);
    densenet *fresh = densenet_clone(dst);
    if (train_init_weights(dst, path, &err)) fail_msg("%s", err.msg);
    for (int i = 0; i < densenet_num_tensors(dst); i++) {
        const nn_tensor_info *t = densenet_tensor(dst, i), *f = densenet_tensor(fresh, i);
        const nn_tensor_info *s = densenet_find_tensor(src, t->name);
        if (!strncmp(t->name, "classifier.", 11) || !strncmp(t->name, "gaze_head.", 10)) {
            assert_memory_equal(t->data, f->data, t->numel * sizeof(float)); // fresh init kept
        } else if (t->kind == NN_COUNTER) {
            assert_int_equal(*t->counter, *s->counter);
        } else {
            assert_memory_equal(t->data, s->data, t->numel * sizeof(float));
        }
    }
    assert_int_equal(*densenet_find_tensor(dst, "features.norm0.num_batches_tracked")->counter, 77);
    // Another architecture is refused, naming a tensor.
    densenet_config c169;
    assert_int_equal(densenet_config_for("densenet169", CX_N_LABELS, 0, &c169, &err), 0);
    densenet *other = densenet_create(&c169);
    assert_int_equal(train_init_weights(other, path, &err), -1);
    assert_non_null(strstr(err.msg, "features."));
    densenet_free(other);
    remove(path);
    densenet_free(src);
    densenet_free(dst);
    densenet_free(fresh);
}

// ---- scheduler ------------------------------------------------------------------------------------
// log.csv: the writer's rows read back through train_log_read (6 significant digits, NaN empty);
// truncation keeps the first epochs; a bad cell names file:line and the column.
static void log_round_trip(void **state) {
    (void)state;
    const char *dir = test_out_path("train_log_round_trip");
    rm_run(dir);
    cx_error err;
    assert_int_equal(cx_mkdir_p(dir, &err), 0);
    const train_log_row want[3] = {{1, 0.693147, 0.5, 0.193147, 0.7, NAN, 5e-4, 12.5},
                                   {2, 0.5, 0.4, 0.1, 0.65, 0.75, 5e-4, 11},
                                   {3, 0.25, 0.2, 0.05, 0.6, 0.8125, 2.5e-4, 10.25}};
    for (int i = 0; i < 3; i++) assert_int_equal(train_log_append(dir, &want[i], &err), 0);
    train_log_row *got;
    int n;
    if (train_log_read(dir, &got, &n, &err)) fail_msg("%s", err.msg);
    assert_int_equal(n, 3);
    for (int i = 0; i < 3; i++) {
        const double w[8] = {want[i].epoch, want[i].train_loss, want[i].train_bce, want[i].train_gaze,
                             want[i].val_loss, want[i].val_mean_auroc, want[i].lr, want[i].seconds};
        const double g[8] = {got[i].epoch, got[i].train_loss, got[i].train_bce, got[i].train_gaze,
                             got[i].val_loss, got[i].val_mean_auroc, got[i].lr, got[i].seconds};
        for (int c = 0; c < 8; c++) {
            if (isnan(w[c])) assert_true(isnan(g[c]));
            else assert_close(g[c], w[c], 1e-6, 0, "log.csv cell");
        }
    }
    free(got);
    assert_int_equal(train_log_truncate(dir, 2, &err), 0);
    if (train_log_read(dir, &got, &n, &err)) fail_msg("%s", err.msg);
    assert_int_equal(n, 2);
    assert_int_equal(got[1].epoch, 2);
    free(got);
    char path[4200];
    cx_path_join(path, sizeof path, dir, "log.csv");
    FILE *f = fopen(path, "a");
    fputs("3,0.2,0.1,x,0.5,,1e-4,9\n", f);
    fclose(f);
    assert_int_equal(train_log_read(dir, &got, &n, &err), -1);
    assert_non_null(strstr(err.msg, "log.csv:4: column \"train_gaze\""));
    rm_run(dir);
}

static void plateau_schedule(void **state) {
    (void)state;
    plateau_sched s;
    plateau_init(&s, 1.0, 3, 10, 0.5);
    // Improves at epochs 1-2, then flat: halvings after epochs 5, 8, 11; stop at epoch 12.
    const double loss[] = {1.0, 0.9, 0.95, 0.9, 0.91, 0.92, 0.93, 0.94, 0.95, 0.96, 0.97, 0.98};
    const double lr_after[] = {1, 1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.125, 0.125};
    const int stop_after[] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    for (int e = 0; e < 12; e++) {
        int imp = plateau_step(&s, loss[e], e + 1);
        assert_int_equal(imp, e < 2);
        assert_close(s.lr, lr_after[e], 0, 0, "lr");
        assert_int_equal(s.stop, stop_after[e]);
    }
    assert_int_equal(s.best_epoch, 2);
    // An improvement resets both counts; NaN never improves.
    plateau_init(&s, 1.0, 2, 3, 0.5);
    plateau_step(&s, 1.0, 1);
    plateau_step(&s, NAN, 2);
    plateau_step(&s, 0.5, 3);
    assert_int_equal(s.bad, 0);
    assert_int_equal(s.since_best, 0);
    assert_close(s.lr, 1.0, 0, 0, "lr kept");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(batch_loss_closed_form_and_shards),
        cmocka_unit_test(plateau_schedule),
        cmocka_unit_test(log_round_trip),
        cmocka_unit_test(init_weights_from_file),
        cmocka_unit_test(one_step_is_adam_on_the_batch_gradient),
        cmocka_unit_test(resume_is_bit_identical),
    };
    return cmocka_run_group_tests_name("train/trainer", tests, NULL, NULL);
}
