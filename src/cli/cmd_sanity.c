// cxrgaze sanity: Adebayo et al. 2018 model-parameter randomisation tests. Maps of the trained
// model are compared with maps of copies whose weights are re-initialised cascading from the top
// (classifier, norm5, denseblock4, ..., conv0) and one block at a time (independent), by
// Spearman rank correlation (of |map| and of the signed map) and SSIM (maps min-max normalised).
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/attr_cli.h"
#include "cli/cli.h"
#include "study/study.h"

static void help(FILE *out) {
    fprintf(out,
            "usage: cxrgaze sanity --model M.safetensors --data DATA --out DIR [flags]\n\n"
            "Model-parameter randomisation tests (Adebayo et al. 2018). For each method, the maps\n"
            "of the model are compared with the maps after re-initialising (torchvision's init,\n"
            "seeded) the layers cascading from the top (classifier, norm5, denseblock4,\n"
            "transition3, denseblock3, transition2, denseblock2, transition1, denseblock1, conv0 +\n"
            "norm0) and each of them alone (independent). The target of an image is fixed to the\n"
            "trained model's top-scoring label. Writes DIR/sanity.json (settings, the layers\n"
            "randomised, each method's verdict) and DIR/sanity.csv:\n"
            "  method,mode,randomised_up_to,n,spearman_abs_mean,spearman_abs_sd,spearman_mean,\n"
            "  spearman_sd,ssim_mean,ssim_sd\n"
            "(mode cascading|independent; Spearman of |map| and of the signed map; SSIM of min-max\n"
            "normalised maps as scikit-image, METHODS.md section 3; mean and sample sd over images;\n"
            "constant maps are left out of n). A method whose maps stay similar once the top layers\n"
            "are randomised (cascading |Spearman| > 0.5 at conv0) is reported as failing.\n\n"
            "flags:\n"
            "  --model FILE         model weights (required)\n"
            "  --data DATA          dataset pack (required)\n"
            "  --out DIR            output directory (required)\n"
            "  --split NAME         train | validate | test (default test)\n"
            "  --limit N            first N images of the split (default 8)\n"
            "  --methods LIST       from sl,gc,dl,lc,gs,nt,ig,oc (default " ATTR_CLI_STUDY_METHODS ")\n"
            "  --modes LIST         cascading,independent (default both)\n"
            "  --randomise-seed S   seed of the re-initialisation (default 1)\n"
            "  --ignore-unknown     load a model file that also holds tensors DenseNet does not\n"
            "                       have (default: such a file is refused)\n"
            "  --threads N          worker threads, 1-1024 (default: all cores)\n"
            "  --quiet              no progress bar\n"
            "  --help               this text\n\n");
    attr_cli_help(out);
}

// Each method's verdict and where the files went (stderr).
static void report_verdicts(const study_sanity_settings *s, const study_sanity_result *r) {
    for (int i = 0; i < r->n_verdicts; i++) {
        const study_sanity_method_verdict *v = &r->verdicts[i];
        cx_info("sanity: %s: mean Spearman of |map| with the original after randomising every layer: "
                "%.3f -> %s", attr_method_name(v->method), v->spearman_abs_all_randomised,
                v->verdict == SANITY_UNDEFINED ? "undefined (constant maps)"
                : v->verdict == SANITY_FAILS   ? "FAILS (maps barely depend on the weights)"
                                               : "passes");
    }
    char path[4200];
    cx_path_join(path, sizeof path, s->out, "sanity.csv");
    cx_info("sanity: %d images, %d methods -> %s", r->n_images, r->n_methods, path);
}

int cmd_sanity(int argc, char **argv) {
    static const char cmd[] = "sanity";
    static const cli_command cli = {cmd, help};
    enum { O_MODEL = 256, O_DATA, O_OUT, O_SPLIT, O_LIMIT, O_METHODS, O_MODES, O_RSEED, O_IGNORE,
           O_QUIET };
    static const struct option longopts[] = {
        {"model", required_argument, 0, O_MODEL}, {"data", required_argument, 0, O_DATA},
        {"out", required_argument, 0, O_OUT}, {"split", required_argument, 0, O_SPLIT},
        {"limit", required_argument, 0, O_LIMIT}, {"methods", required_argument, 0, O_METHODS},
        {"modes", required_argument, 0, O_MODES},
        {"randomise-seed", required_argument, 0, O_RSEED},
        {"ignore-unknown", no_argument, 0, O_IGNORE},
        {"threads", required_argument, 0, CLI_OPT_THREADS}, {"quiet", no_argument, 0, O_QUIET},
        {"help", no_argument, 0, CLI_OPT_HELP}, ATTR_CLI_LONGOPTS, {0, 0, 0, 0}};
    study_sanity_settings a;
    study_sanity_default(&a);
    const char *methods = ATTR_CLI_STUDY_METHODS;
    long v;
    int opt, r;
    cli_getopt_reset();
    while ((opt = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
        switch (opt) {
        case O_MODEL: a.model = optarg; break;
        case O_DATA: a.data = optarg; break;
        case O_OUT: a.out = optarg; break;
        case O_SPLIT:
            if (cli_parse_split(cmd, optarg, &a.split)) return CLI_USAGE;
            break;
        case O_LIMIT:
            if (cli_parse_int(cmd, "--limit", optarg, 1, 1000000, &v)) return CLI_USAGE;
            a.limit = (int)v;
            break;
        case O_METHODS: methods = optarg; break;
        case O_MODES:
            a.modes[SANITY_CASCADING] = strstr(optarg, "cascading") != NULL;
            a.modes[SANITY_INDEPENDENT] = strstr(optarg, "independent") != NULL;
            if (!a.modes[SANITY_CASCADING] && !a.modes[SANITY_INDEPENDENT])
                return cli_usage_error(cmd, "--modes expects cascading and/or independent, got '%s'",
                                       optarg);
            break;
        case O_RSEED:
            if (cli_parse_seed(cmd, "--randomise-seed", optarg, &a.randomise_seed)) return CLI_USAGE;
            break;
        case O_IGNORE: a.model_flags |= MODEL_LOAD_IGNORE_UNKNOWN; break;
        case O_QUIET: a.progress = 0; break;
        default:
            r = cli_method_or_common_option(&cli, opt, argv, &a.attr);
            if (r != CLI_CONTINUE) return r;
        }
    }
    if (optind < argc) return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    if (!a.model || !a.data || !a.out)
        return cli_usage_error(cmd, "--model, --data and --out are required");
    cx_error err = {{0}};
    if (attr_methods_parse(methods, a.methods, &a.n_methods, &err))
        return cli_usage_error(cmd, "--methods: %s", err.msg);
    char *command_line = cli_command_line(argc, argv);
    a.command_line = command_line;
    study_sanity_result res;
    int rc = study_sanity(&a, &res, &err);
    free(command_line);
    if (rc) return cli_error(cmd, &err);
    report_verdicts(&a, &res);
    study_sanity_result_free(&res);
    return CLI_OK;
}
