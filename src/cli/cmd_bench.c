// cxrgaze bench: engine speed and memory on random weights and random input: training
// (forward + backward + Adam), inference (eval forward), input gradients (eval), peak RSS.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "nn/nn.h"

static const char USAGE[] = "usage: cxrgaze bench [flags]";
static const char ABOUT[] =
    "Times the DenseNet engine on random weights (densenet_init, seed 1) and random N(0,1)\n"
    "input with random 0/1 targets:\n"
    "  train   training mode: forward + BCE + backward (weights) + Adam step     img/s\n"
    "  infer   evaluation mode: forward only                                     img/s\n"
    "  grad    evaluation mode: forward + input gradient of one logit, on the\n"
    "          whole batch (one backward per batch), per image                   ms\n"
    "  peak RSS of the process after training (training's peak) and at the end   MiB\n"
    "Each phase runs --warmup untimed steps, then --iters timed ones (mean).";

typedef struct bench_args {
    const char *arch;
    int size, batch, iters, warmup, json;
    nn_precision prec;
} bench_args;

typedef struct bench_result {
    double train_img_s, infer_img_s, grad_ms, train_rss_mb, peak_rss_mb;
} bench_result;

static void random_fill(float *a, size_t n, uint64_t seed, int binary) {
    cx_rng r;
    cx_rng_seed(&r, seed, 0);
    for (size_t i = 0; i < n; i++)
        a[i] = binary ? (cx_rng_uniform(&r) < 0.3 ? 1.f : 0.f) : (float)cx_rng_normal(&r);
}

static int run(const bench_args *a, bench_result *res, cx_error *err) {
    densenet_config cfg;
    if (densenet_config_for(a->arch, 14, 0, &cfg, err)) return -1;
    densenet *net = densenet_create(&cfg);
    densenet_init(net, 1);
    const int B = a->batch, S = a->size, K = cfg.num_classes;
    float *x = cx_malloc(sizeof(float) * (size_t)B * 3 * S * S);
    float *dx = cx_malloc(sizeof(float) * (size_t)B * 3 * S * S);
    float *y = cx_malloc(sizeof(float) * (size_t)B * K), *logits = cx_malloc(sizeof(float) * B * K);
    float *dlog = cx_malloc(sizeof(float) * (size_t)B * K);
    random_fill(x, (size_t)B * 3 * S * S, 2, 0);
    random_fill(y, (size_t)B * K, 3, 1);
    int rc = -1;
    densenet_plan *plan = NULL;
    nn_adam opt = {0};
    size_t np;
    float *params = densenet_params(net, &np), *grads = densenet_grads(net, NULL);
    cx_progress prog;
    const int steps = a->warmup + a->iters;
    cx_progress_start(&prog, "bench", "step", 3 * steps);
    int done = 0;

    // training
    plan = densenet_plan_create(net, B, S, S, a->prec, NN_TRAIN, err);
    if (!plan) goto out;
    nn_adam_init(&opt, np, 1e-4f);
    double t0 = 0;
    for (int i = 0; i < steps; i++) {
        if (i == a->warmup) t0 = cx_now_s();
        if (densenet_forward(plan, x, logits, NULL, err)) goto out;
        nn_bce_with_logits(logits, y, NULL, B, K, dlog);
        if (densenet_backward(plan, dlog, NULL, NULL, NN_GRAD_WEIGHTS, err)) goto out;
        nn_adam_step(&opt, params, grads);
        cx_progress_update(&prog, ++done, "train");
    }
    res->train_img_s = (double)B * a->iters / (cx_now_s() - t0);
    res->train_rss_mb = cx_peak_rss_mb();
    densenet_plan_free(plan);
    nn_adam_free(&opt);

    // inference, then input gradients on the same evaluation plan
    plan = densenet_plan_create(net, B, S, S, a->prec, NN_EVAL, err);
    if (!plan) goto out;
    for (int i = 0; i < steps; i++) {
        if (i == a->warmup) t0 = cx_now_s();
        if (densenet_forward(plan, x, logits, NULL, err)) goto out;
        cx_progress_update(&prog, ++done, "infer");
    }
    res->infer_img_s = (double)B * a->iters / (cx_now_s() - t0);
    memset(dlog, 0, sizeof(float) * B * K);
    for (int n = 0; n < B; n++)
        dlog[n * K + 3] = 1.f;
    for (int i = 0; i < steps; i++) {
        if (i == a->warmup) t0 = cx_now_s();
        if (densenet_forward(plan, x, logits, NULL, err) ||
            densenet_backward(plan, dlog, NULL, dx, NN_GRAD_INPUT, err))
            goto out;
        cx_progress_update(&prog, ++done, "grad");
    }
    res->grad_ms = 1000.0 * (cx_now_s() - t0) / ((double)B * a->iters);
    res->peak_rss_mb = cx_peak_rss_mb();
    rc = 0;
out:
    cx_progress_finish(&prog);
    if (opt.m) nn_adam_free(&opt);
    densenet_plan_free(plan);
    densenet_free(net);
    free(x), free(dx), free(y), free(logits), free(dlog);
    return rc;
}

int cmd_bench(int argc, char **argv) {
    static const char cmd[] = "bench";
    bench_args a = {
        .arch = "densenet121", .size = 224, .batch = 16, .iters = 3, .warmup = 1, .prec = NN_FP32};
    const cli_flag flags[] = {
        CLI_FLAG_STRING("arch", "A", &a.arch, "densenet121",
                        "densenet121 | densenet169 | densenet201"),
        CLI_FLAG_INT("size", "S", &a.size, 32, 2048, "224", "input S x S pixels"),
        CLI_FLAG_INT("batch", "B", &a.batch, 1, 1024, "16", "images per step"),
        CLI_FLAG_PRECISION(&a.prec, "fp32", "fp32 | bf16"),
        CLI_FLAG_INT("iters", "N", &a.iters, 1, 100000, "3", "timed steps per phase"),
        CLI_FLAG_INT("warmup", "N", &a.warmup, 0, 100000, "1", "untimed steps per phase"),
        CLI_FLAG_THREADS,
        CLI_FLAG_SWITCH("json", &a.json, 1, NULL,
                        "print one JSON line {\"train_img_s\":..,\"infer_img_s\":..,"
                        "\"grad_ms\":..,\"peak_rss_mb\":..} (plus context fields)"),
        CLI_FLAG_HELP};
    const cli_table table = {cmd, USAGE, ABOUT, flags, CLI_N_FLAGS(flags), NULL};
    int status = cli_parse(&table, argc, argv, NULL, NULL);
    if (status != CLI_CONTINUE) return status;
    densenet_config cfg;
    cx_error err = {0};
    if (densenet_config_for(a.arch, 14, 0, &cfg, &err))
        return cli_usage_error(cmd, "--arch: %s", err.msg);
    bench_result r = {0};
    if (run(&a, &r, &err)) return cli_error(cmd, &err);
    const char *prec = a.prec == NN_BF16 ? "bf16" : "fp32";
    if (a.json) {
        printf("{\"train_img_s\":%.3f,\"infer_img_s\":%.3f,\"grad_ms\":%.2f,\"peak_rss_mb\":%.1f,"
               "\"train_peak_rss_mb\":%.1f,\"arch\":\"%s\",\"size\":%d,\"batch\":%d,"
               "\"grad_batch\":%d,\"precision\":\"%s\",\"iters\":%d}\n",
               r.train_img_s, r.infer_img_s, r.grad_ms, r.peak_rss_mb, r.train_rss_mb, a.arch,
               a.size, a.batch, a.batch, prec, a.iters);
    } else {
        printf("%s %dx%d batch %d %s (%d timed steps per phase)\n", a.arch, a.size, a.size, a.batch,
               prec, a.iters);
        printf("  training (forward+backward+Adam)  %8.2f img/s\n", r.train_img_s);
        printf("  inference (eval forward)          %8.2f img/s\n", r.infer_img_s);
        printf("  input gradient (eval, batch %d)   %8.2f ms/image\n", a.batch, r.grad_ms);
        printf("  peak RSS after training           %8.1f MiB\n", r.train_rss_mb);
        printf("  peak RSS at the end               %8.1f MiB\n", r.peak_rss_mb);
    }
    return CLI_OK;
}
