// cxrgaze sanity: Adebayo et al. 2018 model-parameter randomisation tests. Maps of the trained
// model are compared with maps of copies whose weights are re-initialised cascading from the top
// (classifier, norm5, denseblock4, ..., conv0) and one block at a time (independent), by
// Spearman rank correlation (of |map| and of the signed map) and SSIM (maps min-max normalised).
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attr/attr.h"
#include "cli/attr_cli.h"
#include "cli/cli.h"
#include "data/data.h"
#include "io/io.h"
#include "stats/stats.h"
#include "train/train.h"

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

typedef struct sanity_args {
    const char *model, *data, *out;
    char *command_line; // for sanity.json
    int split, limit, ignore_unknown, progress, cascading, independent;
    uint64_t rand_seed;
    attr_method methods[ATTR_NMETHODS];
    int n_methods;
    attr_options opt;
} sanity_args;

// Maps [n_img,S,S] of one method for net.
static int method_maps(densenet *net, const sanity_args *a, attr_method m, const float *x,
                       const int *target, const int64_t *rows, int n_img, int s, float *maps,
                       cx_error *err) {
    attr_ctx *ctx = attr_ctx_create(net, s, s, &a->opt, err);
    if (!ctx) return -1;
    size_t plane = (size_t)s * s;
    int rc = 0;
    for (int i = 0; i < n_img && !rc; i += 4) {
        int nb = n_img - i < 4 ? n_img - i : 4;
        attr_request rq[4];
        attr_map out[4];
        for (int j = 0; j < nb; j++)
            rq[j] = (attr_request){.x = x + 3 * plane * (i + j), .n_targets = 1,
                                   .targets = &target[i + j], .stream = (uint64_t)rows[i + j]};
        if (attr_run(ctx, m, rq, nb, out, err)) {
            rc = -1;
            break;
        }
        for (int j = 0; j < nb; j++) {
            memcpy(maps + plane * (i + j), out[j].map, sizeof *maps * plane);
            attr_map_free(&out[j]);
        }
    }
    attr_ctx_free(ctx);
    return rc;
}

typedef struct acc {
    double s, ss;
    int n;
} acc;
static void acc_add(acc *a, double v) {
    if (!isfinite(v)) return;
    a->s += v;
    a->ss += v * v;
    a->n++;
}
static double acc_mean(const acc *a) { return a->n ? a->s / a->n : NAN; }
static double acc_sd(const acc *a) {
    if (a->n < 2) return NAN;
    double m = a->s / a->n, v = (a->ss - a->n * m * m) / (a->n - 1);
    return v > 0 ? sqrt(v) : 0;
}

// Compares maps b with the originals a (n_img maps of S x S); one CSV row.
static void compare_row(csv_writer *cw, const char *method, const char *mode, const char *step,
                        const float *a, const float *b, int n_img, int s, double *spearman_abs) {
    size_t plane = (size_t)s * s;
    float *ua = cx_malloc(sizeof *ua * plane), *ub = cx_malloc(sizeof *ub * plane);
    acc sa = {0}, sg = {0}, ss = {0};
    for (int i = 0; i < n_img; i++) {
        const float *pa = a + plane * i, *pb = b + plane * i;
        stats_status st;
        for (size_t e = 0; e < plane; e++) ua[e] = fabsf(pa[e]), ub[e] = fabsf(pb[e]);
        acc_add(&sa, stats_spearman(ua, ub, plane, &st));
        acc_add(&sg, stats_spearman(pa, pb, plane, &st));
        memcpy(ua, pa, sizeof *ua * plane);
        memcpy(ub, pb, sizeof *ub * plane);
        int ca = stats_minmax_normalise(ua, plane), cb = stats_minmax_normalise(ub, plane);
        if (!ca && !cb) acc_add(&ss, stats_ssim(ua, ub, s, s));
    }
    csv_writer_field(cw, method);
    csv_writer_field(cw, mode);
    csv_writer_field(cw, step);
    csv_writer_fieldf(cw, "%d", sa.n);
    double v[6] = {acc_mean(&sa), acc_sd(&sa), acc_mean(&sg), acc_sd(&sg), acc_mean(&ss), acc_sd(&ss)};
    for (int k = 0; k < 6; k++) {
        if (isfinite(v[k])) csv_writer_fieldf(cw, "%.6f", v[k]);
        else csv_writer_field(cw, "");
    }
    csv_writer_end_row(cw);
    if (spearman_abs) *spearman_abs = v[0];
    free(ua);
    free(ub);
}

// DIR/sanity.json: what was run (settings, layers randomised) and each method's verdict (the
// report's "Exact settings" section reads it).
static int write_record(const sanity_args *a, int n_img, const char *const *steps, int n_steps,
                        json_t *verdicts, cx_error *err) {
    json_t *root = json_object(), *methods = json_array(), *layers = json_array();
    for (int i = 0; i < a->n_methods; i++)
        json_array_append_new(methods, json_string(attr_method_name(a->methods[i])));
    for (int i = 0; i < n_steps; i++) json_array_append_new(layers, json_string(steps[i]));
    json_object_set_new(root, "command", json_string(a->command_line));
    json_object_set_new(root, "cxrgaze_version", json_string(CX_VERSION));
    json_object_set_new(root, "model", json_string(a->model));
    json_object_set_new(root, "data", json_string(a->data));
    json_object_set_new(root, "split", json_string(CX_SPLITS[a->split]));
    json_object_set_new(root, "images", json_integer(n_img));
    json_object_set_new(root, "methods", methods);
    json_object_set_new(root, "cascading", json_boolean(a->cascading));
    json_object_set_new(root, "independent", json_boolean(a->independent));
    json_object_set_new(root, "randomised_layers", layers);
    json_object_set_new(root, "randomise_seed", json_integer((json_int_t)a->rand_seed));
    json_object_set_new(root, "precision", json_string(a->opt.precision == NN_BF16 ? "bf16" : "fp32"));
    json_object_set_new(root, "verdict_rule", json_string("fails when |mean Spearman of |map|| > 0.5 "
                                                          "with every layer randomised (cascading)"));
    json_object_set_new(root, "verdicts", json_incref(verdicts));
    char *text = json_dumps(root, JSON_INDENT(2));
    json_decref(root);
    char path[4200];
    cx_path_join(path, sizeof path, a->out, "sanity.json");
    int rc = cx_write_file_atomic(path, text, strlen(text), err);
    free(text);
    return rc;
}

static int run(const sanity_args *a, cx_error *err) {
    json_t *verdicts = json_array();
    densenet *net = NULL, *rnd = NULL;
    model_meta meta;
    pack pk;
    int have_pack = 0, rc = -1;
    float *x = NULL, *orig = NULL, *maps = NULL, *logits = NULL;
    int *target = NULL;
    int64_t *rows = NULL;
    csv_writer *cw = NULL;
    densenet_plan *plan = NULL;
    if (model_load_ex(a->model, a->ignore_unknown ? MODEL_LOAD_IGNORE_UNKNOWN : 0, &net, &meta, err))
        goto done;
    sanity_args with_black = *a; // the black baseline in this model's normalisation
    model_input_black(&meta, with_black.opt.black);
    a = &with_black;
    int k = densenet_cfg(net)->num_classes;
    if (pack_open(&pk, a->data, err)) goto done;
    have_pack = 1;
    int64_t n_rows = pack_split_rows(&pk, a->split, &rows);
    int n_img = (int)(n_rows < a->limit ? n_rows : a->limit), s = pk.size;
    if (n_img < 1) {
        cx_fail(err, "%s: split %s has no images", a->data, CX_SPLITS[a->split]);
        goto done;
    }
    size_t plane = (size_t)s * s;
    x = cx_malloc(sizeof *x * 3 * plane * n_img);
    for (int i = 0; i < n_img; i++)
        model_input_u8(&meta, pk.images + plane * (size_t)rows[i], plane, x + 3 * plane * i);
    // targets: the trained model's top label per image
    logits = cx_malloc(sizeof *logits * k);
    target = cx_malloc(sizeof *target * n_img);
    plan = densenet_plan_create(net, 1, s, s, a->opt.precision, NN_EVAL, err);
    if (!plan) goto done;
    for (int i = 0; i < n_img; i++) {
        if (densenet_forward(plan, x + 3 * plane * i, logits, NULL, err)) goto done;
        target[i] = 0;
        for (int c = 1; c < k; c++)
            if (logits[c] > logits[target[i]]) target[i] = c;
    }
    densenet_plan_free(plan);
    plan = NULL;
    if (cx_mkdir_p(a->out, err)) goto done;
    const char *steps[16];
    int n_steps = attr_sanity_steps(steps, 16);
    int n_modes = a->cascading + a->independent;
    orig = cx_malloc(sizeof *orig * plane * n_img);
    maps = cx_malloc(sizeof *maps * plane * n_img);
    char path[4200];
    cx_path_join(path, sizeof path, a->out, "sanity.csv");
    cw = csv_writer_open(path, err);
    if (!cw) goto done;
    const char *hdr[] = {"method", "mode", "randomised_up_to", "n", "spearman_abs_mean",
                         "spearman_abs_sd", "spearman_mean", "spearman_sd", "ssim_mean", "ssim_sd"};
    csv_writer_row(cw, 10, hdr);
    cx_progress prog;
    int64_t total = (int64_t)a->n_methods * (1 + n_modes * n_steps) * n_img, done_maps = 0;
    if (a->progress) cx_progress_start(&prog, "sanity", "maps", total);
    for (int mi = 0; mi < a->n_methods; mi++) {
        attr_method m = a->methods[mi];
        const char *mname = attr_method_name(m);
        if (method_maps(net, a, m, x, target, rows, n_img, s, orig, err)) goto done;
        done_maps += n_img;
        double final_abs = NAN;
        for (int mode = 0; mode < 2; mode++) {
            if ((mode == 0 && !a->cascading) || (mode == 1 && !a->independent)) continue;
            for (int st = 0; st < n_steps; st++) {
                rnd = densenet_clone(net);
                attr_sanity_randomise(rnd, st, mode == 0, a->rand_seed);
                if (method_maps(rnd, a, m, x, target, rows, n_img, s, maps, err)) goto done;
                densenet_free(rnd);
                rnd = NULL;
                double sa;
                compare_row(cw, mname, mode == 0 ? "cascading" : "independent", steps[st], orig,
                            maps, n_img, s, &sa);
                if (mode == 0 && st == n_steps - 1) final_abs = sa;
                done_maps += n_img;
                if (a->progress) {
                    char extra[96];
                    snprintf(extra, sizeof extra, "%s %s %s", mname, mode ? "indep" : "cascade",
                             steps[st]);
                    cx_progress_update(&prog, done_maps, extra);
                }
            }
        }
        if (a->cascading) {
            json_t *r = json_object();
            json_object_set_new(r, "method", json_string(mname));
            json_object_set_new(r, "spearman_abs_mean_all_randomised",
                                isfinite(final_abs) ? json_real(final_abs) : json_null());
            json_object_set_new(r, "passes", !isfinite(final_abs) ? json_null()
                                             : json_boolean(fabs(final_abs) <= 0.5));
            json_array_append_new(verdicts, r);
        }
        if (a->cascading)
            cx_info("sanity: %s: mean Spearman of |map| with the original after randomising every layer: "
                    "%.3f -> %s", mname, final_abs,
                    !isfinite(final_abs) ? "undefined (constant maps)"
                    : fabs(final_abs) > 0.5 ? "FAILS (maps barely depend on the weights)"
                                            : "passes");
    }
    if (a->progress) cx_progress_finish(&prog);
    rc = csv_writer_commit(cw, err);
    cw = NULL;
    if (!rc) rc = write_record(a, n_img, steps, n_steps, verdicts, err);
    if (!rc) cx_info("sanity: %d images, %d methods -> %s", n_img, a->n_methods, path);
done:
    if (cw) csv_writer_abort(cw);
    densenet_plan_free(plan);
    densenet_free(rnd);
    free(x);
    free(orig);
    free(maps);
    free(logits);
    free(target);
    free(rows);
    if (have_pack) pack_close(&pk);
    densenet_free(net);
    json_decref(verdicts);
    return rc;
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
    sanity_args a = {.split = SPLIT_TEST, .limit = 8, .progress = 1, .cascading = 1,
                     .independent = 1, .rand_seed = 1};
    attr_options_default(&a.opt);
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
            a.cascading = strstr(optarg, "cascading") != NULL;
            a.independent = strstr(optarg, "independent") != NULL;
            if (!a.cascading && !a.independent)
                return cli_usage_error(cmd, "--modes expects cascading and/or independent, got '%s'",
                                       optarg);
            break;
        case O_RSEED:
            if (cli_parse_seed(cmd, "--randomise-seed", optarg, &a.rand_seed)) return CLI_USAGE;
            break;
        case O_IGNORE: a.ignore_unknown = 1; break;
        case O_QUIET: a.progress = 0; break;
        default:
            r = cli_method_or_common_option(&cli, opt, argv, &a.opt);
            if (r != CLI_CONTINUE) return r;
        }
    }
    if (optind < argc) return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    if (!a.model || !a.data || !a.out)
        return cli_usage_error(cmd, "--model, --data and --out are required");
    cx_error err = {{0}};
    if (attr_methods_parse(methods, a.methods, &a.n_methods, &err))
        return cli_usage_error(cmd, "--methods: %s", err.msg);
    a.command_line = cli_command_line(argc, argv);
    int rc = run(&a, &err);
    free(a.command_line);
    return rc ? cli_error(cmd, &err) : CLI_OK;
}
