// cxrgaze prepare: parse MIMIC-CXR-JPG (+ EGD-CXR) and build the dataset pack (data_prepare).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "data/data.h"

static const char USAGE[] = "usage: cxrgaze prepare --mimic DIR [--egd DIR] --out DATA [flags]\n"
                            "       cxrgaze prepare --images DIR|LIST --out DATA [flags]";
static const char ABOUT[] =
    "Reads MIMIC-CXR-JPG 2.0.0 tables (metadata, split, chexpert/negbio; .csv or .csv.gz)\n"
    "and, optionally, EGD-CXR 1.0.0 (master_sheet, fixations, region masks) and REFLACX\n"
    "1.0.0 (readings by several radiologists, ellipses); decodes and\n"
    "resizes every selected image (shorter side to S, centre crop S x S); computes static\n"
    "gaze heatmaps and region masks at S x S; assigns whole patients to splits; writes the\n"
    "pack DATA/{pack.safetensors,index.csv,summary.json} atomically.";
static const char EPILOG[] =
    "Unreadable or corrupt images are skipped, named and counted (exit 0 with a warning);\n"
    "bad tables stop with exit 1 and a message naming file:line and column.";

// In the order of labeler_kind, view_filter, gaze_weight.
static const char *const LABELERS[] = {"chexpert", "negbio"};
static const char *const VIEWS[] = {"frontal", "all"};
static const char *const GAZE_WEIGHTS[] = {"count", "duration"};

static int parse_uncertain(const char *cmd, const cli_flag *f, const char *value) {
    if (uncertain_policy_parse(value, f->to))
        return cli_usage_error(cmd, "--uncertain expects zeros, ones or ignore, got '%s'", value),
               -1;
    return 0;
}

int cmd_prepare(int argc, char **argv) {
    static const char cmd[] = "prepare";
    prepare_opts o;
    prepare_opts_default(&o);
    const cli_flag flags[] = {
        CLI_FLAG_STRING("mimic", "DIR", &o.mimic_dir, NULL, "MIMIC-CXR-JPG root (tables + files/)"),
        CLI_FLAG_STRING("egd", "DIR", &o.egd_dir, NULL,
                        "EGD-CXR root (master_sheet.csv, fixations.csv, ...)"),
        CLI_FLAG_STRING(
            "images", "DIR|LIST", &o.images, NULL,
            "also pack a folder of PNG/JPEG/DICOM radiographs (or a text file listing paths, "
            "one a line, # comments, relative to the list's folder) as unlabelled test "
            "images; a folder gives every .png/.jpg/.jpeg/.dcm/.dicom in it (masks too: use "
            "a LIST); DICOM through DCMTK's display pipeline (docs/dicom.md)"),
        CLI_FLAG_STRING("truth", "DIR", &o.truth_dir, NULL,
                        "planted ground truth of `cxrgaze synth` (findings.csv)"),
        CLI_FLAG_STRING("annotations", "FILE", &o.annotations, NULL,
                        "expert annotations packed as per-image, per-label masks: NIH "
                        "BBox_List_2017.csv, CheXlocalize polygon JSON or COCO-RLE JSON (told "
                        "by content; docs/annotations.md)"),
        CLI_FLAG_STRING("reflacx", "DIR", &o.reflacx_dir, NULL,
                        "REFLACX 1.0.0 root (main_data/ below it; docs/reflacx.md): each "
                        "reading's heatmap packed as a radiologist reading (with EGD's map as "
                        "one more where both read an image); the image's gaze becomes the "
                        "min-max of its readings' mean; anomaly ellipses become annotations"),
        CLI_FLAG_DOUBLE("reflacx-certainty", "C", &o.reflacx_certainty, 0, 5, "3 (Possibly)",
                        "ellipses of at least this certainty (1 Unlikely .. 5 Consistent with) "
                        "become annotations"),
        CLI_FLAG_STRING("out", "DATA", &o.out_dir, NULL, "output pack directory (required)"),
        CLI_FLAG_INT("size", "S", &o.size, 8, 4096, "224", "model input size in pixels"),
        CLI_FLAG_DOUBLE("gaze-test-fraction", "F", &o.gaze_test_fraction, 0, 1, "0.3",
                        "fraction of gaze patients (EGD or REFLACX) moved to test"),
        CLI_FLAG_CUSTOM("uncertain", "P", &o.uncertain, parse_uncertain,
                        "zeros; ignore masks them out; empty = negative",
                        "zeros | ones | ignore: use of uncertain (-1) labels"),
        CLI_FLAG_ENUM("labeler", "L", &o.labeler, LABELERS, "chexpert",
                      "chexpert | negbio label table"),
        CLI_FLAG_ENUM("views", "V", &o.views, VIEWS, "frontal", "frontal (PA/AP) | all"),
        CLI_FLAG_SEED("seed", &o.seed, "0", "seed of the EGD test-patient draw"),
        CLI_FLAG_DOUBLE("gaze-sigma", "PX", &o.gaze_sigma_px, 1e-3, 1e5, "150",
                        "heatmap Gaussian sigma in original pixels"),
        CLI_FLAG_ENUM("gaze-weight", "W", &o.gaze_weight, GAZE_WEIGHTS, "count",
                      "count | duration (FPOGD) weighting"),
        CLI_FLAG_THREADS,
        CLI_FLAG_SWITCH("quiet", &o.progress, 0, NULL, "no progress bar"),
        CLI_FLAG_HELP};
    const cli_table table = {cmd, USAGE, ABOUT, flags, CLI_N_FLAGS(flags), EPILOG};
    int r = cli_parse(&table, argc, argv, NULL, NULL);
    if (r != CLI_CONTINUE) return r;
    if (!o.out_dir) return cli_usage_error(cmd, "--out DATA is required");
    if (!o.mimic_dir && !o.images)
        return cli_usage_error(cmd, "give --mimic DIR or --images DIR|LIST");
    if (o.egd_dir && !o.mimic_dir)
        return cli_usage_error(cmd,
                               "--egd needs --mimic (EGD images live in the MIMIC-CXR-JPG tree)");
    if (o.reflacx_dir && !o.mimic_dir)
        return cli_usage_error(cmd, "--reflacx needs --mimic (REFLACX reads MIMIC-CXR images)");

    prepare_summary s;
    cx_error err = {0};
    if (data_prepare(&o, &s, &err)) return cli_error(cmd, &err);
    prepare_summary_print(&s, stdout);
    for (int64_t i = 0; i < s.skipped_images && i < PREPARE_MAX_SKIP_LIST; i++)
        cx_warn("prepare: skipped %s", s.skipped[i]);
    if (s.skipped_images)
        cx_warn("prepare: %lld unreadable image(s) skipped (all listed in %s/summary.json)",
                (long long)s.skipped_images, o.out_dir);
    printf("wrote %s\n", o.out_dir);
    return CLI_OK;
}
