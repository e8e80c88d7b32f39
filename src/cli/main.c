// cxrgaze: does a chest X-ray classifier look where radiologists look?
// Dispatches to one subcommand per file (cmd_<name>.c).
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

typedef int (*cmd_fn)(int argc, char **argv);
// Weak: a subcommand whose file is not part of this build is reported as absent, not called.
#define CMD(name) int cmd_##name(int argc, char **argv) __attribute__((weak));
CMD(synth) CMD(prepare) CMD(train) CMD(eval) CMD(forward) CMD(attribute) CMD(compare)
CMD(metrics) CMD(sanity) CMD(localize) CMD(faithfulness) CMD(report) CMD(bench)
CMD(demo)
#undef CMD

static const struct {
    const char *name;
    cmd_fn fn;
    const char *summary;
} commands[] = {
    {"synth", cmd_synth, "write synthetic MIMIC-CXR-JPG + EGD-CXR files with planted findings"},
    {"prepare", cmd_prepare, "parse the datasets, decode and resize images, build the dataset pack"},
    {"train", cmd_train, "train DenseNet-121 (--gaze-lambda 0) or DenseNet-Aug (> 0)"},
    {"eval", cmd_eval, "predictions, per-label AUROC with DeLong and bootstrap CIs, thresholds"},
    {"forward", cmd_forward, "run a model on an input tensor file, write logits"},
    {"attribute", cmd_attribute, "saliency maps: SL GC DL LC GS NT (+ IG, OC)"},
    {"compare", cmd_compare, "saliency vs radiologist gaze: SSIM and metrics, region analysis"},
    {"localize", cmd_localize, "saliency vs expert annotations: mIoU, hit rate, mass share"},
    {"metrics", cmd_metrics, "SSIM, CC, KL, SIM, EMD (+ NSS, AUC-Judd) for paired maps"},
    {"sanity", cmd_sanity, "Adebayo et al. weight-randomisation sanity checks"},
    {"faithfulness", cmd_faithfulness, "deletion / insertion curves and AUCs of saliency maps"},
    {"report", cmd_report, "one self-contained HTML page + Markdown from run directories"},
    {"bench", cmd_bench, "training / inference / input-gradient speed and peak memory"},
    {"demo", cmd_demo, "everything above on synthetic data, ending with a report"},
};
#define N_COMMANDS ((int)(sizeof commands / sizeof commands[0]))

static void usage(FILE *out) {
    fprintf(out, "cxrgaze %s: does a chest X-ray classifier look where radiologists look?\n\n"
                 "usage: cxrgaze <command> [flags]   (cxrgaze <command> --help for its flags)\n\n"
                 "commands:\n", CX_VERSION);
    for (int i = 0; i < N_COMMANDS; i++)
        if (commands[i].fn) fprintf(out, "  %-12s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n%s\n", CLI_EXIT_STATUS_HELP);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return CLI_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return CLI_OK;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("cxrgaze %s\n", CX_VERSION);
        return CLI_OK;
    }
    for (int i = 0; i < N_COMMANDS; i++)
        if (!strcmp(argv[1], commands[i].name) && commands[i].fn)
            return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "cxrgaze: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return CLI_USAGE;
}
