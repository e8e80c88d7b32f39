// cxrgaze prepare: parse MIMIC-CXR-JPG (+ EGD-CXR) and build the dataset pack (data_prepare).
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "data/data.h"

static void help(FILE *out) {
    fprintf(out,
            "usage: cxrgaze prepare --mimic DIR [--egd DIR] --out DATA [flags]\n"
            "       cxrgaze prepare --images DIR|LIST --out DATA [flags]\n\n"
            "Reads MIMIC-CXR-JPG 2.0.0 tables (metadata, split, chexpert/negbio; .csv or .csv.gz)\n"
            "and, optionally, EGD-CXR 1.0.0 (master_sheet, fixations, region masks); decodes and\n"
            "resizes every selected image (shorter side to S, centre crop S x S); computes static\n"
            "gaze heatmaps and region masks at S x S; assigns whole patients to splits; writes the\n"
            "pack DATA/{pack.safetensors,index.csv,summary.json} atomically.\n\n"
            "flags:\n"
            "  --mimic DIR               MIMIC-CXR-JPG root (tables + files/)\n"
            "  --egd DIR                 EGD-CXR root (master_sheet.csv, fixations.csv, ...)\n"
            "  --images DIR|LIST         also pack a folder of PNG/JPEG radiographs (or a text file\n"
            "                            listing paths, one a line, # comments, relative to the\n"
            "                            list's folder) as unlabelled test images; a folder gives\n"
            "                            every .png/.jpg/.jpeg in it (masks too: use a LIST)\n"
            "  --truth DIR               planted ground truth of `cxrgaze synth` (findings.csv)\n"
            "  --out DATA                output pack directory (required)\n"
            "  --size S                  model input size in pixels (default 224)\n"
            "  --gaze-test-fraction F    fraction of EGD patients moved to test (default 0.3)\n"
            "  --uncertain P             zeros | ones | ignore: use of uncertain (-1) labels\n"
            "                            (default zeros; ignore masks them out; empty = negative)\n"
            "  --labeler L               chexpert | negbio label table (default chexpert)\n"
            "  --views V                 frontal (PA/AP) | all (default frontal)\n"
            "  --seed S                  seed of the EGD test-patient draw (default 0)\n"
            "  --gaze-sigma PX           heatmap Gaussian sigma in original pixels (default 150)\n"
            "  --gaze-weight W           count | duration (FPOGD) weighting (default count)\n"
            "  --threads N               worker threads, 1-1024 (default: all cores)\n"
            "  --quiet                   no progress bar\n"
            "  --help                    this text\n\n"
            "Unreadable or corrupt images are skipped, named and counted (exit 0 with a warning);\n"
            "bad tables stop with exit 1 and a message naming file:line and column.\n");
}

int cmd_prepare(int argc, char **argv) {
    static const char cmd[] = "prepare";
    static const cli_command cli = {cmd, help};
    enum { O_MIMIC = 256, O_EGD, O_IMAGES, O_TRUTH, O_OUT, O_SIZE, O_FRAC, O_UNC, O_LABELER,
           O_VIEWS, O_SEED, O_SIGMA, O_WEIGHT, O_QUIET };
    static const struct option longopts[] = {
        {"mimic", required_argument, 0, O_MIMIC},
        {"egd", required_argument, 0, O_EGD},
        {"images", required_argument, 0, O_IMAGES},
        {"truth", required_argument, 0, O_TRUTH},
        {"out", required_argument, 0, O_OUT},
        {"size", required_argument, 0, O_SIZE},
        {"gaze-test-fraction", required_argument, 0, O_FRAC},
        {"uncertain", required_argument, 0, O_UNC},
        {"labeler", required_argument, 0, O_LABELER},
        {"views", required_argument, 0, O_VIEWS},
        {"seed", required_argument, 0, O_SEED},
        {"gaze-sigma", required_argument, 0, O_SIGMA},
        {"gaze-weight", required_argument, 0, O_WEIGHT},
        {"threads", required_argument, 0, CLI_OPT_THREADS},
        {"quiet", no_argument, 0, O_QUIET},
        {"help", no_argument, 0, CLI_OPT_HELP},
        {0, 0, 0, 0}};
    prepare_opts o;
    prepare_opts_default(&o);
    long v;
    double d;
    int opt, r;
    cli_getopt_reset();
    while ((opt = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
        switch (opt) {
        case O_MIMIC: o.mimic_dir = optarg; break;
        case O_EGD: o.egd_dir = optarg; break;
        case O_IMAGES: o.images = optarg; break;
        case O_TRUTH: o.truth_dir = optarg; break;
        case O_OUT: o.out_dir = optarg; break;
        case O_SIZE:
            if (cli_parse_int(cmd, "--size", optarg, 8, 4096, &v)) return CLI_USAGE;
            o.size = (int)v;
            break;
        case O_FRAC:
            if (cli_parse_double(cmd, "--gaze-test-fraction", optarg, 0, 1, &d)) return CLI_USAGE;
            o.gaze_test_fraction = d;
            break;
        case O_UNC:
            if (uncertain_policy_parse(optarg, &o.uncertain))
                return cli_usage_error(cmd, "--uncertain expects zeros, ones or ignore, got '%s'",
                                       optarg);
            break;
        case O_LABELER:
            if (!strcmp(optarg, "chexpert")) o.labeler = LABELER_CHEXPERT;
            else if (!strcmp(optarg, "negbio")) o.labeler = LABELER_NEGBIO;
            else return cli_usage_error(cmd, "--labeler expects chexpert or negbio, got '%s'", optarg);
            break;
        case O_VIEWS:
            if (!strcmp(optarg, "frontal")) o.views = VIEWS_FRONTAL;
            else if (!strcmp(optarg, "all")) o.views = VIEWS_ALL;
            else return cli_usage_error(cmd, "--views expects frontal or all, got '%s'", optarg);
            break;
        case O_SEED:
            if (cli_parse_seed(cmd, "--seed", optarg, &o.seed)) return CLI_USAGE;
            break;
        case O_SIGMA:
            if (cli_parse_double(cmd, "--gaze-sigma", optarg, 1e-3, 1e5, &d)) return CLI_USAGE;
            o.gaze_sigma_px = d;
            break;
        case O_WEIGHT:
            if (!strcmp(optarg, "count")) o.gaze_weight = GAZE_WEIGHT_COUNT;
            else if (!strcmp(optarg, "duration")) o.gaze_weight = GAZE_WEIGHT_DURATION;
            else return cli_usage_error(cmd, "--gaze-weight expects count or duration, got '%s'", optarg);
            break;
        case O_QUIET: o.progress = 0; break;
        default:
            if ((r = cli_common_option(&cli, opt, argv)) != CLI_CONTINUE) return r;
        }
    }
    if (optind < argc) return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    if (!o.out_dir) return cli_usage_error(cmd, "--out DATA is required");
    if (!o.mimic_dir && !o.images) return cli_usage_error(cmd, "give --mimic DIR or --images DIR|LIST");
    if (o.egd_dir && !o.mimic_dir)
        return cli_usage_error(cmd, "--egd needs --mimic (EGD images live in the MIMIC-CXR-JPG tree)");

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
