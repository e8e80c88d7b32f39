// cxrgaze faithfulness: deletion and insertion curves of saliency maps (study_faithfulness).
#include <stdio.h>

#include "cli/cli.h"
#include "study/study.h"

static const char USAGE[] =
    "usage: cxrgaze faithfulness --model M.safetensors --data DATA --attributions DIR\n"
    "                            --out DIR [flags]";
static const char ABOUT[] =
    "Deletion and insertion curves (Petsiuk et al. 2018; METHODS.md section 4) of every map of\n"
    "an attribution directory (cxrgaze attribute --data: maps.csv, <method>.safetensors): map i\n"
    "explains target c of its pack image. The image's pixels are ranked by the map (after\n"
    "--map-sign and --map-scale, descending, ties by pixel index); deletion replaces the top\n"
    "round(k P / K) pixels, k = 0..K, by a blurred copy of the image (Gaussian, sigma = S/20,\n"
    "scipy.ndimage.gaussian_filter's reflect borders), insertion starts from the blurred copy\n"
    "and puts them back; at each step the model's sigmoid(logit_c). AUC by the trapezoid rule\n"
    "over [0,1]: a faithful map has a low deletion and a high insertion AUC. The method\n"
    "\"random\" ranks pixels in a seeded random order per map (the baseline). A map that is\n"
    "constant after normalisation ranks nothing: it is left out and counted. Every perturbed\n"
    "image runs through the network in batches of --batch; the cost is 2 + 2 (K-1) forward\n"
    "passes per map and method (the original and blurred images once per map).\n\n"
    "Writes into --out:\n"
    "  faithfulness.csv         model,method,label,n,deletion_auc,del_lo,del_hi,insertion_auc,\n"
    "                           ins_lo,ins_hi (per label and 'all'; patient-bootstrap 95% CIs)\n"
    "  faithfulness_curves.csv  model,method,kind,step,fraction,probability (mean curves)\n"
    "  faithfulness_items.csv   model,method,image,label,deletion_auc,insertion_auc (per map)";

int cmd_faithfulness(int argc, char **argv) {
    static const char cmd[] = "faithfulness";
    study_faith_settings s;
    study_faith_settings_default(&s);
    s.progress = 1;
    const cli_flag flags[] = {
        CLI_FLAG_STRING("model", "FILE", &s.model, NULL, "model weights (required)"),
        CLI_FLAG_STRING("data", "DATA", &s.data, NULL, "dataset pack (cxrgaze prepare)"),
        CLI_FLAG_STRING("attributions", "DIR", &s.attr_dir, NULL,
                        "cxrgaze attribute --data output (maps.csv, <method>.safetensors)"),
        CLI_FLAG_STRING("out", "DIR", &s.out, NULL, "output directory (created)"),
        CLI_FLAG_STRING("name", "NAME", &s.name, ": the attributions directory's name",
                        "the model column of the files"),
        CLI_FLAG_INT("steps", "K", &s.steps, 1, STUDY_FAITH_MAX_STEPS, "16",
                     "steps of each curve (K + 1 points)"),
        CLI_FLAG_PRECISION(&s.precision, "fp32", "fp32 | bf16: the forward passes"),
        CLI_FLAG_INT("batch", "B", &s.batch, 1, 4096, "32", "perturbed images per forward pass"),
        CLI_FLAG_INT("limit", "N", &s.limit, 1, INT32_MAX, "all", "first N maps of maps.csv"),
        CLI_FLAG_MAP_SIGN(&s.norm),
        CLI_FLAG_MAP_SCALE(&s.norm),
        CLI_FLAG_INT("bootstrap", "N", &s.n_bootstrap, 0, 1000000, "1000",
                     "patient-bootstrap resamples for the CIs (0: none)"),
        CLI_FLAG_SEED("seed", &s.seed, "0", "seed of the random orders and the bootstrap"),
        CLI_FLAG_IGNORE_UNKNOWN(&s.model_flags, MODEL_LOAD_IGNORE_UNKNOWN),
        CLI_FLAG_THREADS,
        CLI_FLAG_SWITCH("quiet", &s.progress, 0, NULL, "no progress bar"),
        CLI_FLAG_HELP};
    const cli_table table = {cmd, USAGE, ABOUT, flags, CLI_N_FLAGS(flags), NULL};
    int r = cli_parse(&table, argc, argv, NULL, NULL);
    if (r != CLI_CONTINUE) return r;
    if (!s.model || !s.data || !s.attr_dir || !s.out)
        return cli_usage_error(cmd, "--model, --data, --attributions and --out are required");
    cx_error err;
    study_faith_result res;
    if (study_faithfulness(&s, &res, &err)) return cli_error(cmd, &err);
    study_faith_log(&res, s.out);
    study_faith_result_free(&res);
    return CLI_OK;
}
