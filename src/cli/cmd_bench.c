// cxrgaze bench: engine speed and memory on random weights and random input: training
// (forward + backward + Adam), inference (eval forward), input gradients (eval), peak RSS.
#include <stdio.h>

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

int cmd_bench(int argc, char **argv) {
    static const char cmd[] = "bench";
    nn_bench_settings a;
    nn_bench_settings_default(&a);
    int json = 0;
    const cli_flag flags[] = {
        CLI_FLAG_STRING("arch", "A", &a.arch, "densenet121",
                        "densenet121 | densenet169 | densenet201"),
        CLI_FLAG_INT("size", "S", &a.size, 32, 2048, "224", "input S x S pixels"),
        CLI_FLAG_INT("batch", "B", &a.batch, 1, 1024, "16", "images per step"),
        CLI_FLAG_PRECISION(&a.precision, "fp32", "fp32 | bf16"),
        CLI_FLAG_INT("iters", "N", &a.iters, 1, 100000, "3", "timed steps per phase"),
        CLI_FLAG_INT("warmup", "N", &a.warmup, 0, 100000, "1", "untimed steps per phase"),
        CLI_FLAG_THREADS,
        CLI_FLAG_SWITCH("json", &json, 1, NULL,
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
    nn_bench_result r;
    if (nn_bench(&a, &r, &err)) return cli_error(cmd, &err);
    const char *prec = nn_precision_name(a.precision);
    if (json) {
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
