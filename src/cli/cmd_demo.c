// cxrgaze demo: the whole study on synthetic data — synth, prepare, train DenseNet and
// DenseNet-Aug, eval, attribute, compare, sanity, report — by running the subcommands in-process,
// exactly as a user would type them (each step's command line is printed first).
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/attr_cli.h"
#include "cli/cli.h"

int cmd_synth(int argc, char **argv);
int cmd_prepare(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_attribute(int argc, char **argv) __attribute__((weak));
int cmd_compare(int argc, char **argv);
int cmd_sanity(int argc, char **argv) __attribute__((weak));
int cmd_report(int argc, char **argv);

typedef struct demo_cfg {
    const char *out;
    int images, gaze_images, size, epochs, batch, maps, sanity_images;
    const char *precision; // "fp32" | "bf16"
    uint64_t seed;
} demo_cfg;

static void help(FILE *out) {
    fprintf(out,
            "usage: cxrgaze demo [--out DIR] [flags]\n\n"
            "Runs the whole study on synthetic data in DIR (default demo-out), printing each step's\n"
            "command line: synth (MIMIC-CXR-JPG + EGD-CXR files with planted findings and gaze) ->\n"
            "prepare -> train DenseNet-121 (--gaze-lambda 0) and DenseNet-Aug (--gaze-lambda 1) ->\n"
            "eval (AUROC with DeLong and bootstrap CIs, DeLong test) -> attribute (SL GC DL LC GS NT\n"
            "on held-out images with gaze) -> compare (SSIM and metrics vs gaze, regions, planted\n"
            "findings) -> sanity (weight randomisation) -> report. Ends by printing the report's\n"
            "path. Sized to finish in about 10 minutes on 2 cores.\n\n"
            "flags:\n"
            "  --out DIR          output directory (default demo-out)\n"
            "  --images N         synthetic images (default 1200)\n"
            "  --gaze-images N    of which with eye gaze (default 300)\n"
            "  --size S           model input size (default 128)\n"
            "  --epochs E         training epochs per model (default 6)\n"
            "  --batch B          training batch (default 16)\n"
            "  --maps N           held-out images with gaze explained per model (default 30)\n"
            "  --precision P      fp32 | bf16 (default bf16)\n"
            "  --seed S           seed of every step (default 1)\n"
            "  --threads N        worker threads, 1-1024 (default: all cores)\n"
            "  --help             this text\n");
}

// Runs one subcommand with a printf-built argument list (space-separated; no spaces inside).
// " --threads N" when demo was given --threads: every step gets it (train, for one, would
// otherwise take all cores again).
static char g_threads_flag[32];

static int step(const char *label, int (*fn)(int, char **), const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int step(const char *label, int (*fn)(int, char **), const char *fmt, ...) {
    char line[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    strncat(line, g_threads_flag, sizeof line - strlen(line) - 1);
    fprintf(stderr, "\n== demo: %s\n$ cxrgaze %s\n", label, line);
    if (!fn) {
        fprintf(stderr, "cxrgaze demo: this build lacks the command for this step\n");
        return CLI_BAD_INPUT;
    }
    char *argv[128];
    int argc = 0;
    for (char *tok = strtok(line, " "); tok && argc < 127; tok = strtok(NULL, " ")) argv[argc++] = tok;
    argv[argc] = NULL;
    double t0 = cx_now_s();
    int rc = fn(argc, argv);
    fprintf(stderr, "== demo: %s %s in %.1f s\n", label, rc == 0 ? "done" : "FAILED", cx_now_s() - t0);
    return rc;
}

int cmd_demo(int argc, char **argv) {
    static const char cmd[] = "demo";
    static const cli_command cli = {cmd, help};
    enum { O_OUT = 256, O_IMAGES, O_GAZE, O_SIZE, O_EPOCHS, O_BATCH, O_MAPS, O_PREC, O_SEED };
    static const struct option longopts[] = {
        {"out", required_argument, 0, O_OUT},        {"images", required_argument, 0, O_IMAGES},
        {"gaze-images", required_argument, 0, O_GAZE}, {"size", required_argument, 0, O_SIZE},
        {"epochs", required_argument, 0, O_EPOCHS},  {"batch", required_argument, 0, O_BATCH},
        {"maps", required_argument, 0, O_MAPS},      {"precision", required_argument, 0, O_PREC},
        {"seed", required_argument, 0, O_SEED},
        {"threads", required_argument, 0, CLI_OPT_THREADS}, {"help", no_argument, 0, CLI_OPT_HELP},
        {0, 0, 0, 0}};
    demo_cfg c = {"demo-out", 1200, 300, 128, 6, 16, 30, 4, "bf16", 1};
    nn_precision prec;
    long v;
    int opt, r, threads;
    g_threads_flag[0] = 0;
    cli_getopt_reset();
    while ((opt = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
        switch (opt) {
        case O_OUT: c.out = optarg; break;
        case CLI_OPT_THREADS:
            if (cli_parse_threads(cmd, optarg, &threads)) return CLI_USAGE;
            cx_set_threads(threads);
            snprintf(g_threads_flag, sizeof g_threads_flag, " --threads %d", threads);
            break;
        case O_IMAGES:
            if (cli_parse_int(cmd, "--images", optarg, 50, 1000000, &v)) return CLI_USAGE;
            c.images = (int)v;
            break;
        case O_GAZE:
            if (cli_parse_int(cmd, "--gaze-images", optarg, 10, 1000000, &v)) return CLI_USAGE;
            c.gaze_images = (int)v;
            break;
        case O_SIZE:
            if (cli_parse_int(cmd, "--size", optarg, 64, 512, &v)) return CLI_USAGE;
            c.size = (int)v;
            break;
        case O_EPOCHS:
            if (cli_parse_int(cmd, "--epochs", optarg, 1, 1000, &v)) return CLI_USAGE;
            c.epochs = (int)v;
            break;
        case O_BATCH:
            if (cli_parse_int(cmd, "--batch", optarg, 2, 256, &v)) return CLI_USAGE;
            c.batch = (int)v;
            break;
        case O_MAPS:
            if (cli_parse_int(cmd, "--maps", optarg, 1, 100000, &v)) return CLI_USAGE;
            c.maps = (int)v;
            break;
        case O_PREC:
            if (cli_parse_precision(cmd, optarg, &prec)) return CLI_USAGE;
            c.precision = optarg; // checked; the steps' command lines take the name
            break;
        case O_SEED:
            if (cli_parse_seed(cmd, "--seed", optarg, &c.seed)) return CLI_USAGE;
            break;
        default:
            if ((r = cli_common_option(&cli, opt, argv)) != CLI_CONTINUE) return r;
        }
    }
    if (optind < argc) return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    if (c.gaze_images > c.images) return cli_usage_error(cmd, "--gaze-images exceeds --images");
    if (strchr(c.out, ' ')) return cli_usage_error(cmd, "--out must not contain spaces");
    cx_error err;
    if (cx_mkdir_p(c.out, &err)) return cli_error(cmd, &err);

    double t0 = cx_now_s();
    const char *o = c.out;
    const char *models[2] = {"densenet", "densenet-aug"};
    const double lambda[2] = {0.0, 1.0};
    // Synthetic radiographs at 2.5x the model size: prepare really downsizes them.
    if (step("synthetic MIMIC-CXR-JPG + EGD-CXR files", cmd_synth,
             "synth --out %s/synth --images %d --gaze-images %d --size %d --seed %" PRIu64
             " --force", o, c.images, c.gaze_images, c.size * 5 / 2, c.seed))
        return CLI_BAD_INPUT;
    // The dataset's gaze sigma (150 px) is for ~3056 px radiographs: scale it with the image.
    if (step("dataset pack", cmd_prepare,
             "prepare --mimic %s/synth/mimic-cxr-jpg --egd %s/synth/egd-cxr --truth %s/synth/truth "
             "--out %s/data --size %d --seed %" PRIu64 " --gaze-sigma %.1f",
             o, o, o, o, c.size, c.seed, 150.0 * (c.size * 5 / 2) / 3056.0))
        return CLI_BAD_INPUT;
    for (int m = 0; m < 2; m++)
        if (step(m ? "train DenseNet-Aug (gaze-supervised)" : "train DenseNet-121", cmd_train,
                 "train --data %s/data --out %s/runs/%s --gaze-lambda %g --epochs %d --batch %d "
                 "--precision %s --seed %" PRIu64 " --augment flip",
                 o, o, models[m], lambda[m], c.epochs, c.batch, c.precision, c.seed))
            return CLI_BAD_INPUT;
    if (step("evaluate both models (AUROC with CIs, DeLong test)", cmd_eval,
             "eval --data %s/data --compare %s/runs/%s/best.safetensors %s/runs/%s/best.safetensors "
             "--names DenseNet,DenseNet-Aug --out %s/eval --seed %" PRIu64,
             o, o, models[0], o, models[1], o, c.seed))
        return CLI_BAD_INPUT;
    for (int m = 0; m < 2; m++)
        if (step("saliency maps", cmd_attribute,
                 "attribute --model %s/runs/%s/best.safetensors --data %s/data --split test "
                 "--gaze-only --targets positive --limit %d --methods " ATTR_CLI_STUDY_METHODS " --out "
                 "%s/attr/%s --precision %s --seed %" PRIu64 " --overlays 4",
                 o, models[m], o, c.maps, o, models[m], c.precision, c.seed))
            return CLI_BAD_INPUT;
    if (step("saliency vs gaze", cmd_compare,
             "compare --data %s/data --eval %s/eval/DenseNet --name DenseNet --attributions %s/attr/%s "
             "--eval %s/eval/DenseNet-Aug --name DenseNet-Aug --attributions %s/attr/%s --out "
             "%s/compare --seed %" PRIu64,
             o, o, o, models[0], o, o, models[1], o, c.seed))
        return CLI_BAD_INPUT;
    if (step("sanity checks", cmd_sanity,
             "sanity --model %s/runs/%s/best.safetensors --data %s/data --out %s/sanity --limit %d "
             "--precision %s --seed %" PRIu64,
             o, models[0], o, o, c.sanity_images, c.precision, c.seed))
        return CLI_BAD_INPUT;
    char report[4200];
    snprintf(report, sizeof report, "%s/report.html", o);
    if (step("report", cmd_report, "report --out %s %s/data %s/eval %s/compare %s/sanity %s/runs",
             report, o, o, o, o, o))
        return CLI_BAD_INPUT;
    fprintf(stderr, "\ndemo: finished in %.1f s\n", cx_now_s() - t0);
    printf("%s\n", report);
    return CLI_OK;
}
