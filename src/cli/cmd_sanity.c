// cxrgaze sanity: Adebayo et al. 2018 model-parameter randomisation tests. Maps of the trained
// model are compared with maps of copies whose weights are re-initialised cascading from the top
// (classifier, norm5, denseblock4, ..., conv0) and one block at a time (independent), by
// Spearman rank correlation (of |map| and of the signed map) and SSIM (maps min-max normalised).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/attr_cli.h"
#include "cli/cli.h"
#include "study/study.h"

static const char USAGE[] = "usage: cxrgaze sanity --model M.safetensors --data DATA --out DIR [flags]";
static const char ABOUT[] =
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
    "are randomised (cascading |Spearman| > 0.5 at conv0) is reported as failing.";

static int parse_methods(const char *cmd, const cli_flag *f, const char *value) {
    study_sanity_settings *a = f->to;
    return attr_cli_parse_methods(cmd, value, a->methods, &a->n_methods);
}

static int parse_modes(const char *cmd, const cli_flag *f, const char *value) {
    int *modes = f->to;
    modes[SANITY_CASCADING] = strstr(value, "cascading") != NULL;
    modes[SANITY_INDEPENDENT] = strstr(value, "independent") != NULL;
    if (!modes[SANITY_CASCADING] && !modes[SANITY_INDEPENDENT])
        return cli_usage_error(cmd, "--modes expects cascading and/or independent, got '%s'",
                               value), -1;
    return 0;
}

int cmd_sanity(int argc, char **argv) {
    static const char cmd[] = "sanity";
    study_sanity_settings a;
    study_sanity_default(&a);
    const cli_flag flags[] = {
        CLI_FLAG_STRING("model", "FILE", &a.model, NULL, "model weights (required)"),
        CLI_FLAG_STRING("data", "DATA", &a.data, NULL, "dataset pack (required)"),
        CLI_FLAG_STRING("out", "DIR", &a.out, NULL, "output directory (required)"),
        CLI_FLAG_SPLIT(&a.split, "test", "train | validate | test"),
        CLI_FLAG_INT("limit", "N", &a.limit, 1, 1000000, "8", "first N images of the split"),
        CLI_FLAG_CUSTOM("methods", "LIST", &a, parse_methods, ATTR_CLI_STUDY_METHODS,
                        "from sl,gc,dl,lc,gs,nt,ig,oc"),
        CLI_FLAG_CUSTOM("modes", "LIST", a.modes, parse_modes, "both", "cascading,independent"),
        CLI_FLAG_SEED("randomise-seed", &a.randomise_seed, "1",
                      "seed of the re-initialisation"),
        CLI_FLAG_IGNORE_UNKNOWN(&a.model_flags, MODEL_LOAD_IGNORE_UNKNOWN),
        CLI_FLAG_THREADS,
        CLI_FLAG_SWITCH("quiet", &a.progress, 0, NULL, "no progress bar"),
        CLI_FLAG_HELP,
        ATTR_CLI_FLAGS(&a.attr)};
    const cli_table table = {cmd, USAGE, ABOUT, flags, CLI_N_FLAGS(flags), NULL};
    int r = attr_cli_parse(&table, argc, argv, &a.attr); // --preset, then the flags over it
    if (r != CLI_CONTINUE) return r;
    if (!a.model || !a.data || !a.out)
        return cli_usage_error(cmd, "--model, --data and --out are required");
    char *command_line = cli_command_line(argc, argv);
    a.command_line = command_line;
    cx_error err = {{0}};
    study_sanity_result res;
    int rc = study_sanity(&a, &res, &err);
    free(command_line);
    if (rc) return cli_error(cmd, &err);
    study_sanity_log(&res, a.out);
    study_sanity_result_free(&res);
    return CLI_OK;
}
