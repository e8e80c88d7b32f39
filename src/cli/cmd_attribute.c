// cxrgaze attribute: saliency maps for a dataset split (targets per image) or for an input tensor.
// Flags -> study_attr_settings, one study_attribute call (study/attribute.c), its messages.
#include <stdio.h>

#include "cli/attr_cli.h"
#include "cli/cli.h"
#include "study/study.h"

static const char USAGE[] =
    "usage: cxrgaze attribute --model M.safetensors (--data DATA [--split test]\n"
    "                         [--targets positive|all|LIST] [--limit N] |\n"
    "                         --input X.safetensors --target K) --out DIR [flags]";
static const char ABOUT[] =
    "Saliency maps of one label's logit per (image, target), model in eval mode.\n"
    "Writes DIR/<method>.safetensors with tensor <method>: maps [M,S,S] F32 (sum over\n"
    "channels; GC/LC upsampled), or with --raw Captum-shaped attributions (sl, dl, gs, nt,\n"
    "ig, oc [M,3,S,S]; gc [M,1,h,w] before ReLU; lc [M,C,h,w]); plus \"target\" I32 [M] and,\n"
    "for DL, IG and LC, \"delta\" F32 [M] = sum(attribution) - (f(x) - f(x')).\n"
    "With --data: DIR/maps.csv (map_row,dicom_id,target,label,positive,probability; target =\n"
    "label index, label = its name, positive = ground truth, probability = sigmoid(logit)).";

static int parse_methods(const char *cmd, const cli_flag *f, const char *value) {
    study_attr_settings *a = f->to;
    return attr_cli_parse_methods(cmd, value, a->methods, &a->n_methods);
}

int cmd_attribute(int argc, char **argv) {
    static const char cmd[] = "attribute";
    study_attr_settings a;
    study_attr_settings_default(&a);
    a.progress = 1;
    const cli_flag flags[] = {
        CLI_FLAG_STRING("model", "FILE", &a.model, NULL, "model weights (required)"),
        CLI_FLAG_STRING("data", "DATA", &a.data, NULL, "dataset pack (cxrgaze prepare)"),
        CLI_FLAG_SPLIT(&a.split, "test", "train | validate | test"),
        CLI_FLAG_STRING("targets", "T", &a.targets, "positive",
                        "positive (labels positive for the image, label_mask respected; images "
                        "without any are skipped) | all | a list of label indices or names, e.g. "
                        "1,Edema"),
        CLI_FLAG_INT("limit", "N", &a.limit, 1, INT32_MAX, "all", "first N images of the split"),
        CLI_FLAG_SWITCH("gaze-only", &a.gaze_only, 1, NULL,
                        "only images with radiologist gaze (the ones compare analyses)"),
        CLI_FLAG_STRING("input", "FILE", &a.input, NULL,
                        "tensor \"input\" [N,3,H,W], normalised (instead of --data)"),
        CLI_FLAG_INT("target", "K", &a.target, 0, 1023, NULL,
                     "label index explained for every --input sample"),
        CLI_FLAG_CUSTOM("methods", "LIST", &a, parse_methods, ATTR_CLI_STUDY_METHODS,
                        "from sl,gc,dl,lc,gs,nt,ig,oc"),
        CLI_FLAG_STRING("out", "DIR", &a.out, NULL, "output directory (created)"),
        CLI_FLAG_SWITCH("raw", &a.raw, 1, NULL,
                        "write Captum-shaped raw attributions instead of S x S maps"),
        CLI_FLAG_INT("overlays", "K", &a.n_overlays, 0, INT32_MAX, "0",
                     "PNG overlays (viridis over the radiograph, colour bar) of the first K "
                     "images: DIR/overlays/<image>_<label>_<method>.png; --map-sign and "
                     "--map-scale set their map normalisation (overlays only: maps stay raw)"),
        CLI_FLAG_MAP_SIGN(&a.overlay_norm),
        CLI_FLAG_MAP_SCALE(&a.overlay_norm),
        CLI_FLAG_IGNORE_UNKNOWN(&a.model_flags, MODEL_LOAD_IGNORE_UNKNOWN),
        CLI_FLAG_THREADS,
        CLI_FLAG_SWITCH("quiet", &a.progress, 0, NULL, "no progress bar"),
        CLI_FLAG_HELP,
        ATTR_CLI_FLAGS(&a.opt)};
    const cli_table table = {cmd, USAGE, ABOUT, flags, CLI_N_FLAGS(flags), NULL};
    int r = attr_cli_parse(&table, argc, argv, &a.opt); // --preset, then the flags over it
    if (r != CLI_CONTINUE) return r;
    if (!a.model) return cli_usage_error(cmd, "--model is required");
    if (!a.out) return cli_usage_error(cmd, "--out is required");
    if (!a.data == !a.input) return cli_usage_error(cmd, "give exactly one of --data and --input");
    if (a.input && a.target < 0) return cli_usage_error(cmd, "--input needs --target K");
    if (a.data && a.target >= 0) return cli_usage_error(cmd, "--target goes with --input (use --targets)");
    cx_error err = {{0}};
    study_attr_result res;
    if (study_attribute(&a, &res, &err)) return cli_error(cmd, &err);
    study_attr_log(&res, a.out);
    study_attr_result_free(&res);
    return CLI_OK;
}
