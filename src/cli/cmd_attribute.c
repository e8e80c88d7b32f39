// cxrgaze attribute: saliency maps for a dataset split (targets per image) or for an input tensor.
// Flags -> study_attr_settings, one study_attribute call (study/attribute.c), its messages.
#include <getopt.h>
#include <math.h>
#include <stdio.h>

#include "cli/attr_cli.h"
#include "cli/cli.h"
#include "study/study.h"

static void help(FILE *out) {
    fprintf(out,
            "usage: cxrgaze attribute --model M.safetensors (--data DATA [--split test]\n"
            "                         [--targets positive|all|LIST] [--limit N] |\n"
            "                         --input X.safetensors --target K) --out DIR [flags]\n\n"
            "Saliency maps of one label's logit per (image, target), model in eval mode.\n"
            "Writes DIR/<method>.safetensors with tensor <method>: maps [M,S,S] F32 (sum over\n"
            "channels; GC/LC upsampled), or with --raw Captum-shaped attributions (sl, dl, gs, nt,\n"
            "ig, oc [M,3,S,S]; gc [M,1,h,w] before ReLU; lc [M,C,h,w]); plus \"target\" I32 [M] and,\n"
            "for DL, IG and LC, \"delta\" F32 [M] = sum(attribution) - (f(x) - f(x')).\n"
            "With --data: DIR/maps.csv (map_row,dicom_id,target,label,positive,probability; target =\n"
            "label index, label = its name, positive = ground truth, probability = sigmoid(logit)).\n\n"
            "flags:\n"
            "  --model FILE         model weights (required)\n"
            "  --data DATA          dataset pack (cxrgaze prepare)\n"
            "  --split NAME         train | validate | test (default test)\n"
            "  --targets T          positive (labels positive for the image, label_mask respected;\n"
            "                       images without any are skipped) | all | a list of label indices\n"
            "                       or names, e.g. 1,Edema (default positive)\n"
            "  --limit N            first N images of the split (default all)\n"
            "  --gaze-only          only images with radiologist gaze (the ones compare analyses)\n"
            "  --input FILE         tensor \"input\" [N,3,H,W], normalised (instead of --data)\n"
            "  --target K           label index explained for every --input sample\n"
            "  --methods LIST       from sl,gc,dl,lc,gs,nt,ig,oc (default " ATTR_CLI_STUDY_METHODS ")\n"
            "  --out DIR            output directory (created)\n"
            "  --raw                write Captum-shaped raw attributions instead of S x S maps\n"
            "  --overlays K         PNG overlays (viridis over the radiograph, colour bar) of the\n"
            "                       first K images: DIR/overlays/<image>_<label>_<method>.png (default 0)\n"
            "  --ignore-unknown     load a model file that also holds tensors DenseNet does not\n"
            "                       have (default: such a file is refused)\n"
            "  --threads N          worker threads, 1-1024 (default: all cores)\n"
            "  --quiet              no progress bar\n"
            "  --help               this text\n\n");
    attr_cli_help(out);
}

// The stage's messages: completeness of DL, IG and LC, then what was written.
static void report(const study_attr_settings *s, const study_attr_result *r) {
    for (int i = 0; i < r->n_methods; i++)
        if (!isnan(r->delta_mean_abs[i]))
            cx_info("attribute: %s completeness |sum(attr) - (f(x) - f(x'))|: mean %.4g, max %.4g",
                    attr_method_name(r->methods[i]), r->delta_mean_abs[i], r->delta_max_abs[i]);
    cx_info("attribute: %lld maps x %d methods of %lld images -> %s", (long long)r->n_maps,
            r->n_methods, (long long)r->n_images, s->out);
}

int cmd_attribute(int argc, char **argv) {
    static const char cmd[] = "attribute";
    static const cli_command cli = {cmd, help};
    enum { O_MODEL = 256, O_DATA, O_SPLIT, O_TARGETS, O_LIMIT, O_INPUT, O_TARGET, O_METHODS,
           O_OUT, O_RAW, O_OVERLAYS, O_IGNORE, O_QUIET, O_GAZE_ONLY };
    static const struct option longopts[] = {
        {"model", required_argument, 0, O_MODEL}, {"data", required_argument, 0, O_DATA},
        {"split", required_argument, 0, O_SPLIT}, {"targets", required_argument, 0, O_TARGETS},
        {"limit", required_argument, 0, O_LIMIT}, {"input", required_argument, 0, O_INPUT},
        {"gaze-only", no_argument, 0, O_GAZE_ONLY},
        {"target", required_argument, 0, O_TARGET}, {"methods", required_argument, 0, O_METHODS},
        {"out", required_argument, 0, O_OUT}, {"raw", no_argument, 0, O_RAW},
        {"overlays", required_argument, 0, O_OVERLAYS},
        {"ignore-unknown", no_argument, 0, O_IGNORE},
        {"threads", required_argument, 0, CLI_OPT_THREADS}, {"quiet", no_argument, 0, O_QUIET},
        {"help", no_argument, 0, CLI_OPT_HELP}, ATTR_CLI_LONGOPTS, {0, 0, 0, 0}};
    study_attr_settings a;
    study_attr_settings_default(&a);
    a.progress = 1;
    const char *methods = ATTR_CLI_STUDY_METHODS;
    long v;
    int opt, r;
    cli_getopt_reset();
    while ((opt = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
        switch (opt) {
        case O_MODEL: a.model = optarg; break;
        case O_DATA: a.data = optarg; break;
        case O_SPLIT:
            if (cli_parse_split(cmd, optarg, &a.split)) return CLI_USAGE;
            break;
        case O_TARGETS: a.targets = optarg; break;
        case O_LIMIT:
            if (cli_parse_int(cmd, "--limit", optarg, 1, INT32_MAX, &v)) return CLI_USAGE;
            a.limit = v;
            break;
        case O_INPUT: a.input = optarg; break;
        case O_GAZE_ONLY: a.gaze_only = 1; break;
        case O_TARGET:
            if (cli_parse_int(cmd, "--target", optarg, 0, 1023, &v)) return CLI_USAGE;
            a.target = (int)v;
            break;
        case O_METHODS: methods = optarg; break;
        case O_OUT: a.out = optarg; break;
        case O_RAW: a.raw = 1; break;
        case O_OVERLAYS:
            if (cli_parse_int(cmd, "--overlays", optarg, 0, INT32_MAX, &v)) return CLI_USAGE;
            a.n_overlays = v;
            break;
        case O_IGNORE: a.model_flags |= MODEL_LOAD_IGNORE_UNKNOWN; break;
        case O_QUIET: a.progress = 0; break;
        default:
            r = cli_method_or_common_option(&cli, opt, argv, &a.opt);
            if (r != CLI_CONTINUE) return r;
        }
    }
    if (optind < argc) return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    if (!a.model) return cli_usage_error(cmd, "--model is required");
    if (!a.out) return cli_usage_error(cmd, "--out is required");
    if (!a.data == !a.input) return cli_usage_error(cmd, "give exactly one of --data and --input");
    if (a.input && a.target < 0) return cli_usage_error(cmd, "--input needs --target K");
    if (a.data && a.target >= 0) return cli_usage_error(cmd, "--target goes with --input (use --targets)");
    cx_error err = {{0}};
    if (attr_methods_parse(methods, a.methods, &a.n_methods, &err))
        return cli_usage_error(cmd, "--methods: %s", err.msg);
    study_attr_result res;
    if (study_attribute(&a, &res, &err)) return cli_error(cmd, &err);
    report(&a, &res);
    study_attr_result_free(&res);
    return CLI_OK;
}
