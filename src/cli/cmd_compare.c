// cxrgaze compare: saliency maps vs radiologist gaze (study_compare, then its figures).
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "report/report.h"
#include "study/study.h"

static const char USAGE[] =
    "usage: cxrgaze compare --data DATA --eval DIR --attributions DIR [--eval DIR2\n"
    "                       --attributions DIR2 ...] --out DIR [flags]";
static const char ABOUT[] =
    "Compares each model's saliency maps with radiologists' gaze on the held-out (test)\n"
    "images that have gaze (METHODS.md section 3). The analysed pairs are (image, label c\n"
    "positive for it); a method's map is its map for target c, gaze's the image's gaze map. A\n"
    "prediction is correct when its probability is at least the label's threshold\n"
    "(thresholds.csv of the eval directory: F1-maximising on validate). Maps are brought to\n"
    "[0,1] by --map-sign and --map-scale (default abs, p98: Captum's visualisation default);\n"
    "gaze and the two baselines by min-max. A map that is constant after this (an all-zero\n"
    "GradCAM, say) has no SSIM or region: it is left out of every mean, CI, test and\n"
    "distribution and counted in n_constant. CIs resample patients (all pairs of a patient\n"
    "together); the correct-vs-incorrect permutation test permutes within each label's pairs.\n\n"
    "Writes into --out:\n"
    "  ssim.csv             model,method,label,group,n,n_constant,mean,ci_lo,ci_hi,p_perm,\n"
    "                       ceiling_fraction (the study's SSIM analysis; label 'all' pools\n"
    "                       labels; baselines centre_bias and mean_gaze under the same grouping;\n"
    "                       ceiling_fraction: mean / the inter-observer ceiling, empty without)\n"
    "  metrics.csv          the same with a metric column: ssim, cc, nss, kl, sim, auc_judd, emd,\n"
    "                       sauc (shuffled AUC: negatives the other test images' fixations),\n"
    "                       ig_centre, ig_mean_gaze (information gain in bits per fixation over\n"
    "                       each baseline); for kl and emd (lower is better) ceiling_fraction is\n"
    "                       ceiling / mean, so 1 = as close to gaze as another radiologist\n"
    "  regions.csv          model,method,label,region,n,n_constant,count,fraction of most-salient\n"
    "                       regions (z-scores over all pairs of each map type; gaze rows first)\n"
    "  region_distance.csv  model,method,label,n,tv_distance,agreement,kappa,stuart_maxwell,dof,p:\n"
    "                       each method vs gaze on the same pairs (paired: agreement, Cohen's\n"
    "                       kappa, Stuart-Maxwell test of marginal homogeneity; p from chi-square,\n"
    "                       for n < 30 the exact permutation p swapping gaze and method within\n"
    "                       pairs)\n"
    "  sensitivity.csv      model,method,label,map_sign,map_scale,n,mean_correct,mean_incorrect,\n"
    "                       diff: mean SSIM correct vs incorrect under abs-p98, abs-minmax and\n"
    "                       signed-minmax\n"
    "  truth.csv            (synth packs) share of map mass on the planted finding vs its area\n"
    "  gc_lc.csv            GradCAM vs Layer Conductance agreement, when both were computed\n"
    "  interobserver.csv    (packs with radiologist readings) metric,n_images,n_pairs,mean,ci_lo,\n"
    "                       ci_hi,comparison: on test images with >= 2 readings, each reading\n"
    "                       against the min-max mean of the others (readers), and EGD's reading\n"
    "                       against the mean of REFLACX's (egd_vs_reflacx)\n"
    "  compare.json         settings and counts; figures ssim_*, regions_*_*, grid_* (PNG+SVG)";

int cmd_compare(int argc, char **argv) {
    static const char cmd[] = "compare";
    study_compare_settings o;
    study_compare_settings_default(&o);
    const cli_flag flags[] = {
        CLI_FLAG_STRING("data", "DATA", &o.data_dir, NULL, "dataset pack (cxrgaze prepare)"),
        CLI_FLAG_APPEND("eval", "DIR", o.eval_dir, &o.n_eval, STUDY_COMPARE_MAX_MODELS, NULL,
                        "cxrgaze eval output (predictions.csv, thresholds.csv); give one per "
                        "--attributions, in the same order, or one for all"),
        CLI_FLAG_APPEND("attributions", "DIR", o.attr_dir, &o.n_models, STUDY_COMPARE_MAX_MODELS,
                        NULL, "cxrgaze attribute --data output (maps.csv, <method>.safetensors)"),
        CLI_FLAG_FOR_NEXT("name", "NAME", o.name, &o.n_models, STUDY_COMPARE_MAX_MODELS,
                          ": the directory name", "display name of the next model"),
        CLI_FLAG_STRING("out", "DIR", &o.out_dir, NULL, "output directory (created)"),
        CLI_FLAG_MAP_SIGN(&o.norm),
        CLI_FLAG_MAP_SCALE(&o.norm),
        CLI_FLAG_DOUBLE("threshold", "T", &o.fixed_threshold, 0, 1, NULL,
                        "fixed decision threshold instead of thresholds.csv"),
        CLI_FLAG_INT("bootstrap", "N", &o.n_bootstrap, 10, 1000000, "1000",
                     "bootstrap resamples for CIs"),
        CLI_FLAG_INT("permutations", "N", &o.n_permutations, 10, 10000000, "10000",
                     "permutation-test permutations"),
        CLI_FLAG_SEED("seed", &o.seed, "0", "seed of bootstrap and permutations"),
        CLI_FLAG_INT("emd-size", "N", &o.emd_side, 2, 64, "32",
                     "EMD on maps area-downsampled to at most N x N"),
        CLI_FLAG_INT("grid-rows", "N", &o.grid_rows, 1, 16, "4",
                     "images in the qualitative grid"),
        CLI_FLAG_THREADS,
        CLI_FLAG_HELP};
    const cli_table table = {cmd, USAGE, ABOUT, flags, CLI_N_FLAGS(flags), NULL};
    int r = cli_parse(&table, argc, argv, NULL, NULL);
    if (r != CLI_CONTINUE) return r;
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
