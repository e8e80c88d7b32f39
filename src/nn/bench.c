// nn: engine speed and memory on random weights and random input (`cxrgaze bench`): training
// (forward + backward + Adam), inference (eval forward), input gradients (eval), peak RSS.
#include <stdlib.h>
#include <string.h>

#include "nn/nn.h"

void nn_bench_settings_default(nn_bench_settings *s) {
    *s = (nn_bench_settings){.arch = "densenet121",
                             .size = 224,
                             .batch = 16,
                             .iters = 3,
                             .warmup = 1,
                             .precision = NN_FP32};
}

static void random_fill(float *a, size_t n, uint64_t seed, int binary) {
    cx_rng r;
    cx_rng_seed(&r, seed, 0);
    for (size_t i = 0; i < n; i++)
        a[i] = binary ? (cx_rng_uniform(&r) < 0.3 ? 1.f : 0.f) : (float)cx_rng_normal(&r);
}

// The buffers of one benchmark: input, targets, logits and their gradients.
typedef struct bench_bufs {
    float *x, *dx, *y, *logits, *dlog;
} bench_bufs;

// Training phase: img/s of forward + BCE + backward (weights) + Adam step.
static int time_training(const nn_bench_settings *s, densenet *net, bench_bufs *b,
                         cx_progress *prog, int *done, nn_bench_result *res, cx_error *err) {
    const int B = s->batch, K = densenet_cfg(net)->num_classes, steps = s->warmup + s->iters;
    densenet_plan *plan =
        densenet_plan_create(net, B, s->size, s->size, s->precision, NN_TRAIN, err);
    if (!plan) return -1;
    size_t np;
    float *params = densenet_params(net, &np), *grads = densenet_grads(net, NULL);
    nn_adam opt;
    nn_adam_init(&opt, np, 1e-4f);
    int rc = -1;
    double t0 = 0;
    for (int i = 0; i < steps; i++) {
        if (i == s->warmup) t0 = cx_now_s();
        if (densenet_forward(plan, b->x, b->logits, NULL, err)) goto out;
        nn_bce_with_logits(b->logits, b->y, NULL, B, K, b->dlog);
        if (densenet_backward(plan, b->dlog, NULL, NULL, NN_GRAD_WEIGHTS, err)) goto out;
        nn_adam_step(&opt, params, grads);
        cx_progress_update(prog, ++*done, "train");
    }
    res->train_img_s = (double)B * s->iters / (cx_now_s() - t0);
    res->train_rss_mb = cx_peak_rss_mb();
    rc = 0;
out:
    densenet_plan_free(plan);
    nn_adam_free(&opt);
    return rc;
}

// Inference (img/s), then input gradients of logit 3 (ms/image) on the same evaluation plan.
static int time_eval(const nn_bench_settings *s, densenet *net, bench_bufs *b, cx_progress *prog,
                     int *done, nn_bench_result *res, cx_error *err) {
    const int B = s->batch, K = densenet_cfg(net)->num_classes, steps = s->warmup + s->iters;
    densenet_plan *plan =
        densenet_plan_create(net, B, s->size, s->size, s->precision, NN_EVAL, err);
    if (!plan) return -1;
    int rc = -1;
    double t0 = 0;
    for (int i = 0; i < steps; i++) {
        if (i == s->warmup) t0 = cx_now_s();
        if (densenet_forward(plan, b->x, b->logits, NULL, err)) goto out;
        cx_progress_update(prog, ++*done, "infer");
    }
    res->infer_img_s = (double)B * s->iters / (cx_now_s() - t0);
    memset(b->dlog, 0, sizeof(float) * B * K);
    for (int n = 0; n < B; n++)
        b->dlog[n * K + 3] = 1.f;
    for (int i = 0; i < steps; i++) {
        if (i == s->warmup) t0 = cx_now_s();
        if (densenet_forward(plan, b->x, b->logits, NULL, err) ||
            densenet_backward(plan, b->dlog, NULL, b->dx, NN_GRAD_INPUT, err))
            goto out;
        cx_progress_update(prog, ++*done, "grad");
    }
    res->grad_ms = 1000.0 * (cx_now_s() - t0) / ((double)B * s->iters);
    res->peak_rss_mb = cx_peak_rss_mb();
    rc = 0;
out:
    densenet_plan_free(plan);
    return rc;
}

int nn_bench(const nn_bench_settings *s, nn_bench_result *res, cx_error *err) {
    *res = (nn_bench_result){0};
    densenet_config cfg;
    if (densenet_config_for(s->arch, 14, 0, &cfg, err)) return -1;
    densenet *net = densenet_create(&cfg);
    densenet_init(net, 1);
    const size_t nx = (size_t)s->batch * 3 * s->size * s->size,
                 ny = (size_t)s->batch * cfg.num_classes;
    bench_bufs b = {cx_malloc(sizeof(float) * nx), cx_malloc(sizeof(float) * nx),
                    cx_malloc(sizeof(float) * ny), cx_malloc(sizeof(float) * ny),
                    cx_malloc(sizeof(float) * ny)};
    random_fill(b.x, nx, 2, 0);
    random_fill(b.y, ny, 3, 1);
    cx_progress prog;
    cx_progress_start(&prog, "bench", "step", 3 * (s->warmup + s->iters));
    int done = 0;
    int rc = time_training(s, net, &b, &prog, &done, res, err) ||
                     time_eval(s, net, &b, &prog, &done, res, err)
                 ? -1
                 : 0;
    cx_progress_finish(&prog);
    densenet_free(net);
    free(b.x), free(b.dx), free(b.y), free(b.logits), free(b.dlog);
    return rc;
}
