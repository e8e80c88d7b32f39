// cxrgaze compare: saliency maps vs radiologist gaze (study_compare, then its figures).
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "report/report.h"
#include "study/study.h"

static void help(FILE *out) {
    fprintf(out,
            "usage: cxrgaze compare --data DATA --eval DIR --attributions DIR [--eval DIR2\n"
            "                       --attributions DIR2 ...] --out DIR [flags]\n\n"
            "Compares each model's saliency maps with radiologists' gaze on the held-out (test)\n"
            "images that have gaze (METHODS.md section 3). For label c, the maps of target c on images\n"
            "positive for c are analysed; a prediction is correct when its probability is at least\n"
            "the label's threshold (thresholds.csv of the eval directory: F1-maximising on\n"
            "validate). Maps and gaze are min-max normalised to [0,1] first.\n\n"
            "Writes into --out:\n"
            "  ssim.csv             model,method,label,group,n,mean,ci_lo,ci_hi,p_perm (the study's\n"
            "                       SSIM analysis; label 'all' pools labels; baselines centre_bias\n"
            "                       and mean_gaze under the same grouping)\n"
            "  metrics.csv          the same for ssim, cc, nss, kl, sim, auc_judd, emd\n"
            "  regions.csv          model,method,label,region,n,count,fraction of most-salient\n"
            "                       regions (z-scores over each map type's images; gaze rows first)\n"
            "  region_distance.csv  total-variation distance and chi-square test vs gaze\n"
            "  truth.csv            (synth packs) share of map mass on the planted finding vs its area\n"
            "  gc_lc.csv            GradCAM vs Layer Conductance agreement, when both were computed\n"
            "  compare.json         settings and counts; figures ssim_*, regions_*_*, grid_* (PNG+SVG)\n\n"
            "flags:\n"
            "  --data DATA            dataset pack (cxrgaze prepare)\n"
            "  --eval DIR             cxrgaze eval output (predictions.csv, thresholds.csv); give one\n"
            "                         per --attributions, in the same order, or one for all\n"
            "  --attributions DIR     cxrgaze attribute --data output (maps.csv, <method>.safetensors)\n"
            "  --name NAME            display name of the next model (default: the directory name)\n"
            "  --out DIR              output directory (created)\n"
            "  --threshold T          fixed decision threshold instead of thresholds.csv\n"
            "  --bootstrap N          bootstrap resamples for CIs (default 1000)\n"
            "  --permutations N       permutation-test permutations (default 10000)\n"
            "  --seed S               seed of bootstrap and permutations (default 0)\n"
            "  --emd-size N           EMD on maps area-downsampled to at most N x N (default 32)\n"
            "  --grid-rows N          images in the qualitative grid (default 4)\n"
            "  --threads N            worker threads, 1-1024 (default: all cores)\n"
            "  --help                 this text\n");
}

int cmd_compare(int argc, char **argv) {
    static const char cmd[] = "compare";
    static const cli_command cli = {cmd, help};
    enum { O_DATA = 256, O_EVAL, O_ATTR, O_NAME, O_OUT, O_THR, O_BOOT, O_PERM, O_SEED, O_EMD,
           O_GRID };
    static const struct option longopts[] = {
        {"data", required_argument, 0, O_DATA},       {"eval", required_argument, 0, O_EVAL},
        {"attributions", required_argument, 0, O_ATTR}, {"name", required_argument, 0, O_NAME},
        {"out", required_argument, 0, O_OUT},         {"threshold", required_argument, 0, O_THR},
        {"bootstrap", required_argument, 0, O_BOOT},  {"permutations", required_argument, 0, O_PERM},
        {"seed", required_argument, 0, O_SEED},       {"emd-size", required_argument, 0, O_EMD},
        {"grid-rows", required_argument, 0, O_GRID},
        {"threads", required_argument, 0, CLI_OPT_THREADS}, {"help", no_argument, 0, CLI_OPT_HELP},
        {0, 0, 0, 0}};
    study_compare_settings o;
    study_compare_settings_default(&o);
    const char *pending_name = NULL;
    long v;
    double d;
    int opt, r;
    cli_getopt_reset();
    while ((opt = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
        switch (opt) {
        case O_DATA: o.data_dir = optarg; break;
        case O_EVAL:
            if (o.n_eval == STUDY_COMPARE_MAX_MODELS) return cli_usage_error(cmd, "at most 8 --eval");
            o.eval_dir[o.n_eval++] = optarg;
            break;
        case O_ATTR:
            if (o.n_models == STUDY_COMPARE_MAX_MODELS) return cli_usage_error(cmd, "at most 8 --attributions");
            o.name[o.n_models] = pending_name;
            pending_name = NULL;
            o.attr_dir[o.n_models++] = optarg;
            break;
        case O_NAME: pending_name = optarg; break;
        case O_OUT: o.out_dir = optarg; break;
        case O_THR:
            if (cli_parse_double(cmd, "--threshold", optarg, 0, 1, &d)) return CLI_USAGE;
            o.fixed_threshold = d;
            break;
        case O_BOOT:
            if (cli_parse_int(cmd, "--bootstrap", optarg, 10, 1000000, &v)) return CLI_USAGE;
            o.n_bootstrap = (int)v;
            break;
        case O_PERM:
            if (cli_parse_int(cmd, "--permutations", optarg, 10, 10000000, &v)) return CLI_USAGE;
            o.n_permutations = (int)v;
            break;
        case O_SEED:
            if (cli_parse_seed(cmd, "--seed", optarg, &o.seed)) return CLI_USAGE;
            break;
        case O_EMD:
            if (cli_parse_int(cmd, "--emd-size", optarg, 2, 64, &v)) return CLI_USAGE;
            o.emd_side = (int)v;
            break;
        case O_GRID:
            if (cli_parse_int(cmd, "--grid-rows", optarg, 1, 16, &v)) return CLI_USAGE;
            o.grid_rows = (int)v;
            break;
        default:
            if ((r = cli_common_option(&cli, opt, argv)) != CLI_CONTINUE) return r;
        }
    }
    if (optind < argc) return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    if (!o.data_dir || !o.out_dir || !o.n_eval || !o.n_models)
        return cli_usage_error(cmd, "--data, --eval, --attributions and --out are required");
    if (o.n_eval != 1 && o.n_eval != o.n_models)
        return cli_usage_error(cmd, "give one --eval, or one per --attributions (%d given for %d)",
                               o.n_eval, o.n_models);
    cx_error err;
    study_compare_result res;
    if (study_compare(&o, &res, &err)) return cli_error(cmd, &err);
    int rc = report_compare_figures(o.out_dir, &res, &err);
    study_compare_result_free(&res);
    if (rc) return cli_error(cmd, &err);
    cx_info("compare: tables and figures in %s", o.out_dir);
    return CLI_OK;
}
