// cxrgaze metrics: SSIM, CC, KL, SIM, EMD (+ NSS, AUC-Judd, sAUC, IG with fixations) for paired maps
// stored in safetensors files; one CSV row per pair (stats_map_metrics_ex).
#include "cli/cli.h"
#include "study/study.h"

static const char USAGE[] =
    "usage: cxrgaze metrics --maps A.safetensors --reference B.safetensors\n"
    "                       [--fixations F.safetensors] [--masks M.safetensors] --out m.csv\n"
    "                       [flags]";
static const char ABOUT[] =
    "Compares map i of A with map i of B (e.g. saliency vs radiologist gaze) for every i.\n"
    "Maps: a floating tensor (F32, also F16/BF16/F64) [N,H,W] or [H,W]; by default the\n"
    "first tensor of each file. A's maps go to [0,1] by --map-sign and --map-scale\n"
    "(default abs, p98: Captum's visualisation default; signed + minmax is plain min-max),\n"
    "B's (the reference, e.g. gaze) by min-max. A map constant after this (all zero\n"
    "included) becomes all zeros and is flagged in the CSV and a warning.\n"
    "Fixations: U8, BOOL or F32 [N,H,W], nonzero = fixated pixel.\n"
    "Masks (expert annotations, e.g. CheXlocalize segmentations): [N,H,W] of any integer,\n"
    "BOOL or float dtype, nonzero = inside; A's map i is scored against mask i as\n"
    "`cxrgaze localize` does (METHODS.md section 4).\n\n"
    "Output CSV, one row per pair (written atomically); columns as selected by --metrics:\n"
    "  index,ssim,cc,kl,sim,emd[,nss,auc_judd],map_constant,ref_constant[,iou,hit,mass_share]\n"
    "  [,sauc,ig_centre]\n"
    "  ssim      scikit-image SSIM: 7x7 uniform window, data_range 1, K1 .01, K2 .03,\n"
    "            sample covariance, mean over the map cropped by 3 px\n"
    "  cc        Pearson correlation            kl   KL(B || A), eps 2.2204e-16\n"
    "  sim       histogram intersection         emd  earth mover's distance of the\n"
    "            mass-normalised maps area-downsampled to <= E x E, in original pixels\n"
    "  nss       normalised scanpath saliency of A at the fixations\n"
    "  auc_judd  AUC-Judd of A at the fixations (MIT benchmark, no jitter)\n"
    "  sauc      shuffled AUC (Borji 2013): A at pair i's fixations against A at the\n"
    "            fixations of the other pairs (each pixel weighted by how many fixated it)\n"
    "  ig_centre information gain of A over the centre-bias map (Gaussian, sigma 0.25 of\n"
    "            each side, min-max) at the fixations, bits per fixation (Kuemmerer 2015)\n"
    "  iou       (--masks) IoU of A binarised by Otsu's threshold on uint8(255 A)\n"
    "            (scikit-image threshold_otsu) with the mask\n"
    "  hit       (--masks) 1 when A's maximum (after the sign mode, before p98's clip; the\n"
    "            first in row-major order) is inside the mask, else 0\n"
    "  mass_share (--masks) share of A's mass inside the mask\n"
    "Undefined values (constant maps, no fixations) are written as nan.";

int cmd_metrics(int argc, char **argv) {
    static const char cmd[] = "metrics";
    study_map_metrics_settings a;
    study_map_metrics_settings_default(&a);
    const char *metrics_list = NULL;
    const cli_flag flags[] = {
        CLI_FLAG_STRING("maps", "FILE", &a.maps, NULL, "maps to evaluate, A (required)"),
        CLI_FLAG_STRING("reference", "FILE", &a.reference, NULL, "reference maps, B (required)"),
        CLI_FLAG_STRING("fixations", "FILE", &a.fixations, NULL,
                        "binary fixation maps (adds nss, auc_judd, sauc, ig_centre)"),
        CLI_FLAG_STRING("masks", "FILE", &a.masks, NULL,
                        "annotation masks, one per map (adds iou, hit, mass_share)"),
        CLI_FLAG_STRING("maps-tensor", "NAME", &a.maps_tensor, ": the first", "tensor in --maps"),
        CLI_FLAG_STRING("reference-tensor", "NAME", &a.reference_tensor, ": the first",
                        "tensor in --reference"),
        CLI_FLAG_STRING("fixations-tensor", "NAME", &a.fixations_tensor, ": the first",
                        "tensor in --fixations"),
        CLI_FLAG_STRING("masks-tensor", "NAME", &a.masks_tensor, ": the first",
                        "tensor in --masks"),
        CLI_FLAG_STRING("out", "FILE", &a.out, NULL, "output CSV (required)"),
        CLI_FLAG_STRING("metrics", "LIST", &metrics_list,
                        ": all; nss, auc_judd, sauc and ig_centre need --fixations",
                        "comma-separated subset of ssim,cc,kl,sim,emd,nss,auc_judd,sauc,ig_centre"),
        CLI_FLAG_INT("emd-size", "E", &a.emd_size, 1, 64, "32", "max side of the EMD grid, 1-64"),
        CLI_FLAG_MAP_SIGN(&a.norm),
        CLI_FLAG_MAP_SCALE(&a.norm),
        CLI_FLAG_THREADS,
        CLI_FLAG_SWITCH("quiet", &a.progress, 0, NULL, "no progress bar"),
        CLI_FLAG_HELP};
    const cli_table table = {cmd, USAGE, ABOUT, flags, CLI_N_FLAGS(flags), NULL};
    int r = cli_parse(&table, argc, argv, NULL, NULL);
    if (r != CLI_CONTINUE) return r;
    if (!a.maps || !a.reference || !a.out)
        return cli_usage_error(cmd, "--maps, --reference and --out are required");
    if (a.fixations_tensor && !a.fixations)
        return cli_usage_error(cmd, "--fixations-tensor needs --fixations");
    if (a.masks_tensor && !a.masks) return cli_usage_error(cmd, "--masks-tensor needs --masks");
    cx_error err = {0};
    if (metrics_list && study_map_metrics_parse(metrics_list, &a.which, &err))
        return cli_usage_error(cmd, "--metrics: %s", err.msg);
    if ((a.which & (STATS_M_NSS | STATS_M_AUC_JUDD | STATS_M_SAUC | STATS_M_IG_CENTRE)) &&
        !a.fixations)
        return cli_usage_error(cmd, "--metrics nss/auc_judd/sauc/ig_centre need --fixations");
    study_map_metrics_result res;
    if (study_map_metrics(&a, &res, &err)) return cli_error(cmd, &err);
    study_map_metrics_result_free(&res);
    return CLI_OK;
}
