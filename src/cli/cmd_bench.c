// cxrgaze bench: engine speed and memory on random weights and random input: training
// (forward + backward + Adam), inference (eval forward), input gradients (eval), peak RSS.
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "nn/nn.h"

static void help(FILE *out) {
    fprintf(out,
            "usage: cxrgaze bench [flags]\n\n"
            "Times the DenseNet engine on random weights (densenet_init, seed 1) and random N(0,1)\n"
            "input with random 0/1 targets:\n"
            "  train   training mode: forward + BCE + backward (weights) + Adam step     img/s\n"
            "  infer   evaluation mode: forward only                                     img/s\n"
            "  grad    evaluation mode: forward + input gradient of one logit, on the\n"
            "          whole batch (one backward per batch), per image                   ms\n"
            "  peak RSS of the process after training (training's peak) and at the end   MiB\n"
            "Each phase runs --warmup untimed steps, then --iters timed ones (mean).\n\n"
            "flags:\n"
            "  --arch A          densenet121 | densenet169 | densenet201 (default densenet121)\n"
            "  --size S          input S x S pixels (default 224)\n"
            "  --batch B         images per step (default 16)\n"
            "  --precision P     fp32 | bf16 (default fp32)\n"
            "  --iters N         timed steps per phase (default 3)\n"
            "  --warmup N        untimed steps per phase (default 1)\n"
            "  --threads N       worker threads, 1-1024 (default: all cores)\n"
            "  --json            print one JSON line {\"train_img_s\":..,\"infer_img_s\":..,\n"
            "                    \"grad_ms\":..,\"peak_rss_mb\":..} (plus context fields)\n"
            "  --help            this text\n");
}

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
    for (int n = 0; n < B; n++) dlog[n * K + 3] = 1.f;
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
    static const cli_command cli = {cmd, help};
    enum { O_ARCH = 256, O_SIZE, O_BATCH, O_PREC, O_ITERS, O_WARMUP, O_JSON };
    static const struct option longopts[] = {{"arch", required_argument, 0, O_ARCH},
                                             {"size", required_argument, 0, O_SIZE},
                                             {"batch", required_argument, 0, O_BATCH},
                                             {"precision", required_argument, 0, O_PREC},
                                             {"iters", required_argument, 0, O_ITERS},
                                             {"warmup", required_argument, 0, O_WARMUP},
                                             {"threads", required_argument, 0, CLI_OPT_THREADS},
                                             {"json", no_argument, 0, O_JSON},
                                             {"help", no_argument, 0, CLI_OPT_HELP},
                                             {0, 0, 0, 0}};
    bench_args a = {.arch = "densenet121", .size = 224, .batch = 16, .iters = 3, .warmup = 1,
                    .prec = NN_FP32};
    long v;
    int opt, status;
    cli_getopt_reset();
    while ((opt = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
        switch (opt) {
        case O_ARCH:
            a.arch = optarg;
            break;
        case O_SIZE:
            if (cli_parse_int(cmd, "--size", optarg, 32, 2048, &v)) return CLI_USAGE;
            a.size = (int)v;
            break;
        case O_BATCH:
            if (cli_parse_int(cmd, "--batch", optarg, 1, 1024, &v)) return CLI_USAGE;
            a.batch = (int)v;
            break;
        case O_PREC:
            if (cli_parse_precision(cmd, optarg, &a.prec)) return CLI_USAGE;
            break;
        case O_ITERS:
            if (cli_parse_int(cmd, "--iters", optarg, 1, 100000, &v)) return CLI_USAGE;
            a.iters = (int)v;
            break;
        case O_WARMUP:
            if (cli_parse_int(cmd, "--warmup", optarg, 0, 100000, &v)) return CLI_USAGE;
            a.warmup = (int)v;
            break;
        case O_JSON:
            a.json = 1;
            break;
        default:
            if ((status = cli_common_option(&cli, opt, argv)) != CLI_CONTINUE) return status;
        }
    }
    if (optind < argc) return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
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
        printf("%s %dx%d batch %d %s (%d timed steps per phase)\n", a.arch, a.size, a.size,
               a.batch, prec, a.iters);
        printf("  training (forward+backward+Adam)  %8.2f img/s\n", r.train_img_s);
        printf("  inference (eval forward)          %8.2f img/s\n", r.infer_img_s);
        printf("  input gradient (eval, batch %d)   %8.2f ms/image\n", a.batch, r.grad_ms);
        printf("  peak RSS after training           %8.1f MiB\n", r.train_rss_mb);
        printf("  peak RSS at the end               %8.1f MiB\n", r.peak_rss_mb);
    }
    return CLI_OK;
}
