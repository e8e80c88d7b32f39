// cxrgaze localize: saliency maps (and gaze, and the centre-bias floor) against expert annotations
// (study_localize).
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "study/study.h"

static const char USAGE[] =
    "usage: cxrgaze localize --data DATA --attributions DIR [--attributions DIR2 ...] --out DIR\n"
    "                        [flags]";
static const char ABOUT[] =
    "Scores saliency maps against the expert annotations of the pack (prepare --annotations:\n"
    "NIH boxes, CheXlocalize polygons or COCO-RLE masks), as CheXlocalize does (METHODS.md\n"
    "section 4). Every map of an attribution directory whose (image, target) has an annotation\n"
    "is brought to [0,1] by --map-sign and --map-scale (default abs, p98), binarised by Otsu's\n"
    "threshold on m8 = uint8(255 m) (scikit-image threshold_otsu; --threshold T: m > T) and\n"
    "scored by IoU with the annotation, hit (the pointing game: the map's maximum after the sign\n"
    "mode, before p98's clip, first in row-major order, inside the annotation) and the share of\n"
    "the map's mass inside it. Gaze (model '-', method gaze: the image's gaze map, min-max) is\n"
    "scored on the pairs whose image has gaze, the centre-bias map (sigma 0.25 S) on every pair\n"
    "as the floor. A constant map is left out and counted (n_constant). CIs: percentile\n"
    "bootstrap over patients (all pairs of a patient together).\n\n"
    "Writes into --out:\n"
    "  localize.csv        model,method,label,n,miou,miou_lo,miou_hi,hit_rate,hit_lo,hit_hi,\n"
    "                      mass_share,mass_lo,mass_hi,n_constant,threshold,map_sign,map_scale\n"
    "                      (per label and 'all' pooled; threshold empty: Otsu)\n"
    "  localize_items.csv  model,method,image,label,iou,hit,mass_share,constant,otsu_t: one row\n"
    "                      per scored (map, annotation) pair";

int cmd_localize(int argc, char **argv) {
    static const char cmd[] = "localize";
    study_localize_settings o;
    study_localize_settings_default(&o);
    const cli_flag flags[] = {
        CLI_FLAG_STRING("data", "DATA", &o.data_dir, NULL,
                        "dataset pack with annotations (cxrgaze prepare --annotations)"),
        CLI_FLAG_APPEND("attributions", "DIR", o.attr_dir, &o.n_models, STUDY_LOCALIZE_MAX_MODELS,
                        NULL,
                        "cxrgaze attribute --data output (maps.csv, <method>.safetensors); "
                        "repeat for more models"),
        CLI_FLAG_FOR_NEXT("name", "NAME", o.name, &o.n_models, STUDY_LOCALIZE_MAX_MODELS,
                          ": the directory name", "display name of the next --attributions"),
        CLI_FLAG_STRING("out", "DIR", &o.out_dir, NULL, "output directory (created)"),
        CLI_FLAG_DOUBLE("threshold", "T", &o.threshold, 0, 1, ": Otsu on the 8-bit map",
                        "fixed binarisation threshold: the mask is m > T"),
        CLI_FLAG_MAP_SIGN(&o.norm),
        CLI_FLAG_MAP_SCALE(&o.norm),
        CLI_FLAG_INT("bootstrap", "N", &o.n_bootstrap, 0, 1000000, "1000",
                     "patient-bootstrap resamples for the CIs (0: none)"),
        CLI_FLAG_SEED("seed", &o.seed, "0", "seed of the bootstrap"),
        CLI_FLAG_THREADS,
        CLI_FLAG_HELP};
    const cli_table table = {cmd, USAGE, ABOUT, flags, CLI_N_FLAGS(flags), NULL};
    int r = cli_parse(&table, argc, argv, NULL, NULL);
    if (r != CLI_CONTINUE) return r;
    if (!o.data_dir || !o.out_dir || !o.n_models)
        return cli_usage_error(cmd, "--data, --attributions and --out are required");
    cx_error err;
    study_localize_result res;
    if (study_localize(&o, &res, &err)) return cli_error(cmd, &err);
    study_localize_log(&res, o.out_dir);
    study_localize_result_free(&res);
    return CLI_OK;
}
